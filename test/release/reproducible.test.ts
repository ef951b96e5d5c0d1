// The release build run twice gives the same bytes: the linux-amd64 executable with its startup
// snapshot (the part Node does not build reproducibly by itself), its krew archive, the Node bundle's
// archive, release.json, the SBOM and the checksums. `node build/scripts/release/reproducible.js
// --targets all` checks every platform the same way.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/binaries.js';
import { buildTwice } from '../../scripts/release/reproducible.js';

describe('release: reproducible', function () {
  this.timeout(900_000);
  it('linux-amd64 built twice: the same bytes in every file', async () => {
    const log: string[] = [];
    const changed = await buildTwice(['linux-amd64'], join(REPO_ROOT, 'build', 'reproducible-test'), (m) => log.push(m));
    assert.deepEqual(changed, [], log.join('\n'));
    assert.ok(
      log.some((l) => /^reproducible: all \d+ files have the same bytes/.test(l)),
      log.join('\n'),
    );
  });
});

// What the single executable's bundling changes in the code it inlines (scripts/release/sea-bundle.ts):
// built-in modules that load on first use, and the yargs patches. A small entry is bundled the same
// way and run by this Node, which reports what it saw as one JSON line.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleSea } from '../../scripts/release/sea-bundle.js';
import { REPO_ROOT } from '../../scripts/release/paths.js';

// The entry imports the way our code does: named imports, a namespace import, a class, yargs.
const ENTRY = `
import { createHash } from 'node:crypto';
import { gzipSync, gunzipSync } from 'node:zlib';
import * as tls from 'node:tls';
import { BlockList, isIP } from 'node:net';
import Yargs from 'yargs';
import { writeSync } from 'node:fs';

const loaded = (name) => process.moduleLoadList.includes('NativeModule ' + name);
const before = { crypto: loaded('crypto'), zlib: loaded('zlib'), tls: loaded('tls') };
const y = Yargs([]);
const report = {
  before,
  hash: createHash('sha256').update('a').digest('hex').slice(0, 8),
  afterHash: loaded('crypto'),
  zlibStillUnloaded: !loaded('zlib'),
  gzip: gunzipSync(gzipSync('round trip')).toString(),
  tlsConnect: typeof tls.connect,
  isIP: [isIP('10.0.0.1'), isIP('::1'), isIP('nope')],
  blockList: (() => { const b = new BlockList(); b.addAddress('10.0.0.1'); return [b instanceof BlockList, b.check('10.0.0.1')]; })(),
  internals: y.getInternalMethods() === y.getInternalMethods(),
  usage: typeof y.getInternalMethods().getUsageInstance(),
};
writeSync(1, JSON.stringify(report) + '\\n');
`;

describe('single executable: what its bundle changes', function () {
  this.timeout(60_000);
  let dir: string;
  let report: Record<string, unknown>;
  before(async () => {
    // Inside the repository, so the entry resolves yargs from its node_modules.
    mkdirSync(join(REPO_ROOT, 'build'), { recursive: true });
    dir = mkdtempSync(join(REPO_ROOT, 'build', 'sea-bundle-test-'));
    writeFileSync(join(dir, 'entry.mjs'), ENTRY);
    await bundleSea(join(dir, 'out.cjs'), join(dir, 'entry.mjs'));
    report = JSON.parse(execFileSync(process.execPath, [join(dir, 'out.cjs')], { encoding: 'utf8' })) as Record<string, unknown>;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('imports of crypto, zlib and tls load nothing until an export is used', () => {
    assert.deepEqual(report['before'], { crypto: false, zlib: false, tls: false });
    assert.equal(report['afterHash'], true);
    assert.equal(report['zlibStillUnloaded'], true, 'using crypto loads crypto only');
  });
  it('named imports, a namespace import and a class work as the module itself', () => {
    assert.equal(report['hash'], 'ca978112');
    assert.equal(report['gzip'], 'round trip');
    assert.equal(report['tlsConnect'], 'function');
    assert.deepEqual(report['isIP'], [4, 6, 0]);
    assert.deepEqual(report['blockList'], [true, true]);
  });
  it("yargs' internal methods are made once per instance", () => {
    assert.equal(report['internals'], true);
    assert.equal(report['usage'], 'object');
  });
});

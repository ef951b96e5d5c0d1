// What `npm test` needs of the release: the linux-amd64 executable (with its startup snapshot), its
// krew archive and the Node bundle archive, in build/release-test/, and bin/ there with the executable
// linked under the six plugin names as krew links it. The other platforms stay in `npm run release`.
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG } from '../../krew/catalog.js';
import { REPO_ROOT } from './paths.js';
import { release } from './release.js';

export const TEST_RELEASE = join(REPO_ROOT, 'build', 'release-test');

const started = Date.now();
await release({ targets: ['linux-amd64'], out: TEST_RELEASE, index: false, log: (m) => console.error(`[prepare] release: ${m}`) });
mkdirSync(join(TEST_RELEASE, 'bin'));
for (const e of CATALOG) symlinkSync(join('..', 'linux-amd64', 'kubectl-traffic'), join(TEST_RELEASE, 'bin', e.binary));
console.error(`[prepare] linux-amd64 single executable for the tests in ${((Date.now() - started) / 1000).toFixed(0)} s`);

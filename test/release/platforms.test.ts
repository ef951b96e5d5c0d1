// Checks of a full `npm run release` (run it first; `npm run test:release`): linux-arm64 runs under
// Debian's qemu-user against the test cluster; the files for platforms that cannot run here are read:
// format, machine, the flipped SEA fuse, the injected blob and script, the signature each needs; the
// checksums and the committed krew index describe these very files.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../harness/binaries.js';
import { sharedCluster } from '../support/fixture.js';
import { CATALOG } from '../../krew/catalog.js';
import { sha256File } from '../../krew/package.js';
import { checkMachoCodeDirectory, inspectExecutable } from '../../scripts/release/inspect.js';
import { parseSums, type ReleaseInfo } from '../../scripts/release/release.js';
import { SEA_FUSE } from '../../scripts/release/sea-build.js';
import { TARGETS, exeName, targetId } from '../../scripts/release/targets.js';

const RELEASE = join(REPO_ROOT, 'release');
const WORK = join(REPO_ROOT, 'build', 'release-work', 'release');

describe('release: every platform', function () {
  this.timeout(300_000);
  let info: ReleaseInfo;
  before(() => {
    if (!existsSync(join(RELEASE, 'release.json'))) throw new Error('release/ is missing: run npm run release first');
    info = JSON.parse(readFileSync(join(RELEASE, 'release.json'), 'utf8')) as ReleaseInfo;
  });

  for (const t of TARGETS) {
    it(`${targetId(t)}: ${t.format}, ${t.arch}, fuse flipped, blob injected${t.snapshot === 'none' ? ' with the script and assets' : ''}`, async () => {
      const exe = join(RELEASE, targetId(t), exeName(t, 'kubectl-traffic'));
      const b = readFileSync(exe);
      const i = inspectExecutable(b, SEA_FUSE);
      assert.equal(i.format, t.format);
      assert.equal(i.arch, t.arch);
      assert.ok(i.seaFuseFlipped);
      assert.ok(b.includes(readFileSync(join(WORK, targetId(t), 'sea.blob'))), 'the SEA blob is in the file');
      // Without a snapshot the blob carries the script as source, and the client-node asset always.
      if (t.snapshot === 'none') assert.ok(b.includes(readFileSync(join(WORK, 'kubectl-traffic.cjs'))), 'the bundle');
      assert.ok(b.includes(readFileSync(join(REPO_ROOT, 'dist', 'lib', 'client-node.cjs'))), 'the client-node asset');
      if (t.format === 'macho') {
        assert.ok(i.machoSeaSegment && i.signed);
        // Signed ad hoc, and every page hash in the CodeDirectory matches the file (what macOS checks).
        const cd = checkMachoCodeDirectory(b);
        assert.deepEqual(cd.problems, []);
        assert.equal(cd.flags & 0x2, 0x2, 'CS_ADHOC');
        assert.equal(cd.identifier, 'kubectl-traffic');
      }
      if (t.format === 'pe') assert.equal(i.signed, false, 'no stale Authenticode signature');
    });
  }

  it('linux-arm64 under qemu-user: --help, --version and context against the test cluster', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arm64-'));
    const link = join(dir, 'kubectl-canary');
    symlinkSync(join(RELEASE, 'linux-arm64', 'kubectl-traffic'), link);
    const run = (...args: string[]) =>
      execa('qemu-aarch64', ['-L', '/usr/aarch64-linux-gnu', link, ...args], { reject: false, stdin: 'ignore', env: { NO_COLOR: '1' } });
    const help = await run('--help');
    assert.equal(help.exitCode, 0, help.stderr);
    assert.match(help.stdout, /^kubectl canary - /);
    const version = await run('--version');
    assert.equal(version.stdout.trim(), info.version);
    const c = await sharedCluster();
    const context = await run('context', '-o', 'json', '--kubeconfig', c.kubeconfig);
    assert.equal(context.exitCode, 0, context.stderr);
    const view = JSON.parse(context.stdout) as Record<string, string>;
    assert.equal(view['server'], c.server);
    assert.match(view['serverVersion'] ?? '', /^v1\.\d+\.\d+/);
  });

  it('SHA256SUMS and the committed krew index describe these files', () => {
    const sums = parseSums(readFileSync(join(RELEASE, 'SHA256SUMS'), 'utf8'));
    for (const [file, sum] of Object.entries(sums)) assert.equal(sha256File(join(RELEASE, file)), sum, file);
    for (const e of CATALOG) {
      const m = yaml.load(readFileSync(join(REPO_ROOT, 'krew', 'index', 'plugins', `${e.name}.yaml`), 'utf8')) as {
        spec: { platforms: { uri: string; sha256: string }[] };
      };
      for (const p of m.spec.platforms) assert.equal(sums[p.uri.split('/').pop()!], p.sha256, `${e.name}: ${p.uri}`);
    }
  });
});

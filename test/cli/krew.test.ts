// Our own krew index with the real krew, offline: the index is a local git repository written from the
// test release build (build/release-test: the linux-amd64 executable's archive and the Node bundle
// archive), the archives are served by a loopback HTTP server, and krew's default index is a local
// stand-in holding another plugin named `trace` (iovisor's kubectl-trace is in the real one).
import assert from 'node:assert/strict';
import { createReadStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { REPO_ROOT, bin } from '../harness/binaries.js';
import { CATALOG } from '../../krew/catalog.js';
import { pkg, reproducibleTarGz, writeIndex, type PlatformRelease } from '../../krew/package.js';
import type { ReleaseInfo } from '../../scripts/release/release.js';
import { singleExecutable } from '../support/plugins.js';

const TEST_RELEASE = join(REPO_ROOT, 'build', 'release-test');

interface Manifest {
  metadata: { name: string };
  spec: {
    version: string;
    caveats: string;
    platforms: { selector: { matchLabels: { os: string; arch: string } }; uri: string; sha256: string; bin: string }[];
  };
}

async function git(cwd: string, ...args: string[]) {
  await execa('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd, stdin: 'ignore' });
}

async function indexRepo(dir: string, files: (repo: string) => void): Promise<string> {
  mkdirSync(dir, { recursive: true });
  await git(dir, 'init', '-q', '-b', 'master');
  files(dir);
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', 'index');
  return dir;
}

describe('krew: our own index, with the real krew, offline', function () {
  this.timeout(300_000);
  let info: ReleaseInfo;
  let server: Server;
  let base: string;
  const served: string[] = [];
  let env: Record<string, string>;
  let work: string;

  const krew = (...args: string[]) => execa(bin('kubectl'), ['krew', ...args], { env, extendEnv: false, reject: false, stdin: 'ignore' });
  const kubectl = (...args: string[]) => execa(bin('kubectl'), args, { env, extendEnv: false, reject: false, stdin: 'ignore' });
  const platforms = (): PlatformRelease[] =>
    info.platforms.map((p) => ({
      os: p.os as PlatformRelease['os'],
      arch: p.arch as PlatformRelease['arch'],
      archive: { file: join(TEST_RELEASE, p.archive), sha256: p.sha256 },
      executable: p.executable ?? undefined,
    }));

  before(async function () {
    if (singleExecutable()) this.skip(); // independent of which build the other CLI tests run
    const file = join(TEST_RELEASE, 'release.json');
    if (!existsSync(file)) throw new Error(`${file} is missing: run 'node build/scripts/release/test-build.js' (npm test does)`);
    info = JSON.parse(readFileSync(file, 'utf8')) as ReleaseInfo;
    work = mkdtempSync(join(tmpdir(), 'krew-index-'));
    // Archives for the stand-in default index: one plugin named trace.
    const other = join(work, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'kubectl-trace'), '#!/bin/sh\necho "bpftrace, from the default index"\n', { mode: 0o755 });
    const otherArchive = await reproducibleTarGz({ 'kubectl-trace': join(other, 'kubectl-trace') }, join(work, 'kubectl-trace-other.tar.gz'));
    const files = new Map([
      ...info.platforms.map((p) => [p.archive, join(TEST_RELEASE, p.archive)] as const),
      [basename(otherArchive.file), otherArchive.file],
    ]);
    server = createServer((req, res) => {
      const name = decodeURIComponent((req.url ?? '/').slice(1));
      served.push(name);
      const f = files.get(name);
      if (req.method !== 'GET' || !f) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      createReadStream(f).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

    const defaultIndex = await indexRepo(join(work, 'default-index'), (repo) => {
      mkdirSync(join(repo, 'plugins'));
      writeFileSync(
        join(repo, 'plugins', 'trace.yaml'),
        yaml.dump({
          apiVersion: 'krew.googlecontainertools.github.com/v1alpha2',
          kind: 'Plugin',
          metadata: { name: 'trace' },
          spec: {
            version: 'v0.1.2',
            shortDescription: 'bpftrace programs in a cluster (stand-in)',
            platforms: [
              { selector: { matchLabels: { os: 'linux' } }, uri: `${base}/${basename(otherArchive.file)}`, sha256: otherArchive.sha256, bin: 'kubectl-trace' },
            ],
          },
        }),
      );
    });
    const root = join(work, 'krew-root');
    env = {
      KREW_ROOT: root,
      HOME: work,
      PATH: [join(root, 'bin'), dirname(bin('kubectl')), '/usr/bin', '/bin'].join(':'),
      NO_COLOR: '1',
      // Never the network: no upgrade check, and the default index is the local stand-in.
      KREW_NO_UPGRADE_CHECK: '1',
      KREW_DEFAULT_INDEX_URI: defaultIndex,
    };
  });

  after(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  it(`index add, install ${pkg.krew.indexName}/<plugin> (all six), plugin list, upgrade, uninstall`, async () => {
    const repo = await indexRepo(join(work, 'traffic-index'), (dir) => void writeIndex(dir, info.version, base, platforms()));
    const added = await krew('index', 'add', 'default', env['KREW_DEFAULT_INDEX_URI']);
    assert.equal(added.exitCode, 0, added.stderr);
    const ours = await krew('index', 'add', pkg.krew.indexName, repo);
    assert.equal(ours.exitCode, 0, ours.stderr);

    // Both indexes have a plugin named trace: the index name tells them apart.
    const search = await krew('search', 'trace');
    assert.equal(search.exitCode, 0, search.stderr);
    assert.match(search.stdout, /^trace\s+bpftrace programs/m);
    assert.match(search.stdout, new RegExp(`^${pkg.krew.indexName}/trace\\s+Istio tracing`, 'm'));

    const first = await krew('install', `${pkg.krew.indexName}/canary`);
    assert.equal(first.exitCode, 0, first.stderr);
    assert.match(first.stderr + first.stdout, /one executable with Node\.js built in/, 'caveats shown');
    const rest = await krew('install', ...CATALOG.filter((e) => e.name !== 'canary').map((e) => `${pkg.krew.indexName}/${e.name}`));
    assert.equal(rest.exitCode, 0, rest.stderr);
    // krew links each name to the single executable in its store.
    for (const e of CATALOG) {
      const link = join(env['KREW_ROOT'], 'bin', e.binary);
      assert.ok(lstatSync(link).isSymbolicLink(), link);
      assert.equal(basename(readlinkSync(link)), 'kubectl-traffic');
    }
    // Each install downloaded the linux/amd64 archive from the loopback server, and nothing else.
    const exeArchive = info.platforms.find((p) => p.os === 'linux' && p.arch === 'amd64')!.archive;
    assert.deepEqual(served, Array<string>(6).fill(exeArchive));

    const list = await kubectl('plugin', 'list');
    assert.equal(list.exitCode, 0, list.stderr);
    // (kubectl-krew itself is on PATH too, beside kubectl.)
    assert.deepEqual(
      list.stdout
        .split('\n')
        .filter((l) => l.startsWith(join(env['KREW_ROOT'], 'bin')))
        .map((l) => basename(l))
        .sort(),
      CATALOG.map((e) => e.binary).sort(),
    );
    const receipts = await krew('list');
    // Not on a terminal, krew list prints one <index>/<plugin> a line.
    assert.deepEqual(receipts.stdout.trim().split('\n'), CATALOG.map((e) => `${pkg.krew.indexName}/${e.name}`).sort());
    for (const e of CATALOG) {
      const help = await kubectl(e.name, '--help');
      assert.equal(help.exitCode, 0, `${e.name}: ${help.stderr}`);
      assert.match(help.stdout, new RegExp(`^kubectl ${e.name} - `));
    }
    const ours2 = await kubectl('trace', '--version');
    assert.equal(ours2.stdout.trim(), info.version, 'kubectl trace is ours, not the default index one');

    // Completion the krew way: the helper goes beside the link krew made (on PATH), not into krew's store.
    const helper = await kubectl('canary', 'completion', '--install-kubectl-helper');
    assert.equal(helper.exitCode, 0, helper.stderr);
    assert.ok(existsSync(join(env['KREW_ROOT'], 'bin', 'kubectl_complete-canary')), helper.stderr);
    const words = await kubectl('__complete', 'canary', 'co');
    assert.deepEqual(
      words.stdout
        .split('\n')
        .filter((l) => l && !l.startsWith(':'))
        .sort(),
      ['completion', 'context'],
    );

    // A new version in the index: update, then upgrade one plugin.
    const next = info.version.replace(/\d+$/, (n) => String(Number(n) + 1));
    writeIndex(repo, next, base, platforms());
    await git(repo, 'commit', '-q', '-am', `v${next}`);
    const update = await krew('update');
    assert.equal(update.exitCode, 0, update.stderr);
    assert.match(update.stderr + update.stdout, new RegExp(`${pkg.krew.indexName}/canary v${info.version} -> v${next}`));
    const upgrade = await krew('upgrade', 'canary');
    assert.equal(upgrade.exitCode, 0, upgrade.stderr);
    assert.ok(existsSync(join(env['KREW_ROOT'], 'store', 'canary', `v${next}`, 'kubectl-traffic')));
    const after = await kubectl('canary', '--version');
    assert.equal(after.exitCode, 0, after.stderr);

    const uninstall = await krew('uninstall', 'canary');
    assert.equal(uninstall.exitCode, 0, uninstall.stderr);
    assert.ok(!existsSync(join(env['KREW_ROOT'], 'bin', 'kubectl-canary')));
    const left = await kubectl('plugin', 'list', '--name-only');
    assert.doesNotMatch(left.stdout, /kubectl-canary/);
    assert.match(left.stdout, /kubectl-bluegreen/);
  });

  it('the committed index (krew/index/plugins) lists every platform with an archive and sha256 of one build', () => {
    const docs = CATALOG.map((e) => yaml.load(readFileSync(join(REPO_ROOT, 'krew', 'index', 'plugins', `${e.name}.yaml`), 'utf8')) as Manifest);
    const want = ['darwin/amd64', 'darwin/arm64', 'linux/amd64', 'linux/arm64', 'windows/amd64'];
    const first = docs[0].spec.platforms.map((p) => `${p.uri} ${p.sha256}`);
    for (const [i, d] of docs.entries()) {
      assert.equal(d.metadata.name, CATALOG[i].name);
      assert.equal(d.spec.version, `v${pkg.version}`);
      assert.deepEqual(d.spec.platforms.map((p) => `${p.selector.matchLabels.os}/${p.selector.matchLabels.arch}`).sort(), want);
      // The same archives for all six plugins: one executable per platform serves them all.
      assert.deepEqual(
        d.spec.platforms.map((p) => `${p.uri} ${p.sha256}`),
        first,
      );
      for (const p of d.spec.platforms) {
        assert.match(p.sha256, /^[0-9a-f]{64}$/);
        assert.ok(p.uri.startsWith(pkg.krew.releaseBaseUrl.replace('{version}', `v${pkg.version}`)), p.uri);
        const os = p.selector.matchLabels.os;
        assert.equal(
          p.bin,
          os === 'darwin' && p.selector.matchLabels.arch === 'arm64'
            ? `${CATALOG[i].binary}.cjs`
            : os === 'windows'
              ? 'kubectl-traffic.exe'
              : 'kubectl-traffic',
        );
      }
      assert.match(d.spec.caveats, /darwin\/arm64 it is a Node\.js script: it needs Node\.js 20\.19/);
    }
  });
});

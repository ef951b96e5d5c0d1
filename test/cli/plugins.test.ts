// The built binaries, spawned as a user (or kubectl) runs them.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../harness/binaries.js';
import { SNAPSHOT_EXEC_ARGV } from '../../scripts/release/sea-build.js';
import { closedPort } from '../support/http.js';
import { kubectlWithPlugins, pluginPath, sharedCluster, tempKubeconfig } from '../support/fixture.js';
import { pluginBinDir, pluginBinary, singleExecutable } from '../support/plugins.js';

const PLUGINS = ['canary', 'bluegreen', 'ingress-ha', 'meshvm', 'meshremote', 'trace'];
const binary = pluginBinary;

function run(p: string, args: string[], env: Record<string, string> = {}) {
  return execa(binary(p), args, {
    reject: false,
    stdin: 'ignore',
    env: { PATH: process.env['PATH'] ?? '', HOME: '/nonexistent', NO_COLOR: '1', ...env },
    extendEnv: false,
  });
}

describe('plugin binaries', function () {
  this.timeout(60_000);

  it('the plugin folder (dist/bin, or the executable linked under six names) holds exactly the six executables kubectl discovers', () => {
    assert.deepEqual(readdirSync(pluginBinDir()).sort(), PLUGINS.map((p) => `kubectl-${p.replace(/-/g, '_')}`).sort());
  });

  it('the single executable carries its V8 flags (no rehash of the startup snapshot) in its SEA blob', function () {
    if (!singleExecutable()) this.skip();
    // Node writes each execArgv entry of the blob as its length (8 bytes, little-endian) and its bytes.
    const entry = (arg: string) => {
      const length = Buffer.alloc(8);
      length.writeBigUInt64LE(BigInt(arg.length));
      return Buffer.concat([length, Buffer.from(arg)]);
    };
    const exe = readFileSync(realpathSync(binary('canary')));
    for (const arg of SNAPSHOT_EXEC_ARGV) assert.ok(exe.includes(entry(arg)), `${arg} is not in the executable's SEA blob`);
  });

  for (const p of PLUGINS) {
    describe(`kubectl-${p.replace(/-/g, '_')}`, () => {
      it('--help: usage with examples on stdout, exit 0', async () => {
        const r = await run(p, ['--help']);
        assert.equal(r.exitCode, 0, r.stderr);
        assert.equal(r.stderr, '');
        assert.match(r.stdout, new RegExp(`^kubectl ${p} - `));
        assert.match(r.stdout, /Examples:\n {2}kubectl /);
        assert.match(r.stdout, /--kubeconfig/);
        assert.match(r.stdout, /completion/);
      });

      it('--version prints the package version', async () => {
        const r = await run(p, ['--version']);
        assert.equal(r.exitCode, 0);
        assert.match(r.stdout, /^\d+\.\d+\.\d+$/);
      });

      it('an unknown flag: exit 2, one line on stderr, nothing on stdout', async () => {
        const r = await run(p, ['context', '--bogus-flag']);
        assert.equal(r.exitCode, 2);
        assert.equal(r.stdout, '');
        assert.equal(r.stderr, 'error: unknown flag: --bogus-flag');
        // Before a command is chosen too, and as typed (yargs reads --no-x as the negation of x).
        const top = await run(p, ['--no-such-flag']);
        assert.deepEqual([top.exitCode, top.stdout, top.stderr], [2, '', 'error: unknown flag: --no-such-flag']);
      });

      it('no reachable cluster: exit 1 and a message naming server and context', async () => {
        const port = await closedPort();
        const kc = tempKubeconfig(
          `clusters: [{name: lab, cluster: {server: "https://127.0.0.1:${port}"}}]\nusers: [{name: me, user: {token: t}}]\ncontexts: [{name: lab, context: {cluster: lab, user: me}}]\ncurrent-context: lab\n`,
        );
        const r = await run(p, ['context', '--kubeconfig', kc]);
        assert.equal(r.exitCode, 1);
        assert.equal(r.stdout, '');
        assert.equal(
          r.stderr,
          `error: cannot reach the cluster at https://127.0.0.1:${port} (context "lab"): connection refused; is the cluster running and is this the right context?`,
        );
        const v = await run(p, ['context', '--kubeconfig', kc, '-v']);
        assert.match(v.stderr, /\n\s+at /, 'stack trace with -v');
      });
    });
  }

  it('kubectl finds all six (kubectl plugin list) and runs them as `kubectl <plugin>`', async () => {
    const list = await kubectlWithPlugins(['plugin', 'list', '--name-only']);
    for (const p of PLUGINS) assert.match(list.stdout, new RegExp(`^kubectl-${p.replace(/-/g, '_')}$`, 'm'));
    const help = await kubectlWithPlugins(['ingress-ha', '--help']);
    assert.equal(help.exitCode, 0, help.stderr);
    assert.match(help.stdout, /^kubectl ingress-ha - /);
  });

  it('`kubectl canary <TAB>` completes through the kubectl_complete-canary helper', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'complete-'));
    const install = await run('canary', ['completion', '--install-kubectl-helper', '--dir', dir]);
    assert.equal(install.exitCode, 0, install.stderr);
    const comp = await kubectlWithPlugins(['__complete', 'canary', 'co'], { PATH: [dir, pluginPath()].join(':') });
    assert.equal(comp.exitCode, 0, comp.stderr);
    assert.deepEqual(
      comp.stdout
        .split('\n')
        .filter((l) => l && !l.startsWith(':'))
        .sort(),
      ['completion', 'context'],
    );
    const flags = await kubectlWithPlugins(['__complete', 'ingress-ha', 'context', '--o'], { PATH: [dir, pluginPath()].join(':') });
    // No helper for ingress-ha was installed: kubectl offers nothing, which proves the helper is what answers.
    assert.deepEqual(
      flags.stdout.split('\n').filter((l) => l && !l.startsWith(':')),
      [],
    );
  });

  it('`kubectl <plugin> <command> <TAB>` completes object names from the cluster (Deployments, Ingresses, Nodes, namespaces)', async function () {
    this.timeout(120_000);
    const c = await sharedCluster();
    const ns = 'complete-names';
    const deployment = (name: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      },
    });
    await c.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      deployment('new-nginx'),
      deployment('old-nginx'),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'nginx', namespace: ns }, spec: { selector: { app: 'nginx' }, ports: [{ port: 80 }] } },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'echo', namespace: ns },
        spec: { defaultBackend: { service: { name: 'nginx', port: { number: 80 } } } },
      },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'complete-'));
    for (const p of ['canary', 'bluegreen', 'ingress-ha']) {
      const install = await run(p, ['completion', '--install-kubectl-helper', '--dir', dir]);
      assert.equal(install.exitCode, 0, install.stderr);
    }
    const complete = async (...words: string[]) => {
      const r = await kubectlWithPlugins(['__complete', ...words], { PATH: [dir, pluginPath()].join(':'), KUBECONFIG: c.kubeconfig });
      assert.equal(r.exitCode, 0, r.stderr);
      return r.stdout
        .split('\n')
        .filter((l) => l && !l.startsWith(':'))
        .sort();
    };
    assert.deepEqual(await complete('canary', 'promote', '-n', ns, ''), ['new-nginx', 'old-nginx']);
    assert.deepEqual(await complete('canary', '-n', ns, 'abort', 'new'), ['new-nginx']);
    // The second positional of set is a percentage: no names there.
    const percent = await complete('canary', 'set', 'new-nginx', '-n', ns, '');
    assert.ok(!percent.includes('old-nginx') && !percent.includes('new-nginx'), percent.join(' '));
    assert.deepEqual(await complete('canary', 'route', '--namespace', ns, ''), ['nginx']);
    assert.deepEqual(await complete('bluegreen', 'set', '-n', ns, ''), ['echo']);
    assert.deepEqual(await complete('bluegreen', 'set', 'echo', '-n', ns, ''), ['nginx']);
    assert.deepEqual(await complete('ingress-ha', 'nodes', 'add', 'node-a1', 'node-'), ['node-a1', 'node-a2', 'node-b1']);
    assert.ok((await complete('canary', 'status', '-n', 'complete-')).includes(ns), 'namespaces after -n');
    // No cluster to ask: nothing offered, and no error on the terminal.
    const port = await closedPort();
    const none = await kubectlWithPlugins(['__complete', 'canary', 'promote', ''], {
      PATH: [dir, pluginPath()].join(':'),
      KUBECONFIG: tempKubeconfig(
        `clusters: [{name: x, cluster: {server: "https://127.0.0.1:${port}"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: x, user: u}}]\ncurrent-context: x\n`,
      ),
    });
    assert.equal(none.exitCode, 0);
    assert.equal(none.stdout.split('\n').filter((l) => l && !l.startsWith(':')).length, 0);
  });

  it('talks to a real cluster through kubectl: `kubectl canary context`', async function () {
    this.timeout(120_000);
    const c = await sharedCluster();
    const r = await kubectlWithPlugins(['canary', 'context', '-o', 'json', '-n', 'shop'], { KUBECONFIG: c.kubeconfig });
    assert.equal(r.exitCode, 0, r.stderr);
    const view = JSON.parse(r.stdout) as Record<string, string>;
    assert.equal(view['server'], c.server);
    assert.equal(view['namespace'], 'shop');
    assert.equal(view['serverVersion'], 'v1.37.2');
    // A user the API server does not know is refused in one clear line.
    const forged = tempKubeconfig(
      `clusters: [{name: c, cluster: {server: "${c.server}", insecure-skip-tls-verify: true}}]\nusers: [{name: nobody, user: {token: not-a-token}}]\ncontexts: [{name: c, context: {cluster: c, user: nobody}}]\ncurrent-context: c\n`,
    );
    const denied = await kubectlWithPlugins(['trace', 'context'], { KUBECONFIG: forged });
    assert.equal(denied.exitCode, 1);
    assert.ok(
      denied.stderr.startsWith(`error: unauthorized: the cluster at ${c.server} rejected the credentials of user "nobody" (context "c")`),
      denied.stderr,
    );
  });

  it('`npm install -g` of the `npm pack` tarball, in a clean prefix, puts the six binaries on PATH', async function () {
    if (singleExecutable()) this.skip(); // the npm package is the Node bundles, whatever the tests run
    this.timeout(180_000);
    const packDir = mkdtempSync(join(tmpdir(), 'npm-pack-'));
    const packed = await execa('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: REPO_ROOT, stdin: 'ignore' });
    const tarball = join(packDir, (JSON.parse(packed.stdout) as { filename: string }[])[0].filename);
    const prefix = mkdtempSync(join(tmpdir(), 'npm-g-'));
    const r = await execa('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tarball], {
      reject: false,
      stdin: 'ignore',
      env: { npm_config_loglevel: 'error' },
    });
    assert.equal(r.exitCode, 0, r.stderr);
    for (const p of PLUGINS) assert.ok(existsSync(join(prefix, 'bin', `kubectl-${p.replace(/-/g, '_')}`)), p);
    // Installed from the tarball, not linked to the clone: the files live in the prefix.
    assert.ok(existsSync(join(prefix, 'lib', 'node_modules', 'kubectl-traffic-plugins', 'dist', 'lib', 'kube.cjs')));
    const list = await kubectlWithPlugins(['plugin', 'list', '--name-only'], {
      PATH: [join(prefix, 'bin'), dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
    });
    assert.equal(list.exitCode, 0, list.stderr);
    assert.deepEqual(
      list.stdout
        .split('\n')
        .filter((l) => l.startsWith('kubectl-'))
        .sort(),
      PLUGINS.map((p) => `kubectl-${p.replace(/-/g, '_')}`).sort(),
    );
    const help = await execa(join(prefix, 'bin', 'kubectl-meshvm'), ['--help'], { reject: false, stdin: 'ignore' });
    assert.equal(help.exitCode, 0, help.stderr);
  });
});

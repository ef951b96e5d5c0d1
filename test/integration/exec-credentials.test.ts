// Exec credential plugins against the real API server, with a counting plugin that issues real,
// revocable ServiceAccount tokens (each bound to a Secret of its own, so deleting the Secret makes the
// API server answer 401) and says they expire after EXP seconds; run REVOKE hands out a revoked one. kubectl runs the same plugin from the
// same kubeconfig as the oracle for what the plugin is told. Token files are rotated under a running
// client the same way.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { sharedCluster } from '../support/fixture.js';
import { until, type Cluster } from '../harness/cluster.js';
import { REPO_ROOT, bin } from '../harness/binaries.js';
import { Kube } from '../../shared/kube/client.js';
import { Transport } from '../../shared/kube/transport.js';
import { loadKubeconfig } from '../../shared/kube/kubeconfig.js';
import { scenario } from '../support/scenario.js';

const NS = 'conn-exec';
const SA = 'exec-user';

const PLUGIN = `#!/bin/sh
# A counting exec credential plugin: a new Secret-bound token per run, said to expire after $EXP seconds.
set -e
n=$(( $(cat "$DIR/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$DIR/count"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$DIR/info-$n.json"
"$KUBECTL" --kubeconfig "$ADMIN" -n "$NS" create secret generic "cred-$ID-$n" >/dev/null
token=$("$KUBECTL" --kubeconfig "$ADMIN" -n "$NS" create token "$SA" --bound-object-kind Secret --bound-object-name "cred-$ID-$n" --duration 10m)
printf '%s' "$token" > "$DIR/token-$n"
# Run REVOKE of them hands out a token whose Secret is already gone: the API server answers 401 to it.
if [ "$n" = "\${REVOKE:-0}" ]; then "$KUBECTL" --kubeconfig "$ADMIN" -n "$NS" delete secret "cred-$ID-$n" >/dev/null; fi
exp=$(date -u -d "+$EXP seconds" +%Y-%m-%dT%H:%M:%SZ)
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}' "$token" "$exp"
`;

describe('exec credential plugins against the real API server', function () {
  this.timeout(120_000);
  let c: Cluster;
  let script: string;
  let ca: string;
  let setups = 0;
  const root = mkdtempSync(join(tmpdir(), 'exec-plugin-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  before(async () => {
    c = await sharedCluster();
    await c.kubectl(['create', 'namespace', NS]);
    await c.kubectl(['-n', NS, 'create', 'serviceaccount', SA]);
    await c.kubectl(['-n', NS, 'create', 'role', 'everything', '--verb=*', '--resource=*.*']);
    await c.kubectl(['-n', NS, 'create', 'rolebinding', 'exec-user-everything', '--role=everything', `--serviceaccount=${NS}:${SA}`]);
    script = join(root, 'get-token');
    writeFileSync(script, PLUGIN);
    chmodSync(script, 0o755);
    ca = Buffer.from(readFileSync(join(c.state.dir, 'pki', 'ca.crt'))).toString('base64');
  });

  /** A folder for one plugin's state, and a kubeconfig whose user runs the plugin. */
  function setup(o: { exp: number; mode?: string; clusterInfo?: boolean; revoke?: number }): {
    dir: string;
    id: string;
    kubeconfig: string;
    runs: () => number;
  } {
    const dir = mkdtempSync(join(root, 'state-'));
    const id = (setups++).toString();
    const env = { ID: id, DIR: dir, KUBECTL: bin('kubectl'), ADMIN: c.kubeconfig, NS, SA, EXP: String(o.exp), REVOKE: String(o.revoke ?? 0) };
    const kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: c',
        '  cluster:',
        `    server: ${c.server}`,
        `    certificate-authority-data: ${ca}`,
        '    extensions:',
        '    - name: client.authentication.k8s.io/exec',
        '      extension: {audience: test-cluster, attempts: 3}',
        'users:',
        '- name: sa',
        '  user:',
        '    exec:',
        '      apiVersion: client.authentication.k8s.io/v1',
        `      command: ${script}`,
        `      interactiveMode: ${o.mode ?? 'IfAvailable'}`,
        `      provideClusterInfo: ${o.clusterInfo ?? false}`,
        '      env:',
        ...Object.entries(env).map(([k, v]) => `      - {name: ${k}, value: "${v}"}`),
        'contexts:',
        `- name: x`,
        `  context: {cluster: c, user: sa, namespace: ${NS}}`,
        'current-context: x',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const runs = () => (existsSync(join(dir, 'count')) ? Number(readFileSync(join(dir, 'count'), 'utf8')) : 0);
    return { dir, id, kubeconfig, runs };
  }
  const kube = (kubeconfig: string) => new Kube(loadKubeconfig({ kubeconfig }, {}), 'kubectl-test', { env: process.env, stdinTerminal: false });
  it('keeps the token until its expirationTimestamp and runs the plugin again after it', async () => {
    const s = setup({ exp: 2 });
    const k = kube(s.kubeconfig);
    await k.list('v1', 'ConfigMap');
    await k.list('v1', 'Pod');
    assert.equal(s.runs(), 1, 'two requests, one run');
    await new Promise((r) => setTimeout(r, 2500));
    await k.list('v1', 'ConfigMap');
    assert.equal(s.runs(), 2, 'expired: run again');
    assert.equal(k.requests, 3);
  });

  it('a 401 for a revoked token runs the plugin again and sends the request once more', async () => {
    // Run 1's token is revoked yet said to last an hour: only the 401 can make the client run the plugin again.
    const s = setup({ exp: 3600, revoke: 1 });
    const k = kube(s.kubeconfig);
    const items = await k.list('v1', 'ConfigMap');
    assert.ok(Array.isArray(items));
    assert.equal(s.runs(), 2, 'the 401 ran the plugin again');
    assert.equal(k.requests, 1, 'one call, retried inside the transport');
    await k.list('v1', 'Pod');
    assert.equal(s.runs(), 2, 'the new token is kept');
  });

  it('KUBERNETES_EXEC_INFO with provideClusterInfo is what kubectl sends the plugin', async () => {
    const s = setup({ exp: 3600, clusterInfo: true });
    const k = await execa(bin('kubectl'), ['--kubeconfig', s.kubeconfig, 'get', '--raw', '/version'], { reject: false, stdin: 'ignore', env: { HOME: s.dir } });
    assert.equal(k.exitCode, 0, k.stderr);
    const ours = await execa(join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary'), ['--kubeconfig', s.kubeconfig, 'context'], { reject: false, stdin: 'ignore' });
    assert.equal(ours.exitCode, 0, ours.stderr);
    const info = (n: number) => JSON.parse(readFileSync(join(s.dir, `info-${n}.json`), 'utf8')) as unknown;
    assert.deepEqual(info(2), info(1));
    assert.deepEqual(info(2), {
      kind: 'ExecCredential',
      apiVersion: 'client.authentication.k8s.io/v1',
      spec: {
        cluster: { server: c.server, 'certificate-authority-data': ca, config: { audience: 'test-cluster', attempts: 3 } },
        interactive: false,
      },
    });
  });

  it('interactiveMode Always without a terminal on stdin: refused in one line (kubectl refuses it too)', async () => {
    const s = setup({ exp: 3600, mode: 'Always' });
    const ours = await execa(join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary'), ['--kubeconfig', s.kubeconfig, 'context'], { reject: false, stdin: 'ignore' });
    assert.equal(ours.exitCode, 1);
    assert.equal(ours.stdout, '');
    assert.equal(
      ours.stderr,
      `error: the credential plugin "${script}" for user "sa" must ask on a terminal (interactiveMode: Always), but standard input is not a terminal; run the command from a terminal, or log in with the plugin first`,
    );
    const k = await execa(bin('kubectl'), ['--kubeconfig', s.kubeconfig, 'get', '--raw', '/version'], { reject: false, stdin: 'ignore', env: { HOME: s.dir } });
    assert.notEqual(k.exitCode, 0);
    assert.match(k.stderr, /standard input is not a terminal/);
    assert.equal(s.runs(), 0, 'neither ran the plugin');
  });

  it('with a terminal on stdin the plugin may prompt (spec.interactive), as kubectl decides', async function () {
    if (!existsSync('/usr/bin/script')) return this.skip();
    const s = setup({ exp: 3600, mode: 'Always' });
    const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
    const inPty = (cmd: string[]) => execa('script', ['-qec', cmd.map(quote).join(' '), '/dev/null'], { reject: false, stdin: 'ignore', env: { HOME: s.dir } });
    const k = await inPty([bin('kubectl'), '--kubeconfig', s.kubeconfig, 'get', '--raw', '/version']);
    assert.equal(k.exitCode, 0, k.stdout);
    const ours = await inPty([process.execPath, join(REPO_ROOT, 'dist', 'kubectl-canary.cjs'), '--kubeconfig', s.kubeconfig, 'context']);
    assert.equal(ours.exitCode, 0, ours.stdout);
    const interactive = (n: number) => (JSON.parse(readFileSync(join(s.dir, `info-${n}.json`), 'utf8')) as { spec: { interactive: boolean } }).spec.interactive;
    assert.deepEqual([interactive(1), interactive(2)], [true, true]);
  });

  it('status -w outlives short-lived tokens: each watch reconnect after expiry runs the plugin again, a 401 too, and the watch keeps printing', async () => {
    // Tokens said to last 2 s; the server ends each watch after 3 s (--watch-timeout), so every reconnect
    // needs a new token; run 2 hands out a revoked one: without the refresh on 401 the watch would fail.
    const s = setup({ exp: 2, revoke: 2 });
    const child = execa(join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary'), ['--kubeconfig', s.kubeconfig, 'status', '-w', '--watch-timeout', '3', '-v'], {
      reject: false,
      stdin: 'ignore',
      env: { NO_COLOR: '1' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await until('the first render', async () => err.includes('No canaries found in namespace "conn-exec"'), 30_000);
      assert.equal(s.runs(), 1, 'the first lists and watches share one token');
      await until('the plugin to run four times (expired tokens at watch reconnects, and a 401)', async () => s.runs() >= 4, 60_000);
      // A canary made now, after the rotations, still reaches the watch and is printed.
      await c.apply(scenario('01-l4-canary.yaml', NS));
      const set = await execa(
        join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary'),
        ['--kubeconfig', c.kubeconfig, '-n', NS, 'set', 'new-nginx', '25', '--total', '4'],
        {
          reject: false,
          stdin: 'ignore',
        },
      );
      assert.equal(set.exitCode, 0, set.stderr);
      await until('a table with the canary at 25%', async () => /^new-nginx +old-nginx +nginx +replicas +25%/m.test(out), 30_000);
      assert.equal(child.exitCode, null, 'still watching');
    } finally {
      child.kill('SIGINT');
    }
    const r = await child;
    assert.equal(r.exitCode, 130, 'Ctrl-C ends a watch with 130');
    assert.doesNotMatch(err, /error/i, err);
    // -v counts the requests: the watches were opened again and again, each kind was listed once.
    const verbs = /I: \d+ API requests to \S+ \(([^)]*)\)/.exec(err)?.[1] ?? '';
    const count = (verb: string) => Number(new RegExp(`${verb} (\\d+)`).exec(verbs)?.[1] ?? 0);
    assert.ok(count('watch') >= 6, verbs);
    assert.ok(count('list') <= 4, verbs);
  });
});

describe('token files against the real API server', function () {
  this.timeout(60_000);
  let c: Cluster;
  const dir = mkdtempSync(join(tmpdir(), 'token-file-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'token');
  const whoami = async (k: Kube) =>
    (
      await k.create<{ apiVersion: string; kind: string; status?: { userInfo?: { username?: string } } }>({
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'SelfSubjectReview',
      })
    ).status?.userInfo?.username;
  const token = async (sa: string, secret?: string) => {
    if (secret) await c.kubectl(['-n', NS, 'create', 'secret', 'generic', secret]);
    return (
      await c.kubectl(['-n', NS, 'create', 'token', sa, ...(secret ? ['--bound-object-kind', 'Secret', '--bound-object-name', secret] : [])])
    ).stdout.trim();
  };

  before(async () => {
    c = await sharedCluster();
    await c.kubectl(['create', 'namespace', NS], { reject: false });
    for (const sa of ['rotate-a', 'rotate-b']) await c.kubectl(['-n', NS, 'create', 'serviceaccount', sa]);
    const ca = Buffer.from(readFileSync(join(c.state.dir, 'pki', 'ca.crt'))).toString('base64');
    writeFileSync(
      join(dir, 'config'),
      `clusters: [{name: c, cluster: {server: "${c.server}", certificate-authority-data: ${ca}}}]\nusers: [{name: u, user: {tokenFile: ${file}}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
    );
  });

  it('a rotated token file is read again after a minute (client-go period), and at once after a 401', async () => {
    writeFileSync(file, await token('rotate-a'));
    let now = 0;
    const k = new Kube(loadKubeconfig({ kubeconfig: join(dir, 'config') }, {}), 'kubectl-test', { env: {}, now: () => now });
    assert.equal(await whoami(k), `system:serviceaccount:${NS}:rotate-a`);
    writeFileSync(file, await token('rotate-b'));
    now = 30_000;
    assert.equal(await whoami(k), `system:serviceaccount:${NS}:rotate-a`, 'kept within the period');
    now = 61_000;
    assert.equal(await whoami(k), `system:serviceaccount:${NS}:rotate-b`, 'read again after it');

    // A token revoked before its first use is refused at once (the API server caches only successes).
    writeFileSync(file, await token('rotate-a', 'rotate-gone'));
    await c.kubectl(['-n', NS, 'delete', 'secret', 'rotate-gone']);
    const k2 = new Kube(loadKubeconfig({ kubeconfig: join(dir, 'config') }, {}), 'kubectl-test', { env: {}, now: () => now });
    const transport = await k2.transport();
    assert.ok(transport instanceof Transport, 'the HTTP transport');
    await transport.connection().auth.current(); // the revoked token is read and kept
    writeFileSync(file, await token('rotate-b'));
    assert.equal(await whoami(k2), `system:serviceaccount:${NS}:rotate-b`, 'the 401 read the file again and the request was sent once more');
    assert.equal(k2.requests, 2, 'discovery and one create, the retry inside it');
  });
});

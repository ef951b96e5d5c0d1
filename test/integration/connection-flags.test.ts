// kubectl's connection flags as a table against the cluster's kubectl (the oracle): for each set of flags,
// the identity the API server sees (a SelfSubjectReview, what `kubectl auth whoami` shows) must be the
// same for our client and for kubectl, or both must fail; --request-timeout must reach the server as
// kubectl sends it; and the context a flag selects must be what `kubectl config view --minify --raw`
// shows for it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { sharedCluster } from '../support/fixture.js';
import { runInProcess } from '../support/buffers.js';
import { signCert } from '../harness/certs.js';
import { bin } from '../harness/binaries.js';
import { startForwarder } from '../support/proxy.js';
import type { Cluster } from '../harness/cluster.js';
import { definePlugin } from '../../shared/cli/plugin.js';
import { defineCommand } from '../../shared/cli/command.js';
import { Kube } from '../../shared/kube/client.js';
import { type KubeObject } from '../../shared/kube/object.js';
import type { RequestEvent } from '../../shared/kube/api-transport.js';

const NS = 'conn-flags';

/** A plugin whose one command asks the server who we are, through the runner's flag handling. */
const whoami = definePlugin({
  name: 'whoami-test',
  summary: 'test',
  examples: [],
  commands: [
    defineCommand<object>({
      command: 'whoami',
      describe: 'who the API server thinks we are',
      options: () => ({}),
      run: async (ctx) => {
        const events: RequestEvent[] = [];
        const kube = new Kube(ctx.config(), 'kubectl-test', { env: ctx.env, stdinTerminal: false, onRequest: (e) => events.push(e) });
        const review = await kube.create<KubeObject & { status?: { userInfo?: unknown } }>({
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'SelfSubjectReview',
        });
        ctx.stdout.write(JSON.stringify({ userInfo: review.status?.userInfo, url: events[events.length - 1]?.url }));
      },
    }),
  ],
});

interface Outcome {
  ok: boolean;
  userInfo?: unknown;
  error?: string;
}

describe("connection flags against kubectl's own requests", function () {
  this.timeout(180_000);
  let c: Cluster;
  let dir: string;
  let multi: string;
  let port: string;
  let saToken: string;
  let fileToken: string;
  let eve: { cert: string; key: string };
  let caFile: string;

  // A loopback port that forwards to the API server (which listens on its test network address), for the
  // cases about names the serving certificate lists for 127.0.0.1 (localhost).
  let loopback: Awaited<ReturnType<typeof startForwarder>> | undefined;

  after(async () => {
    await loopback?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  before(async () => {
    c = await sharedCluster();
    const api = new URL(c.server);
    loopback = await startForwarder('127.0.0.1', api.hostname, Number(api.port));
    port = String(loopback.port);
    dir = mkdtempSync(join(tmpdir(), 'flags-'));
    await c.kubectl(['create', 'namespace', NS]);
    for (const sa of ['flag-user', 'flag-file']) await c.kubectl(['-n', NS, 'create', 'serviceaccount', sa]);
    saToken = (await c.kubectl(['-n', NS, 'create', 'token', 'flag-user'])).stdout.trim();
    fileToken = (await c.kubectl(['-n', NS, 'create', 'token', 'flag-file'])).stdout.trim();
    writeFileSync(join(dir, 'token'), fileToken);
    const pki = join(c.state.dir, 'pki');
    const cert = await signCert(pki, `eve-${process.pid}`, '/CN=eve/O=auditors');
    eve = { cert: join(dir, 'eve.crt'), key: join(dir, 'eve.key') };
    writeFileSync(eve.cert, cert.cert);
    writeFileSync(eve.key, cert.key, { mode: 0o600 });
    caFile = join(pki, 'ca.crt');
    const admin = yaml.load(readFileSync(c.kubeconfig, 'utf8')) as {
      clusters: { cluster: Record<string, string> }[];
      users: { user: Record<string, string> }[];
    };
    const other = otherCA(dir);
    multi = join(dir, 'config');
    writeFileSync(
      multi,
      yaml.dump({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'good', cluster: admin.clusters[0].cluster },
          { name: 'badca', cluster: { server: c.server, 'certificate-authority-data': Buffer.from(other).toString('base64') } },
          { name: 'insecure', cluster: { server: c.server, 'insecure-skip-tls-verify': true } },
          { name: 'system', cluster: { server: c.server } },
        ],
        users: [
          { name: 'admin', user: admin.users[0].user },
          { name: 'sa', user: { token: saToken } },
          { name: 'eve', user: { 'client-certificate': eve.cert, 'client-key': eve.key } },
          { name: 'tf', user: { token: saToken, tokenFile: join(dir, 'token') } },
          { name: 'none', user: {} },
        ],
        contexts: [
          { name: 'main', context: { cluster: 'good', user: 'admin', namespace: NS } },
          { name: 'sa-ctx', context: { cluster: 'good', user: 'sa' } },
          { name: 'bad', context: { cluster: 'badca', user: 'admin' } },
          { name: 'system-ctx', context: { cluster: 'system', user: 'admin' } },
        ],
        'current-context': 'main',
      }),
      { mode: 0o600 },
    );
  });

  /** A self-signed CA that signed nothing the server has. */
  function otherCA(where: string): string {
    const key = join(where, 'other.key');
    return execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-subj', '/CN=other', '-days', '1'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  }

  async function oursFor(flags: string[], env: Record<string, string>): Promise<Outcome & { url?: string }> {
    const r = await runInProcess(whoami, ['whoami', ...flags], { HOME: dir, ...env });
    if (r.code !== 0) return { ok: false, error: r.stderr };
    const out = JSON.parse(r.stdout) as { userInfo: unknown; url: string };
    return { ok: true, userInfo: out.userInfo, url: out.url };
  }
  async function kubectlFor(flags: string[], env: Record<string, string>): Promise<Outcome> {
    const r = await execa(bin('kubectl'), [...flags, 'auth', 'whoami', '-o', 'json'], {
      reject: false,
      stdin: 'ignore',
      env: { HOME: dir, ...env },
      extendEnv: false,
    });
    if (r.exitCode !== 0) return { ok: false, error: r.stderr };
    return { ok: true, userInfo: (JSON.parse(r.stdout) as { status: { userInfo: unknown } }).status.userInfo };
  }

  type Given = { port: string; sa: string; eve: { cert: string; key: string }; ca: string; server: string; kubeconfig: string };
  // [what, flags, expected identity (username) or undefined when both must fail, environment]
  const table: [string, (t: Given) => string[], string | undefined, ((t: Given) => Record<string, string>)?][] = [
    ['no flags: the current context', () => [], 'kubernetes-admin'],
    ['--as, --as-group twice, --as-uid', () => ['--as', 'jane', '--as-group', 'a', '--as-group', 'b', '--as-uid', '42'], 'jane'],
    ['--context', () => ['--context', 'sa-ctx'], `system:serviceaccount:${NS}:flag-user`],
    ['--user with a token', () => ['--user', 'sa'], `system:serviceaccount:${NS}:flag-user`],
    ['--user with certificate files', () => ['--user', 'eve'], 'eve'],
    ['--token beside a client certificate (the certificate authenticates first)', (t) => ['--token', t.sa], 'kubernetes-admin'],
    ['--token for a user without credentials', (t) => ['--user', 'none', '--token', t.sa], `system:serviceaccount:${NS}:flag-user`],
    ['--user the kubeconfig does not define', (t) => ['--user', 'nobody', '--token', t.sa], undefined],
    ['a tokenFile wins over token', () => ['--user', 'tf'], `system:serviceaccount:${NS}:flag-file`],
    ['a tokenFile wins over --token too', (t) => ['--user', 'tf', '--token', t.sa], `system:serviceaccount:${NS}:flag-file`],
    ['--client-certificate and --client-key', (t) => ['--client-certificate', t.eve.cert, '--client-key', t.eve.key], 'eve'],
    ['a CA that did not sign the server', () => ['--context', 'bad'], undefined],
    ['--insecure-skip-tls-verify over a wrong CA', () => ['--context', 'bad', '--insecure-skip-tls-verify'], 'kubernetes-admin'],
    ['--certificate-authority over a wrong CA', (t) => ['--context', 'bad', '--certificate-authority', t.ca], 'kubernetes-admin'],
    ['--cluster with insecure-skip-tls-verify', () => ['--cluster', 'insecure'], 'kubernetes-admin'],
    ['-s with a name the certificate lists', (t) => ['-s', `https://localhost:${t.port}`], 'kubernetes-admin'],
    ['-s with --tls-server-name the certificate does not list', (t) => ['-s', `https://localhost:${t.port}`, '--tls-server-name', 'wrong.example'], undefined],
    ['--tls-server-name the certificate lists', () => ['--tls-server-name', 'kubernetes'], 'kubernetes-admin'],
    ['-s without a scheme (plain http to a TLS port)', (t) => ['-s', `127.0.0.1:${t.port}`], undefined],
    ['--as-group without --as', () => ['--as-group', 'x'], undefined],
    [
      'no kubeconfig at all: --server, --insecure-skip-tls-verify, --token',
      (t) => ['--server', t.server, '--insecure-skip-tls-verify', '--token', t.sa],
      `system:serviceaccount:${NS}:flag-user`,
      () => ({ KUBECONFIG: '/nonexistent/kubeconfig' }),
    ],
    [
      'no CA in the kubeconfig, the CA in the system store (SSL_CERT_FILE)',
      () => ['--context', 'system-ctx'],
      'kubernetes-admin',
      (t) => ({ KUBECONFIG: t.kubeconfig, SSL_CERT_FILE: t.ca }),
    ],
    ['no CA in the kubeconfig, the CA not in the system store', () => ['--context', 'system-ctx'], undefined],
  ];
  for (const [what, flags, user, env] of table) {
    it(`${what}: ${user ?? 'both fail'}`, async () => {
      const given = { port, sa: saToken, eve, ca: caFile, server: c.server, kubeconfig: multi };
      const f = flags(given);
      const e = env?.(given) ?? { KUBECONFIG: multi };
      const [mine, theirs] = await Promise.all([oursFor(f, e), kubectlFor(f, e)]);
      if (user === undefined) {
        assert.equal(mine.ok, false, `ours should fail: ${JSON.stringify(mine)}`);
        assert.equal(theirs.ok, false, `kubectl should fail: ${JSON.stringify(theirs)}`);
        assert.match(mine.error ?? '', /^error: [^\n]+\n$/, 'one line');
        return;
      }
      assert.equal(theirs.ok, true, theirs.error);
      assert.equal(mine.ok, true, mine.error);
      assert.deepEqual(mine.userInfo, theirs.userInfo);
      assert.equal((mine.userInfo as { username: string }).username, user);
    });
  }

  it('an untrusted server certificate says how to fix trust', async () => {
    const system = await oursFor(['--context', 'system-ctx'], { KUBECONFIG: multi });
    assert.match(
      system.error ?? '',
      /^error: cannot reach the cluster at https:\/\/[\d.]+:\d+ \(context "system-ctx"\): the server's certificate cannot be verified; it is not signed by an authority in \/etc\/ssl\/certs\/ca-certificates\.crt; set certificate-authority \(or certificate-authority-data\) for the cluster in the kubeconfig, or pass --certificate-authority, or add the CA to NODE_EXTRA_CA_CERTS or to the system store\n$/,
    );
    const wrong = await oursFor(['--context', 'bad'], { KUBECONFIG: multi });
    assert.match(
      wrong.error ?? '',
      /it is not signed by the certificate authority the kubeconfig gives for cluster "badca"; set certificate-authority .* with the CA that signed it\n$/,
    );
    const name = await oursFor(['-s', `https://localhost:${port}`, '--tls-server-name', 'wrong.example'], { KUBECONFIG: multi });
    assert.match(name.error ?? '', /does not match its address; set tls-server-name for the cluster in the kubeconfig \(or pass --tls-server-name\)/);
  });

  it('--request-timeout reaches the server as kubectl sends it (?timeout=)', async () => {
    const mine = await oursFor(['--request-timeout', '1500ms'], { KUBECONFIG: multi });
    const k = await execa(
      bin('kubectl'),
      ['--request-timeout', '1500ms', 'create', '--raw', '/apis/authentication.k8s.io/v1/selfsubjectreviews', '-f', '-', '-v=6'],
      {
        reject: false,
        input: '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}',
        env: { HOME: dir, KUBECONFIG: multi },
        extendEnv: false,
      },
    );
    assert.equal(k.exitCode, 0, k.stderr);
    const theirs = /url="([^"]+)"/.exec(k.stderr)?.[1] ?? '';
    assert.equal(new URL(theirs).searchParams.get('timeout'), '1.5s');
    assert.equal(new URL(mine.url ?? '').searchParams.get('timeout'), '1.5s');
  });

  it('the context, cluster and user picked are what kubectl config view --minify --raw shows', async () => {
    for (const context of ['main', 'sa-ctx', 'bad']) {
      const r = await runInProcess(
        definePlugin({
          name: 'view-test',
          summary: 'test',
          examples: [],
          commands: [
            defineCommand<object>({
              command: 'view',
              describe: 'minified',
              options: () => ({}),
              run: async (ctx) => void ctx.stdout.write(JSON.stringify(ctx.config().minified)),
            }),
          ],
        }),
        ['view', '--context', context],
        { KUBECONFIG: multi, HOME: dir },
      );
      assert.equal(r.code, 0, r.stderr);
      const mine = JSON.parse(r.stdout) as { clusters: unknown[]; users: unknown[]; contexts: { context: Record<string, string> }[] };
      const k = await execa(bin('kubectl'), ['config', 'view', '--minify', '--raw', '--context', context], {
        env: { HOME: dir, KUBECONFIG: multi },
        extendEnv: false,
      });
      const theirs = yaml.load(k.stdout) as typeof mine;
      // Our reading keeps every scalar a string (as client-go's string fields do): compare as text.
      const text = (v: unknown) =>
        JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'boolean' || typeof x === 'number' ? String(x) : x))) as unknown;
      assert.deepEqual(text(mine.clusters), text(theirs.clusters), context);
      assert.deepEqual(text(mine.users), text(theirs.users), context);
      const { namespace: _ns, ...ctx } = mine.contexts[0].context;
      const { namespace: _theirNs, ...theirCtx } = theirs.contexts[0].context;
      assert.deepEqual(ctx, theirCtx, context);
    }
  });
});

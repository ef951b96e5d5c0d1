import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionFor, type ConnectionDeps, type ExecRunner } from '../../shared/kube/credentials.js';
import { resolveKubeconfig } from '../../shared/kube/kubeconfig.js';
import { ConfigError } from '../../shared/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'creds-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'ca.crt'), 'CA-PEM');
writeFileSync(join(dir, 'token'), 'file-token\n');
const b64 = (s: string) => Buffer.from(s).toString('base64');

function config(cluster: string, user: string, flags = {}) {
  return resolveKubeconfig(
    [
      {
        path: join(dir, 'config'),
        content: `clusters: [{name: c, cluster: ${cluster}}]\nusers: [{name: u, user: ${user}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
      },
    ],
    flags,
  );
}
const noExec: ExecRunner = async () => {
  throw new Error('not expected');
};
/** A fake clock and an exec runner that records what it was given. */
function deps(over: Partial<ConnectionDeps> = {}): ConnectionDeps {
  return { env: {}, run: noExec, stdinTerminal: false, now: () => 0, ...over };
}
const headers = async (cfg: ReturnType<typeof config>, d = deps()) => (await connectionFor(cfg, d).auth.current()).headers;

describe('credentials from the kubeconfig', () => {
  it('inline CA and client certificate, TLS server name', async () => {
    const c = connectionFor(
      config(
        `{server: "https://k:6443/", certificate-authority-data: ${b64('CA')}, tls-server-name: api.internal}`,
        `{client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')}}`,
      ),
      deps(),
    );
    assert.equal(c.server, 'https://k:6443');
    assert.deepEqual(c.tls, { ca: ['CA'], rejectUnauthorized: true, servername: 'api.internal', cert: 'CERT', key: 'KEY' });
    assert.equal(c.trust.source, 'kubeconfig');
    assert.deepEqual(await c.auth.current(), { headers: {} });
  });

  it('CA file relative to the kubeconfig; insecure-skip-tls-verify (YAML 1.1 spellings) without a CA', async () => {
    assert.deepEqual(connectionFor(config('{server: "https://k", certificate-authority: ca.crt}', '{}'), deps()).tls.ca, ['CA-PEM']);
    for (const yes of ['true', 'yes', 'on', 'True']) {
      const c = connectionFor(config(`{server: "https://k", insecure-skip-tls-verify: ${yes}}`, '{}'), deps());
      assert.equal(c.tls.rejectUnauthorized, false, yes);
    }
    assert.throws(
      () => connectionFor(config('{server: "https://k", insecure-skip-tls-verify: maybe}', '{}'), deps()),
      /insecure-skip-tls-verify .* must be true or false/,
    );
  });

  it('tokenFile wins over token (as in client-go), and a missing file falls back to the token', async () => {
    assert.deepEqual(await headers(config('{server: "https://k"}', '{tokenFile: token, token: inline}')), { Authorization: 'Bearer file-token' });
    assert.deepEqual(await headers(config('{server: "https://k"}', '{tokenFile: missing, token: inline}')), { Authorization: 'Bearer inline' });
    await assert.rejects(headers(config('{server: "https://k"}', '{tokenFile: missing}')), /cannot read the tokenFile .*missing of user "u": ENOENT/);
  });

  it('a rotated token file is read again after a minute, and at once after a 401', async () => {
    const file = join(dir, 'rotating');
    writeFileSync(file, 'one');
    let now = 0;
    const auth = connectionFor(config('{server: "https://k"}', `{tokenFile: ${file}}`), deps({ now: () => now })).auth;
    const first = await auth.current();
    assert.equal(first.headers['Authorization'], 'Bearer one');
    writeFileSync(file, 'two');
    now = 30_000;
    assert.equal((await auth.current()).headers['Authorization'], 'Bearer one', 'cached within the period');
    now = 50_000;
    assert.equal((await auth.current()).headers['Authorization'], 'Bearer two', 're-read after 50 s (a minute less leeway)');
    writeFileSync(file, 'three');
    const used = await auth.current();
    assert.equal(await auth.refresh(used), true, 'a new token is worth a retry');
    assert.equal((await auth.current()).headers['Authorization'], 'Bearer three');
    assert.equal(await auth.refresh(await auth.current()), false, 'the same token again is not');
    unlinkSync(file);
    now = 200_000;
    assert.equal((await auth.current()).headers['Authorization'], 'Bearer three', 'the last token read is kept when the file goes away');
  });

  it('bearer token and basic auth together are refused, as kubectl refuses them; basic auth alone', async () => {
    assert.throws(
      () => connectionFor(config('{server: "https://k"}', '{token: t, username: a, password: b}'), deps()),
      (e: Error) => e instanceof ConfigError && /user "u" has more than one authentication method \(token and username\/password\); keep one/.test(e.message),
    );
    assert.deepEqual(await headers(config('{server: "https://k"}', '{username: admin, password: s3cret}')), { Authorization: `Basic ${b64('admin:s3cret')}` });
  });

  it('a client certificate without its key, or a key without its certificate, is an error', () => {
    assert.throws(
      () => connectionFor(config('{server: "https://k"}', `{client-certificate-data: ${b64('C')}}`), deps()),
      /has a client certificate but no client-key/,
    );
    assert.throws(() => connectionFor(config('{server: "https://k"}', '{client-key: k.pem}'), deps()), /has a client key but no client-certificate/);
    assert.throws(
      () => connectionFor(config('{server: "https://k"}', `{client-certificate: c.pem, client-certificate-data: ${b64('C')}, client-key: k}`), deps()),
      /both client-certificate and client-certificate-data/,
    );
  });

  it('insecure-skip-tls-verify with a CA, or CA file and data together, are refused as kubectl refuses them', () => {
    assert.throws(
      () => connectionFor(config(`{server: "https://k", insecure-skip-tls-verify: true, certificate-authority-data: ${b64('CA')}}`, '{}'), deps()),
      /cluster "c" sets insecure-skip-tls-verify and a certificate authority; remove one/,
    );
    assert.throws(
      () => connectionFor(config(`{server: "https://k", certificate-authority: ca.crt, certificate-authority-data: ${b64('CA')}}`, '{}'), deps()),
      /both certificate-authority and certificate-authority-data/,
    );
  });

  it('a missing certificate file is named', () => {
    assert.throws(
      () => connectionFor(config('{server: "https://k", certificate-authority: missing.crt}', '{}'), deps()),
      /cannot read the certificate authority .*missing\.crt named in the kubeconfig: ENOENT/,
    );
  });

  it('impersonation from the kubeconfig (as, as-groups, as-uid, as-user-extra); groups without a user are refused', async () => {
    const c = connectionFor(
      config('{server: "https://k"}', '{token: t, as: jane, as-groups: [ops, dev], as-uid: "42", as-user-extra: {scopes.io/x: [a, b]}}'),
      deps(),
    );
    assert.deepEqual(c.impersonation, {
      'Impersonate-User': 'jane',
      'Impersonate-Uid': '42',
      'Impersonate-Group': ['ops', 'dev'],
      'Impersonate-Extra-scopes.io%2Fx': ['a', 'b'],
    });
    assert.throws(
      () => connectionFor(config('{server: "https://k"}', '{as-groups: [ops]}'), deps()),
      /impersonated groups, uid or extras without a user to impersonate/,
    );
  });

  it('a server without a scheme is plain http, as client-go treats it, and gets no credentials', async () => {
    const c = connectionFor(config('{server: "10.0.0.1:6443"}', '{token: 12345, as: jane}'), deps());
    assert.equal(c.server, 'http://10.0.0.1:6443');
    assert.equal(c.secure, false);
    assert.deepEqual(await c.auth.current(), { headers: {} });
    assert.deepEqual(c.impersonation, { 'Impersonate-User': 'jane' });
  });

  it('numeric-looking values stay strings', async () => {
    assert.deepEqual(await headers(config('{server: "https://k"}', '{token: 12345}')), { Authorization: 'Bearer 12345' });
    const ns = resolveKubeconfig(
      [
        {
          path: '/k',
          content:
            'clusters: [{name: c, cluster: {server: s}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: "1", context: {cluster: c, user: u, namespace: 007}}]\ncurrent-context: 1\n',
        },
      ],
      {},
    );
    assert.equal(ns.namespace, '007');
    assert.equal(ns.contextName, '1');
  });

  it('legacy auth-providers: gcp and azure were removed from kubectl; oidc is kept', () => {
    assert.throws(
      () => connectionFor(config('{server: "https://k"}', '{auth-provider: {name: gcp}}'), deps()),
      /gcp auth-provider was removed .*gke-gcloud-auth-plugin/,
    );
    assert.throws(
      () => connectionFor(config('{server: "https://k"}', '{auth-provider: {name: azure}}'), deps()),
      /azure auth-provider was removed .*kubelogin/,
    );
    assert.throws(
      () => connectionFor(config('{server: "https://k"}', '{auth-provider: {name: keystone}}'), deps()),
      /auth-provider "keystone", which kubectl does not know/,
    );
  });

  it('an oidc auth-provider sends its id-token while the token has not expired (client-node does it)', async function () {
    this.timeout(20_000);
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${part({ alg: 'RS256' })}.${part({ sub: 'jane', exp: Math.floor(Date.now() / 1000) + 3600 })}.c2ln`;
    const c = connectionFor(
      config('{server: "https://k"}', `{auth-provider: {name: oidc, config: {client-id: kube, id-token: "${jwt}", idp-issuer-url: "https://idp"}}}`),
      deps(),
    );
    assert.deepEqual(await c.auth.current(), { headers: { Authorization: `Bearer ${jwt}` } });
  });
});

describe('system trust when the kubeconfig names no CA', () => {
  it('reads SSL_CERT_FILE (as Go does) and adds NODE_EXTRA_CA_CERTS; a kubeconfig CA replaces both', () => {
    writeFileSync(join(dir, 'bundle.pem'), '-----BEGIN CERTIFICATE-----\nSYSTEM\n-----END CERTIFICATE-----\n');
    writeFileSync(join(dir, 'extra.pem'), 'EXTRA');
    const env = { SSL_CERT_FILE: join(dir, 'bundle.pem'), NODE_EXTRA_CA_CERTS: join(dir, 'extra.pem') };
    const c = connectionFor(config('{server: "https://k"}', '{}'), deps({ env }));
    assert.equal(c.trust.source, 'system');
    assert.equal(c.trust.where, join(dir, 'bundle.pem'));
    assert.deepEqual(c.tls.ca, ['-----BEGIN CERTIFICATE-----\nSYSTEM\n-----END CERTIFICATE-----\n', 'EXTRA']);
    const own = connectionFor(config('{server: "https://k", certificate-authority: ca.crt}', '{}'), deps({ env }));
    assert.deepEqual(own.tls.ca, ['CA-PEM']);
  });
});

describe('exec credential plugins', () => {
  const execUser = (extra = '') =>
    `{exec: {apiVersion: client.authentication.k8s.io/v1, command: aws, args: [eks, get-token, --cluster-name, prod], env: [{name: AWS_PROFILE, value: ops}], interactiveMode: IfAvailable${extra}}}`;
  const credential = (status: Record<string, unknown>) => JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status });

  it('arguments, env and KUBERNETES_EXEC_INFO in; token out; interactive only when stdin is a terminal', async () => {
    const seen: { command: string; args: string[]; env: Record<string, string>; interactive: boolean }[] = [];
    const run: ExecRunner = async (command, args, env, interactive) => {
      seen.push({ command, args, env, interactive });
      return credential({ token: 'from-plugin' });
    };
    assert.deepEqual(await headers(config('{server: "https://k"}', execUser()), deps({ run })), { Authorization: 'Bearer from-plugin' });
    assert.equal(seen[0].command, 'aws');
    assert.deepEqual(seen[0].args, ['eks', 'get-token', '--cluster-name', 'prod']);
    assert.equal(seen[0].env['AWS_PROFILE'], 'ops');
    assert.deepEqual(JSON.parse(seen[0].env['KUBERNETES_EXEC_INFO']), {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: { interactive: false },
    });
    await headers(config('{server: "https://k"}', execUser()), deps({ run, stdinTerminal: true }));
    assert.equal(seen[1].interactive, true);
    assert.equal((JSON.parse(seen[1].env['KUBERNETES_EXEC_INFO']) as { spec: { interactive: boolean } }).spec.interactive, true);
    await headers(config('{server: "https://k"}', execUser().replace('IfAvailable', 'Never')), deps({ run, stdinTerminal: true }));
    assert.equal(seen[2].interactive, false);
  });

  it('interactiveMode Always without a terminal is refused in one line; v1 requires interactiveMode', async () => {
    await assert.rejects(
      headers(config('{server: "https://k"}', execUser().replace('IfAvailable', 'Always')), deps({ run: async () => credential({ token: 't' }) })),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message ===
          'the credential plugin "aws" for user "u" must ask on a terminal (interactiveMode: Always), but standard input is not a terminal; run the command from a terminal, or log in with the plugin first',
    );
    assert.throws(
      () => connectionFor(config('{server: "https://k"}', '{exec: {apiVersion: client.authentication.k8s.io/v1, command: x}}'), deps()),
      /has no interactiveMode/,
    );
    assert.throws(() => connectionFor(config('{server: "https://k"}', '{exec: {command: x}}'), deps()), /has no apiVersion/);
    assert.doesNotThrow(() => connectionFor(config('{server: "https://k"}', '{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: x}}'), deps()));
  });

  it('provideClusterInfo passes the cluster as client-go builds it, its exec extension with YAML types', async () => {
    let info: unknown;
    const run: ExecRunner = async (_c, _a, env) => {
      info = JSON.parse(env['KUBERNETES_EXEC_INFO']);
      return credential({ token: 't' });
    };
    const cluster = `{server: "https://k:6443", certificate-authority-data: ${b64('CA')}, tls-server-name: api, proxy-url: "http://p:3128", disable-compression: true, extensions: [{name: client.authentication.k8s.io/exec, extension: {audience: kube, retries: 3, on: true}}]}`;
    await headers(config(cluster, execUser(', provideClusterInfo: true')), deps({ run }));
    assert.deepEqual(info, {
      kind: 'ExecCredential',
      apiVersion: 'client.authentication.k8s.io/v1',
      spec: {
        cluster: {
          server: 'https://k:6443',
          'tls-server-name': 'api',
          'certificate-authority-data': b64('CA'),
          'proxy-url': 'http://p:3128',
          'disable-compression': true,
          config: { audience: 'kube', retries: 3, on: true },
        },
        interactive: false,
      },
    });
  });

  it('keeps the credential until its expirationTimestamp, runs again after it and after a 401, one run at a time', async () => {
    let runs = 0;
    let now = Date.parse('2030-01-01T00:00:00Z');
    const run: ExecRunner = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 5));
      return credential({ token: `t${runs}`, expirationTimestamp: new Date(now + 60_000).toISOString() });
    };
    const auth = connectionFor(config('{server: "https://k"}', execUser()), deps({ run, now: () => now })).auth;
    const [a, b] = await Promise.all([auth.current(), auth.current()]);
    assert.equal(runs, 1, 'concurrent requests share one run');
    assert.equal(a, b);
    now += 59_000;
    assert.equal((await auth.current()).headers['Authorization'], 'Bearer t1');
    now += 2_000;
    assert.equal((await auth.current()).headers['Authorization'], 'Bearer t2', 'expired: run again');
    const used = await auth.current();
    assert.equal(await auth.refresh(used), true);
    assert.equal(runs, 3, 'a 401 runs the plugin again');
    assert.equal((await auth.current()).headers['Authorization'], 'Bearer t3');
    assert.equal(await auth.refresh(used), true, 'already rotated by another request: retry without running it');
    assert.equal(runs, 3);
  });

  it('a client certificate from the plugin; only one of certificate and key is an error', async () => {
    const c = await connectionFor(
      config('{server: "https://k"}', execUser()),
      deps({ run: async () => credential({ clientCertificateData: 'C', clientKeyData: 'K' }) }),
    ).auth.current();
    assert.deepEqual(c, { headers: {}, cert: { cert: 'C', key: 'K' } });
    await assert.rejects(
      connectionFor(config('{server: "https://k"}', execUser()), deps({ run: async () => credential({ clientCertificateData: 'C' }) })).auth.current(),
      /printed only a client certificate or only its key/,
    );
  });

  it('skipped when the kubeconfig already authenticates (token or client certificate), as client-go skips it', async () => {
    assert.deepEqual(await headers(config('{server: "https://k"}', execUser().replace('{exec:', '{token: t, exec:'))), { Authorization: 'Bearer t' });
  });

  it('a failing or silent plugin is one clear line with the install hint; a wrong apiVersion is named', async () => {
    const failing: ExecRunner = async () => {
      throw new Error('spawn kubelogin ENOENT');
    };
    const user = '{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: kubelogin, installHint: "install kubelogin from your package manager"}}';
    await assert.rejects(
      connectionFor(config('{server: "https://k"}', user), deps({ run: failing })).auth.current(),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message === 'the credential plugin "kubelogin" for user "u" failed: spawn kubelogin ENOENT; install kubelogin from your package manager',
    );
    await assert.rejects(connectionFor(config('{server: "https://k"}', user), deps({ run: async () => '{}' })).auth.current(), /printed apiVersion ""/);
    await assert.rejects(
      connectionFor(config('{server: "https://k"}', user), deps({ run: async () => credential({ token: 't' }) })).auth.current(),
      /printed apiVersion "client.authentication.k8s.io\/v1", but the kubeconfig says client.authentication.k8s.io\/v1beta1/,
    );
  });

  it('a failing plugin never prints its arguments (they may hold secrets)', async () => {
    const failing: ExecRunner = async () => {
      throw Object.assign(new Error('Command failed with exit code 1: kubelogin get-token --oidc-client-secret=S3CRET'), { exitCode: 1 });
    };
    await assert.rejects(
      connectionFor(
        config(
          '{server: "https://k"}',
          '{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: kubelogin, args: [get-token, --oidc-client-secret=S3CRET]}}',
        ),
        deps({ run: failing }),
      ).auth.current(),
      (e: Error) => {
        assert.equal(e.message, 'the credential plugin "kubelogin" for user "u" failed: failed with exit code 1');
        return true;
      },
    );
  });
});

describe('in-cluster configuration', () => {
  it('uses the pod service account when there is no kubeconfig', async () => {
    const { inClusterConfig } = await import('../../shared/kube/kubeconfig.js');
    const sa = mkdtempSync(join(dir, 'sa-'));
    writeFileSync(join(sa, 'token'), 'pod-token');
    writeFileSync(join(sa, 'namespace'), 'ci\n');
    writeFileSync(join(sa, 'ca.crt'), 'POD-CA');
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    const r = inClusterConfig({}, env, sa)!;
    assert.equal(r.server, 'https://10.96.0.1:443');
    assert.equal(r.namespace, 'ci');
    assert.equal(inClusterConfig({ namespace: 'other' }, env, sa)!.namespace, 'other');
    const c = connectionFor(r, deps());
    assert.deepEqual((await c.auth.current()).headers, { Authorization: 'Bearer pod-token' });
    assert.deepEqual(c.tls.ca, ['POD-CA']);
    assert.equal(inClusterConfig({}, {}, sa), undefined, 'outside a pod');
    assert.equal(inClusterConfig({}, env, join(sa, 'missing')), undefined, 'no service account mounted');
  });
});

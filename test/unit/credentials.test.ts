import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionFor, needsClientNode, type ExecRunner } from '../../shared/kube/credentials.js';
import { resolveKubeconfig } from '../../shared/kube/kubeconfig.js';
import { ConfigError } from '../../shared/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'creds-'));
writeFileSync(join(dir, 'ca.crt'), 'CA-PEM');
writeFileSync(join(dir, 'token'), 'file-token\n');
const b64 = (s: string) => Buffer.from(s).toString('base64');

function config(cluster: string, user: string) {
  return resolveKubeconfig(
    [
      {
        path: join(dir, 'config'),
        content: `clusters: [{name: c, cluster: ${cluster}}]\nusers: [{name: u, user: ${user}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
      },
    ],
    {},
  );
}
const noExec: ExecRunner = async () => {
  throw new Error('not expected');
};

describe('credentials from the kubeconfig', () => {
  it('inline CA and client certificate, TLS server name', async () => {
    const c = await connectionFor(
      config(
        `{server: "https://k:6443/", certificate-authority-data: ${b64('CA')}, tls-server-name: api.internal}`,
        `{client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')}}`,
      ),
      noExec,
    );
    assert.deepEqual(c, {
      server: 'https://k:6443',
      tls: { ca: 'CA', rejectUnauthorized: true, servername: 'api.internal', cert: 'CERT', key: 'KEY' },
      headers: {},
    });
  });

  it('CA file relative to the kubeconfig, token file re-read, insecure-skip-tls-verify', async () => {
    const c = await connectionFor(config('{server: "https://k", certificate-authority: ca.crt, insecure-skip-tls-verify: true}', '{tokenFile: token}'), noExec);
    assert.equal(c.tls.ca, 'CA-PEM');
    assert.equal(c.tls.rejectUnauthorized, false);
    assert.deepEqual(c.headers, { Authorization: 'Bearer file-token' });
  });

  it('bearer token wins over basic auth; basic auth when alone', async () => {
    assert.deepEqual((await connectionFor(config('{server: "https://k"}', '{token: t, username: a, password: b}'), noExec)).headers, {
      Authorization: 'Bearer t',
    });
    assert.deepEqual((await connectionFor(config('{server: "https://k"}', '{username: admin, password: s3cret}'), noExec)).headers, {
      Authorization: `Basic ${b64('admin:s3cret')}`,
    });
  });

  it('exec plugins: arguments, env and KUBERNETES_EXEC_INFO in; token or certificate out', async () => {
    let seen: { command: string; args: string[]; env: Record<string, string> } | undefined;
    const run: ExecRunner = async (command, args, env) => {
      seen = { command, args, env };
      return JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'from-plugin' } });
    };
    const c = await connectionFor(
      config(
        '{server: "https://k"}',
        '{exec: {apiVersion: client.authentication.k8s.io/v1, command: aws, args: [eks, get-token, --cluster-name, prod], env: [{name: AWS_PROFILE, value: ops}], interactiveMode: Never}}',
      ),
      run,
      true,
    );
    assert.deepEqual(c.headers, { Authorization: 'Bearer from-plugin' });
    assert.equal(seen?.command, 'aws');
    assert.deepEqual(seen?.args, ['eks', 'get-token', '--cluster-name', 'prod']);
    assert.equal(seen?.env['AWS_PROFILE'], 'ops');
    assert.deepEqual(JSON.parse(seen.env['KUBERNETES_EXEC_INFO']), {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: { interactive: false },
    });
  });

  it('a failing or silent plugin is one clear line with the install hint', async () => {
    const failing: ExecRunner = async () => {
      throw new Error('spawn kubelogin ENOENT');
    };
    await assert.rejects(
      connectionFor(config('{server: "https://k"}', '{exec: {command: kubelogin, installHint: "install kubelogin from your package manager"}}'), failing),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message === 'the credential plugin "kubelogin" for user "u" failed: spawn kubelogin ENOENT; install kubelogin from your package manager',
    );
    await assert.rejects(
      connectionFor(config('{server: "https://k"}', '{exec: {command: x}}'), async () => '{}'),
      /did not print an ExecCredential/,
    );
  });

  it('a missing certificate file is named', async () => {
    await assert.rejects(
      connectionFor(config('{server: "https://k", certificate-authority: missing.crt}', '{}'), noExec),
      /cannot read the certificate authority .*missing\.crt named in the kubeconfig: ENOENT/,
    );
  });

  it('legacy auth-provider entries and proxy-url go to client-node', () => {
    assert.equal(needsClientNode(config('{server: "https://k"}', '{auth-provider: {name: oidc}}')), true);
    assert.equal(needsClientNode(config('{server: "https://k", proxy-url: "http://proxy:3128"}', '{token: t}')), true);
    assert.equal(needsClientNode(config('{server: "https://k"}', '{token: t}')), false);
  });
});

describe('more kubeconfig credentials', () => {
  it('impersonation from the kubeconfig (as, as-groups, as-uid)', async () => {
    const c = await connectionFor(config('{server: "https://k"}', '{token: t, as: jane, as-groups: [ops, dev], as-uid: "42"}'), noExec);
    assert.deepEqual(c.headers, { Authorization: 'Bearer t', 'Impersonate-User': 'jane', 'Impersonate-Uid': '42', 'Impersonate-Group': ['ops', 'dev'] });
  });

  it('a server without a scheme is https; numeric-looking values stay strings', async () => {
    const c = await connectionFor(config('{server: "10.0.0.1:6443"}', '{token: 12345}'), noExec);
    assert.equal(c.server, 'https://10.0.0.1:6443');
    assert.deepEqual(c.headers, { Authorization: 'Bearer 12345' });
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

  it('a failing plugin never prints its arguments (they may hold secrets)', async () => {
    const failing: ExecRunner = async () => {
      throw Object.assign(new Error('Command failed with exit code 1: kubelogin get-token --oidc-client-secret=S3CRET'), { exitCode: 1 });
    };
    await assert.rejects(
      connectionFor(config('{server: "https://k"}', '{exec: {command: kubelogin, args: [get-token, --oidc-client-secret=S3CRET]}}'), failing),
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
    const sa = mkdtempSync(join(tmpdir(), 'sa-'));
    writeFileSync(join(sa, 'token'), 'pod-token');
    writeFileSync(join(sa, 'namespace'), 'ci\n');
    writeFileSync(join(sa, 'ca.crt'), 'POD-CA');
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    const r = inClusterConfig({}, env, sa)!;
    assert.equal(r.server, 'https://10.96.0.1:443');
    assert.equal(r.namespace, 'ci');
    assert.equal(inClusterConfig({ namespace: 'other' }, env, sa)!.namespace, 'other');
    const c = await connectionFor(r, noExec);
    assert.deepEqual(c.headers, { Authorization: 'Bearer pod-token' });
    assert.equal(c.tls.ca, 'POD-CA');
    assert.equal(inClusterConfig({}, {}, sa), undefined, 'outside a pod');
    assert.equal(inClusterConfig({}, env, join(sa, 'missing')), undefined, 'no service account mounted');
  });
});

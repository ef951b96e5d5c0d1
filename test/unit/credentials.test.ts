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
  return resolveKubeconfig([{ path: join(dir, 'config'), content: `clusters: [{name: c, cluster: ${cluster}}]\nusers: [{name: u, user: ${user}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n` }], {});
}
const noExec: ExecRunner = async () => {
  throw new Error('not expected');
};

describe('credentials from the kubeconfig', () => {
  it('inline CA and client certificate, TLS server name', async () => {
    const c = await connectionFor(config(`{server: "https://k:6443/", certificate-authority-data: ${b64('CA')}, tls-server-name: api.internal}`, `{client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')}}`), noExec);
    assert.deepEqual(c, { server: 'https://k:6443', tls: { ca: 'CA', rejectUnauthorized: true, servername: 'api.internal', cert: 'CERT', key: 'KEY' }, headers: {} });
  });

  it('CA file relative to the kubeconfig, token file re-read, insecure-skip-tls-verify', async () => {
    const c = await connectionFor(config('{server: "https://k", certificate-authority: ca.crt, insecure-skip-tls-verify: true}', '{tokenFile: token}'), noExec);
    assert.equal(c.tls.ca, 'CA-PEM');
    assert.equal(c.tls.rejectUnauthorized, false);
    assert.deepEqual(c.headers, { Authorization: 'Bearer file-token' });
  });

  it('bearer token wins over basic auth; basic auth when alone', async () => {
    assert.deepEqual((await connectionFor(config('{server: "https://k"}', '{token: t, username: a, password: b}'), noExec)).headers, { Authorization: 'Bearer t' });
    assert.deepEqual((await connectionFor(config('{server: "https://k"}', '{username: admin, password: s3cret}'), noExec)).headers, { Authorization: `Basic ${b64('admin:s3cret')}` });
  });

  it('exec plugins: arguments, env and KUBERNETES_EXEC_INFO in; token or certificate out', async () => {
    let seen: { command: string; args: string[]; env: Record<string, string> } | undefined;
    const run: ExecRunner = async (command, args, env) => {
      seen = { command, args, env };
      return JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'from-plugin' } });
    };
    const c = await connectionFor(
      config('{server: "https://k"}', '{exec: {apiVersion: client.authentication.k8s.io/v1, command: aws, args: [eks, get-token, --cluster-name, prod], env: [{name: AWS_PROFILE, value: ops}], interactiveMode: Never}}'),
      run,
      true,
    );
    assert.deepEqual(c.headers, { Authorization: 'Bearer from-plugin' });
    assert.equal(seen?.command, 'aws');
    assert.deepEqual(seen?.args, ['eks', 'get-token', '--cluster-name', 'prod']);
    assert.equal(seen?.env['AWS_PROFILE'], 'ops');
    assert.deepEqual(JSON.parse(seen!.env['KUBERNETES_EXEC_INFO']!), { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive: false } });
  });

  it('a failing or silent plugin is one clear line with the install hint', async () => {
    const failing: ExecRunner = async () => {
      throw new Error('spawn kubelogin ENOENT');
    };
    await assert.rejects(
      connectionFor(config('{server: "https://k"}', '{exec: {command: kubelogin, installHint: "install kubelogin from your package manager"}}'), failing),
      (e: Error) => e instanceof ConfigError && e.message === 'the credential plugin "kubelogin" for user "u" failed: spawn kubelogin ENOENT; install kubelogin from your package manager',
    );
    await assert.rejects(connectionFor(config('{server: "https://k"}', '{exec: {command: x}}'), async () => '{}'), /did not print an ExecCredential/);
  });

  it('a missing certificate file is named', async () => {
    await assert.rejects(connectionFor(config('{server: "https://k", certificate-authority: missing.crt}', '{}'), noExec), /cannot read the certificate authority .*missing\.crt named in the kubeconfig: ENOENT/);
  });

  it('legacy auth-provider entries and proxy-url go to client-node', () => {
    assert.equal(needsClientNode(config('{server: "https://k"}', '{auth-provider: {name: oidc}}')), true);
    assert.equal(needsClientNode(config('{server: "https://k", proxy-url: "http://proxy:3128"}', '{token: t}')), true);
    assert.equal(needsClientNode(config('{server: "https://k"}', '{token: t}')), false);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { kubeconfigPaths, loadKubeconfig, mergeKubeconfigs, resolveKubeconfig, type LoadedFile } from '../../shared/kube/kubeconfig.js';
import { ConfigError } from '../../shared/errors.js';

const fileA: LoadedFile = {
  path: '/etc/kube/a.yaml',
  content: `
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster: {server: https://dev.example:6443, certificate-authority: certs/ca.crt}
- name: shared
  cluster: {server: https://from-a.example}
users:
- name: dev-user
  user: {client-certificate: dev.crt, client-key: /abs/dev.key, tokenFile: tok}
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user, namespace: shop}
- name: nons
  context: {cluster: dev-cluster, user: dev-user}
`,
};
const fileB: LoadedFile = {
  path: '/home/me/b.yaml',
  content: `
current-context: prod
clusters:
- name: shared
  cluster: {server: https://from-b.example}
- name: prod-cluster
  cluster: {server: https://prod.example}
users:
- name: prod-user
  user: {token: secret}
contexts:
- name: prod
  context: {cluster: prod-cluster, user: prod-user}
- name: dev
  context: {cluster: shared, user: prod-user, namespace: ignored}
`,
};

describe('kubeconfig resolution (as kubectl)', () => {
  it('uses --kubeconfig alone, then KUBECONFIG (deduplicated, in order), then ~/.kube/config', () => {
    assert.deepEqual(kubeconfigPaths({ kubeconfig: '/x/k' }, { KUBECONFIG: '/a' }, '/home/u'), { paths: ['/x/k'], explicit: true });
    assert.deepEqual(kubeconfigPaths({}, { KUBECONFIG: ['/a', '', '/b', '/a'].join(delimiter) }, '/home/u'), { paths: ['/a', '/b'], explicit: false });
    assert.deepEqual(kubeconfigPaths({}, {}, '/home/u'), { paths: ['/home/u/.kube/config'], explicit: false });
    assert.deepEqual(kubeconfigPaths({}, { KUBECONFIG: '' }, '/home/u'), { paths: ['/home/u/.kube/config'], explicit: false });
  });

  it('merges files with the first definition of each name and of current-context winning', () => {
    const m = mergeKubeconfigs([fileA, fileB]);
    assert.equal(m['current-context'], 'dev');
    assert.deepEqual(
      m.clusters.map((c) => c.name),
      ['dev-cluster', 'shared', 'prod-cluster'],
    );
    assert.equal((m.clusters[1]['cluster'] as { server: string }).server, 'https://from-a.example');
    assert.deepEqual(
      m.contexts.map((c) => c.name),
      ['dev', 'nons', 'prod'],
    );
  });

  it('takes current-context from a later file when earlier files do not set it', () => {
    const noCurrent = { ...fileA, content: fileA.content.replace('current-context: dev', '') };
    assert.equal(resolveKubeconfig([noCurrent, fileB], {}).contextName, 'prod');
  });

  it('resolves namespace: -n, then the context namespace, then default', () => {
    assert.equal(resolveKubeconfig([fileA], {}).namespace, 'shop');
    assert.equal(resolveKubeconfig([fileA], { namespace: 'other' }).namespace, 'other');
    assert.equal(resolveKubeconfig([fileA], { namespace: 'other' }).namespaceFromFlag, true);
    assert.equal(resolveKubeconfig([fileA], { context: 'nons' }).namespace, 'default');
  });

  it('--context picks another context, its cluster and user', () => {
    const r = resolveKubeconfig([fileA, fileB], { context: 'prod' });
    assert.equal(r.server, 'https://prod.example');
    assert.equal(r.userName, 'prod-user');
    assert.equal(r.namespace, 'default');
    assert.deepEqual(r.files, ['/etc/kube/a.yaml', '/home/me/b.yaml']);
  });

  it('makes relative certificate and token paths absolute against the file that holds them', () => {
    const r = resolveKubeconfig([fileA], {});
    const cluster = r.minified.clusters[0]['cluster'] as Record<string, string>;
    const user = r.minified.users[0]['user'] as Record<string, string>;
    assert.equal(cluster['certificate-authority'], '/etc/kube/certs/ca.crt');
    assert.equal(user['client-certificate'], '/etc/kube/dev.crt');
    assert.equal(user['client-key'], '/abs/dev.key');
    assert.equal(user['tokenFile'], '/etc/kube/tok');
  });

  it('resolves an exec plugin path with a slash against the file; a bare command stays for PATH lookup', () => {
    const f = (cmd: string): LoadedFile => ({
      path: '/etc/kube/c',
      content: `clusters: [{name: c, cluster: {server: s}}]\nusers: [{name: u, user: {exec: {command: ${cmd}}}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
    });
    const cmd = (file: LoadedFile) => (resolveKubeconfig([file], {}).minified.users[0]['user'] as Record<string, Record<string, string>>)['exec']['command'];
    assert.equal(cmd(f('./bin/get-token')), '/etc/kube/bin/get-token');
    assert.equal(cmd(f('aws')), 'aws');
    assert.equal(cmd(f('/usr/bin/aws')), '/usr/bin/aws');
  });

  it('fails with one clear line for an unknown context, a missing cluster, no current context', () => {
    assert.throws(
      () => resolveKubeconfig([fileA], { context: 'nope' }),
      (e: Error) => e instanceof ConfigError && /context "nope" not found in \/etc\/kube\/a.yaml; known contexts: dev, nons/.test(e.message),
    );
    const broken: LoadedFile = { path: '/k', content: 'contexts: [{name: x, context: {cluster: gone, user: u}}]\ncurrent-context: x\n' };
    assert.throws(() => resolveKubeconfig([broken], {}), /refers to cluster "gone"/);
    assert.throws(() => resolveKubeconfig([{ path: '/e', content: '' }], {}), /no current context is set in \/e; pass --context/);
    assert.throws(() => resolveKubeconfig([{ path: '/y', content: 'a: [' }], {}), /not valid YAML/);
  });

  it('reads files: a missing --kubeconfig is an error, a missing KUBECONFIG entry is skipped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    const a = join(dir, 'a');
    writeFileSync(a, fileB.content);
    assert.throws(() => loadKubeconfig({ kubeconfig: join(dir, 'missing') }, {}), /kubeconfig file .*missing does not exist/);
    const r = loadKubeconfig({}, { KUBECONFIG: [join(dir, 'missing'), a].join(delimiter) });
    assert.equal(r.contextName, 'prod');
    assert.deepEqual(r.files, [a]);
    assert.throws(() => loadKubeconfig({}, { HOME: dir }), /no kubeconfig found \(looked in .*\.kube\/config\); set KUBECONFIG or pass --kubeconfig/);
  });
});

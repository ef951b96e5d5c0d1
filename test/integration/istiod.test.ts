// A real istiod against the test cluster: Istio's validation through the API server, its CA's root in
// every namespace, its service registry, the files istioctl writes for a VM, and its cluster list.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { execa } from 'execa';
import { bin } from '../harness/binaries.js';
import { generateManifest, parseManifests, renderInstall, type InstallValues } from '../harness/istio-install.js';
import { sharedMeshCluster } from '../support/fixture.js';
import { parseClusterEnv, workloadEntryConfigure, WORKLOAD_ENTRY_FILES } from '../support/istioctl-oracle.js';
import { until, type Cluster } from '../harness/cluster.js';
import { istioRootCert, type Istiod, type IstioEndpoint } from '../harness/istiod.js';

describe('istiod in the test control plane', function () {
  this.timeout(120_000);
  let c: Cluster;
  let istiod: Istiod;

  before(async () => {
    c = await sharedMeshCluster();
    istiod = c.istiod!;
    console.log(`      istiod ready ${istiod.state.startupMs} ms after its start; cluster and istiod ready in ${c.state.startupMs} ms`);
  });

  it('runs pilot-discovery built from the same Istio module as istioctl and pilot-agent', async () => {
    const version = async (b: 'pilot-discovery' | 'pilot-agent' | 'istioctl') =>
      (await execa(bin(b), b === 'istioctl' ? ['version', '--remote=false', '--short'] : ['version', '--short'], { stdin: 'ignore' })).stdout.trim();
    const [discovery, agent, ctl] = await Promise.all([version('pilot-discovery'), version('pilot-agent'), version('istioctl')]);
    assert.match(discovery, /^client version: v0\.0\.0-\d{14}-[0-9a-f]{12}$/);
    assert.equal(agent, discovery);
    assert.equal(ctl, discovery);
    assert.ok(istiod.running());
  });

  it("renders an install through stand-ins exactly as istioctl renders it for the cluster's own values", async () => {
    const cases: InstallValues[] = [
      {
        profile: 'minimal',
        clusterName: 'east-1',
        network: 'net-a',
        meshID: 'mesh1',
        trustDomain: 'cluster.local',
        validationURL: 'https://127.0.0.1:40123/validate',
        externalIstiod: true,
      },
      {
        profile: 'remote',
        clusterName: 'edge',
        network: 'net-b',
        meshID: 'mesh1',
        trustDomain: 'cluster.local',
        validationURL: 'https://127.0.0.1:40124/validate',
        validationCABundle: await istioRootCert(c, 'istio-system'),
      },
    ];
    for (const v of cases) assert.deepEqual(await renderInstall(v), parseManifests(await generateManifest(v)), v.profile);
  });

  it('leaves what an install leaves: mesh config, injector values, the istiod Service, webhooks on istiod with its CA', async () => {
    const cm = JSON.parse((await c.kubectl(['-n', 'istio-system', 'get', 'configmap', 'istio', '-o', 'json'])).stdout) as { data: { mesh: string } };
    const mesh = yaml.load(cm.data.mesh) as { trustDomain: string; rootNamespace: string; defaultConfig: { discoveryAddress: string } };
    assert.equal(mesh.trustDomain, 'cluster.local');
    assert.equal(mesh.rootNamespace, 'istio-system');
    assert.equal(mesh.defaultConfig.discoveryAddress, 'istiod.istio-system.svc:15012');

    const inj = JSON.parse((await c.kubectl(['-n', 'istio-system', 'get', 'configmap', 'istio-sidecar-injector', '-o', 'json'])).stdout) as {
      data: { values: string; config: string };
    };
    const values = JSON.parse(inj.data.values) as { global: { multiCluster: { clusterName: string }; network: string } };
    assert.equal(values.global.multiCluster.clusterName, c.name);
    assert.equal(values.global.network, 'network1');
    assert.match(inj.data.config, /templates:/);

    const svc = JSON.parse((await c.kubectl(['-n', 'istio-system', 'get', 'service', 'istiod', '-o', 'json'])).stdout) as {
      spec: { ports: { port: number; targetPort: number | string }[] };
    };
    assert.deepEqual(svc.spec.ports.map((p) => `${p.port}->${p.targetPort}`).sort(), ['15010->15010', '15012->15012', '15014->15014', '443->15017'].sort());

    const root = await istioRootCert(c, 'istio-system');
    assert.match(root, /BEGIN CERTIFICATE/);
    const vwcs = JSON.parse((await c.kubectl(['get', 'validatingwebhookconfigurations', '-o', 'json'])).stdout) as {
      items: { metadata: { name: string }; webhooks: { failurePolicy: string; clientConfig: { url: string; caBundle: string } }[] }[];
    };
    const istio = vwcs.items.filter((v) => ['istio-validator-istio-system', 'istiod-default-validator'].includes(v.metadata.name));
    assert.equal(istio.length, 2);
    for (const w of istio.flatMap((v) => v.webhooks)) {
      assert.equal(w.clientConfig.url, istiod.validationURL);
      assert.equal(w.failurePolicy, 'Fail');
      assert.equal(Buffer.from(w.clientConfig.caBundle, 'base64').toString().trim(), root.trim(), "the webhooks trust istiod's own root");
    }
    assert.match(istiod.validationURL, /^https:\/\/127\.0\.0\.1:\d+\/validate$/);
  });

  it("the API server refuses a VirtualService that passes the CRD schema but breaks Istio rules, with Istio's message", async () => {
    await c.kubectl(['create', 'namespace', 'validation']);
    const vs = (regex: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: validation}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {regex: "${regex}"}}}]
    route: [{destination: {host: reviews}}]
`;
    const bad = await c.kubectl(['apply', '-f', '-'], { input: vs('(('), reject: false });
    assert.notEqual(bad.exitCode, 0);
    assert.match(bad.stderr, /admission webhook "validation\.istio\.io" denied the request/);
    assert.match(bad.stderr, /error parsing regexp: missing closing \)/);
    const none = await c.kubectl(['-n', 'validation', 'get', 'virtualservices', '-o', 'name']);
    assert.equal(none.stdout.trim(), '', 'nothing was stored');
    // The same object with a regex RE2 accepts is stored: the refusal was Istio's rule, not the schema.
    await c.kubectl(['apply', '-f', '-'], { input: vs('^j.*n$') });
  });

  it('publishes istio-ca-root-cert into a namespace created after istiod started', async () => {
    assert.ok(istiod.running(), 'istiod started before the namespace is created');
    await c.kubectl(['create', 'namespace', 'late-comer']);
    let cert = '';
    await until(
      'istio-ca-root-cert in late-comer',
      async () => {
        cert = await istioRootCert(c, 'late-comer');
        return cert !== '';
      },
      30_000,
      istiod.processes,
    );
    assert.equal(cert, await istioRootCert(c, 'istio-system'));
  });

  it('lists a WorkloadEntry selected by a Kubernetes Service among its endpoints, and drops it when removed', async () => {
    const ns = 'vm-workloads';
    await c.kubectl(['create', 'namespace', ns]);
    // Addresses from TEST-NET-1: istiod only records them; nothing is ever sent to them.
    await c.apply([
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'details', namespace: ns },
        spec: { selector: { app: 'details' }, ports: [{ name: 'http', port: 9080 }] },
      },
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'WorkloadEntry',
        metadata: { name: 'details-vm', namespace: ns },
        spec: { address: '192.0.2.10', labels: { app: 'details' }, serviceAccount: 'details' },
      },
    ]);
    await until(
      'the Service in istiod registry',
      async () => (await istiod.registryz()).some((s) => s.hostname === `details.${ns}.svc.cluster.local`),
      30_000,
      istiod.processes,
    );
    let got: IstioEndpoint[] = [];
    await until(
      'the WorkloadEntry among the Service endpoints',
      async () => {
        got = await istiod.endpoints('details', ns);
        return got.some((e) => e.Addresses?.includes('192.0.2.10'));
      },
      30_000,
      istiod.processes,
    );
    assert.deepEqual(
      got.map((e) => [e.Addresses, e.WorkloadName, e.EndpointPort, e.ServiceAccount]),
      [[['192.0.2.10'], 'details-vm', 9080, `spiffe://cluster.local/ns/${ns}/sa/details`]],
    );
    await c.kubectl(['-n', ns, 'delete', 'workloadentry', 'details-vm']);
    await until('the WorkloadEntry to leave the endpoints', async () => (await istiod.endpoints('details', ns)).length === 0, 30_000, istiod.processes);
  });

  it('istioctl x workload entry configure writes the five VM files from this cluster (the meshvm oracle)', async () => {
    const ns = 'vm-onboard';
    await c.kubectl(['create', 'namespace', ns]);
    await c.kubectl(['-n', ns, 'create', 'serviceaccount', 'vm-sa']);
    await c.apply([
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'WorkloadGroup',
        metadata: { name: 'mariadb', namespace: ns },
        spec: { metadata: { labels: { app: 'mariadb' } }, template: { serviceAccount: 'vm-sa', network: 'vm-net', ports: { mysql: 3306 } } },
      },
    ]);
    const r = await workloadEntryConfigure(c, { namespace: ns, name: 'mariadb' });
    for (const f of WORKLOAD_ENTRY_FILES) assert.ok(statSync(join(r.dir, f)).isFile(), f);
    const env = parseClusterEnv(r.files['cluster.env']);
    assert.equal(env['ISTIO_META_CLUSTER_ID'], c.name, 'cluster ID from istio-sidecar-injector values');
    assert.equal(env['ISTIO_META_NETWORK'], 'vm-net');
    assert.equal(env['ISTIO_NAMESPACE'], ns);
    assert.equal(env['SERVICE_ACCOUNT'], 'vm-sa');
    assert.equal(env['ISTIO_INBOUND_PORTS'], '3306');
    assert.equal(env['TRUST_DOMAIN'], 'cluster.local');
    const meshYaml = yaml.load(r.files['mesh.yaml']) as { defaultConfig: { discoveryAddress: string } };
    assert.equal(meshYaml.defaultConfig.discoveryAddress, 'istiod.istio-system.svc:15012');
    assert.equal(r.files['root-cert.pem'].trim(), (await istioRootCert(c, ns)).trim());
    assert.equal(r.files['hosts'].trim(), `${istiod.address} istiod.istio-system.svc`);
    const claims = JSON.parse(Buffer.from(r.files['istio-token'].split('.')[1], 'base64url').toString()) as { aud: string[]; sub: string };
    assert.deepEqual(claims.aud, ['istio-ca']);
    assert.equal(claims.sub, `system:serviceaccount:${ns}:vm-sa`);
  });

  it('/debug/clusterz shows the config cluster synced (what istioctl remote-clusters prints)', async () => {
    const clusters = await istiod.clusterz();
    assert.deepEqual(clusters, [{ id: c.name, secretName: '', syncStatus: 'synced' }]);
  });
});

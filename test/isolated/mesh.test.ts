// Several clusters in one mesh (seed 001 chapter 6): istiod in the primaries only, a remote cluster
// managed by its primary, remote secrets watched by each primary's secret controller, and the plugged-in
// CA that tells a shared root from different roots (what meshremote's preflight checks).
import assert from 'node:assert/strict';
import { startMesh, remoteSecretName, type Mesh } from '../harness/mesh.js';
import { until, type Cluster } from '../harness/cluster.js';
import { isRunning } from '../harness/processes.js';
import { istioRootCert } from '../harness/istiod.js';

describe('several clusters in one mesh', function () {
  this.timeout(300_000);
  let mesh: Mesh | undefined;
  afterEach(async () => {
    await mesh?.stop();
    mesh = undefined;
  });

  it('one shared root: two primaries and a remote; the remote has no istiod and is managed by its primary', async () => {
    const t0 = Date.now();
    mesh = await startMesh({
      ca: 'shared-root',
      clusters: [
        { name: 'east', role: 'primary', podCIDR: '10.31.0.0/16', serviceCIDR: '10.131.0.0/16', nodes: [{ name: 'east-1' }] },
        { name: 'west', role: 'primary', podCIDR: '10.32.0.0/16', serviceCIDR: '10.132.0.0/16', nodes: [{ name: 'west-1' }] },
        { name: 'edge', role: 'remote', podCIDR: '10.33.0.0/16', serviceCIDR: '10.133.0.0/16', nodes: [{ name: 'edge-1' }] },
      ],
    });
    console.log(`      three clusters, two istiods, remote secrets synced: ${Date.now() - t0} ms`);
    const [east, west, edge] = ['east', 'west', 'edge'].map((n) => mesh!.cluster(n));
    assert.equal(edge.istiod, undefined);
    assert.equal((await edge.kubectl(['get', 'pods', '-A', '-o', 'name'])).stdout.includes('istiod'), false);

    // Each primary's secret controller has synced the clusters it has secrets for.
    const byId = async (c: Cluster) => Object.fromEntries((await c.istiod!.clusterz()).map((x) => [x.id, x]));
    const eastSees = await byId(east);
    assert.deepEqual(Object.keys(eastSees).sort(), ['east', 'edge', 'west']);
    assert.equal(eastSees['east'].secretName, '');
    assert.equal(eastSees['edge'].secretName, `istio-system/${remoteSecretName('edge')}`);
    for (const x of Object.values(eastSees)) assert.equal(x.syncStatus, 'synced', x.id);
    assert.deepEqual(Object.keys(await byId(west)).sort(), ['east', 'west']);
    const secret = JSON.parse((await east.kubectl(['-n', 'istio-system', 'get', 'secret', remoteSecretName('edge'), '-o', 'json'])).stdout) as {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    };
    assert.equal(secret.metadata.labels['istio/multiCluster'], 'true');
    assert.equal(secret.metadata.annotations['networking.istio.io/cluster'], 'edge');

    // A Service in the remote cluster enters the primary's registry (the seed's `details` check).
    await edge.kubectl(['create', 'namespace', 'bookinfo']);
    await edge.apply([
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'details', namespace: 'bookinfo' },
        spec: { selector: { app: 'details' }, ports: [{ name: 'http', port: 9080 }] },
      },
    ]);
    await until(
      'details from edge in the registry of east',
      async () => (await east.istiod!.registryz()).some((s) => s.hostname === 'details.bookinfo.svc.cluster.local'),
      30_000,
      east.istiod!.processes,
    );

    // One root: every cluster's istio-ca-root-cert is that root, each primary signing with its own intermediate.
    const root = mesh.roots[0].cert.trim();
    for (const c of [east, west, edge]) assert.equal((await istioRootCert(c)).trim(), root, c.name);
    assert.equal((await istioRootCert(edge, 'bookinfo')).trim(), root, 'the remote namespace created later gets it too');
    const intermediate = async (c: Cluster) =>
      (await c.kubectl(['-n', 'istio-system', 'get', 'secret', 'cacerts', '-o', 'jsonpath={.data.ca-cert\\.pem}'])).stdout;
    assert.notEqual(await intermediate(east), await intermediate(west));

    // The remote's API server validates Istio objects through its primary's istiod.
    const bad = await edge.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bad, namespace: bookinfo}
spec:
  hosts: [details]
  http: [{match: [{uri: {regex: "(("}}], route: [{destination: {host: details}}]}]
`,
      reject: false,
    });
    assert.match(bad.stderr, /admission webhook "validation\.istio\.io" denied the request/);

    const pids = mesh.clusters.flatMap((c) => c.state.processes.map((p) => p.pid));
    await mesh.stop();
    mesh = undefined;
    assert.deepEqual(pids.filter(isRunning), [], 'no process left behind');
  });

  it('different roots: two primaries publish different istio-ca-root-cert', async () => {
    mesh = await startMesh({
      ca: 'separate-roots',
      connect: false,
      clusters: [
        { name: 'north', role: 'primary', podCIDR: '10.34.0.0/16', serviceCIDR: '10.134.0.0/16', nodes: [{ name: 'north-1' }] },
        { name: 'south', role: 'primary', podCIDR: '10.35.0.0/16', serviceCIDR: '10.135.0.0/16', nodes: [{ name: 'south-1' }] },
      ],
    });
    const [north, south] = [mesh.cluster('north'), mesh.cluster('south')];
    const [a, b] = [await istioRootCert(north), await istioRootCert(south)];
    assert.equal(a.trim(), mesh.roots[0].cert.trim());
    assert.equal(b.trim(), mesh.roots[1].cert.trim());
    assert.notEqual(a, b);
  });
});

// The playground data plane routes like kube-proxy, an ingress controller and Envoy would; with the test
// network the chosen pod answers from its own address.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hostGet, keepAlive } from '../support/http.js';
import { join } from 'node:path';
import { startDataPlane, type DataPlane } from '../playground/dataplane.js';
import { REPO_ROOT } from '../harness/binaries.js';
import { startCluster, type Cluster } from '../harness/cluster.js';
import { readyEndpoints } from '../support/endpoints.js';

async function sample(dp: DataPlane, host: string, n: number, headers: Record<string, string> = {}): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await hostGet(dp.port, { host, ...headers });
    const key = r.status === 200 ? r.body.trim() : `HTTP ${r.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('playground data plane', function () {
  this.timeout(120_000);
  let c: Cluster;
  let dp: DataPlane;

  before(async () => {
    // A cluster of its own: the shared one, after the other suites' churn, has been seen to lag
    // marking pods ready for a minute and more, and these tests measure readiness-driven routing.
    c = await startCluster({
      name: 'dataplane',
      // With the network (as root) the routing decision is the data plane's, the answer the pod's own.
      network: true,
      nodes: [
        { name: 'dp-1', zone: 'a' },
        { name: 'dp-2', zone: 'b' },
      ],
    });
    for (const f of ['01-l4-canary.yaml', '02-ingress-bluegreen.yaml', '03-bookinfo-reviews.yaml']) {
      await c.apply(readFileSync(join(REPO_ROOT, 'test/playground/scenarios', f), 'utf8'));
    }
    // Only the seeds' namespaces: other tests share this cluster and leave Deployments of their own.
    for (const ns of ['default', 'ingress-demo', 'bookinfo'])
      await c.kubectl(['-n', ns, 'wait', '--for=condition=Available', 'deployment', '--all', '--timeout=60s']);
    dp = await startDataPlane({ kubeconfig: c.kubeconfig, refreshMs: 100, networkDevices: c.network ? [c.network.state.hostLink] : undefined });
  });
  after(async () => {
    keepAlive.destroy();
    await dp?.close();
    await c?.stop();
  });

  it("spreads a Service over its ready pods, like the seed's curl loop (1:1, then by replicas)", async () => {
    await dp.refresh();
    const even = await sample(dp, 'nginx.default', 200);
    assert.deepEqual(Object.keys(even).sort(), ['new', 'old']);
    assert.ok(even['new'] > 60 && even['old'] > 60, JSON.stringify(even));
    await c.kubectl(['scale', 'deployment/new-nginx', '--replicas=4']);
    try {
      await c.kubectl(['rollout', 'status', 'deployment/new-nginx', '--timeout=60s']);
      await readyEndpoints(c, 'default', 'nginx', 5);
      await dp.refresh();
      const skewed = await sample(dp, 'nginx.default.svc.cluster.local', 400);
      // 4 of 5 pods are new: expect 80% (binomial sd 2%); allow a wide band.
      assert.ok(skewed['new'] / 400 > 0.7 && skewed['new'] / 400 < 0.9, JSON.stringify(skewed));
    } finally {
      await c.kubectl(['scale', 'deployment/new-nginx', '--replicas=1']);
    }
  });

  it('routes the Ingress host mini-echo.io to its backend Service', async () => {
    assert.deepEqual(await sample(dp, 'mini-echo.io', 20), { old: 20 });
    const r = await hostGet(dp.port, { host: 'mini-echo.io' });
    assert.equal(r.headers['x-route'], 'ingress/echo');
    assert.equal(r.headers['x-service'], 'ingress-demo/old-nginx');
  });

  it('follows a VirtualService: header match to v2, weights between subsets', async () => {
    assert.deepEqual(Object.keys(await sample(dp, 'reviews.bookinfo', 150)).sort(), ['v1', 'v2', 'v3']);
    await c.apply(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: bookinfo}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 75}
    - {destination: {host: reviews, subset: v3}, weight: 25}
`);
    await dp.refresh();
    assert.deepEqual(await sample(dp, 'reviews.bookinfo', 30, { 'end-user': 'jason' }), { v2: 30 });
    const split = await sample(dp, 'reviews.bookinfo.svc.cluster.local', 400);
    assert.deepEqual(Object.keys(split).sort(), ['v1', 'v3']);
    assert.ok(split['v1'] / 400 > 0.65 && split['v1'] / 400 < 0.85, JSON.stringify(split));
  });

  it('answers 503 when no endpoint is ready and 404 for unknown hosts', async () => {
    await c.kubectl(['-n', 'ingress-demo', 'scale', 'deployment/old-nginx', '--replicas=0']);
    try {
      await c.kubectl(['-n', 'ingress-demo', 'rollout', 'status', 'deployment/old-nginx', '--timeout=60s']);
      await readyEndpoints(c, 'ingress-demo', 'old-nginx', 0);
      await dp.refresh();
      assert.deepEqual(await sample(dp, 'mini-echo.io', 3), { 'HTTP 503': 3 });
      assert.deepEqual(await sample(dp, 'nothing.example', 1), { 'HTTP 404': 1 });
    } finally {
      await c.kubectl(['-n', 'ingress-demo', 'scale', 'deployment/old-nginx', '--replicas=1']);
    }
  });
});

// kubectl bluegreen on a Gateway API HTTPRoute, on the real control plane with the Gateway API CRDs
// (standard channel) installed by the harness: what we write passes the CRDs' schema and validation.
import assert from 'node:assert/strict';
import { assertShare } from '../support/share.js';
import { sharedCluster } from '../support/fixture.js';
import type { Cluster } from '../harness/cluster.js';
import { startDataPlane, type DataPlane } from '../playground/dataplane.js';
import { applySeed, bluegreenIn, getJson } from '../support/bluegreen.js';

const NS = 'bg-gateway';

interface Route {
  metadata: { resourceVersion: string; annotations?: Record<string, string> };
  spec: {
    rules: {
      matches?: { path?: { type: string; value: string }; headers?: { type: string; name: string; value: string }[] }[];
      backendRefs: { name: string; port: number; weight?: number }[];
    }[];
  };
}

describe('kubectl bluegreen on a Gateway API HTTPRoute', function () {
  this.timeout(180_000);
  let c: Cluster;
  let run: ReturnType<typeof bluegreenIn>;
  let dp: DataPlane;
  const route = () => getJson<Route>(c, NS, ['httproute', 'echo']);

  before(async () => {
    c = await sharedCluster();
    await applySeed(c, NS, { ingress: false });
    await c.apply(`apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: bg-test}
spec: {controllerName: example.com/bg-test}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ${NS}}
spec:
  gatewayClassName: bg-test
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: echo, namespace: ${NS}}
spec:
  parentRefs: [{name: gw}]
  hostnames: [gateway.mini-echo.io]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs: [{name: old-nginx, port: 80}]
`);
    run = bluegreenIn(c, NS);
    dp = await startDataPlane({ kubeconfig: c.kubeconfig, refreshMs: 100 });
  });
  after(async () => dp?.close());

  it('set 30: weights that read as percentages on the rule; found by name without saying the kind', async () => {
    const r = await run(['set', 'echo', 'new-nginx', '30', '-v']);
    assert.equal(r.exitCode, 0, r.stderr);
    // The name is looked up as Ingress, HTTPRoute and VirtualService at once; one list per kind; the same
    // again under the lock of the HTTPRoute (a Lease created and deleted); one write.
    assert.match(r.stderr, /^I: 17 API requests to \S+ \(get 6, list 8, create 1, patch 1, delete 1\)$/);
    assert.equal(
      r.stdout,
      'httproute.gateway.networking.k8s.io/echo configured\nhttproute.gateway.networking.k8s.io/echo routes gateway.mini-echo.io/ old-nginx 70%, new-nginx 30% (provider gateway)',
    );
    const rules = (await route()).spec.rules;
    assert.deepEqual(
      rules.map((x) => x.backendRefs.map((b) => [b.name, b.port, b.weight])),
      [
        [
          ['old-nginx', 80, 70],
          ['new-nginx', 80, 30],
        ],
      ],
    );
    // The playground data plane follows HTTPRoute weights: the probe sets each share against the split.
    await dp.refresh();
    const p = await run([
      'probe',
      `http://127.0.0.1:${dp.port}/`,
      '--host',
      'gateway.mini-echo.io',
      '--count',
      '400',
      '--concurrency',
      '20',
      '--route',
      'echo',
      '-o',
      'json',
    ]);
    assert.equal(p.exitCode, 0, p.stderr);
    const doc = JSON.parse(p.stdout) as { errors: number; backends: { service: string; configuredPercent: number; observedPercent: number }[] };
    assert.equal(doc.errors, 0);
    assert.deepEqual(
      doc.backends.map((b) => [b.service, b.configuredPercent]),
      [
        ['old-nginx', 70],
        ['new-nginx', 30],
      ],
    );
    for (const b of doc.backends) assertShare(b.observedPercent, b.configuredPercent, 400, b.service);
    const again = await run(['set', 'httproute/echo', 'new-nginx', '30']);
    assert.equal(
      again.stdout,
      'httproute.gateway.networking.k8s.io/echo unchanged\nhttproute.gateway.networking.k8s.io/echo routes gateway.mini-echo.io/ old-nginx 70%, new-nginx 30% (provider gateway)',
    );
  });

  it('preview by header adds a rule the CRD accepts (server dry run first, then for real); status shows it', async () => {
    const dry = await run(['preview', 'echo', 'new-nginx', '--header', 'x-env=test', '--dry-run=server']);
    assert.equal(dry.exitCode, 0, dry.stderr);
    assert.equal((await route()).spec.rules.length, 1, 'nothing persisted by the dry run');
    const r = await run(['preview', 'echo', 'new-nginx', '--header', 'x-env=test']);
    assert.equal(r.exitCode, 0, r.stderr);
    const rules = (await route()).spec.rules;
    assert.deepEqual(rules[0].matches, [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'x-env', value: 'test' }] }]);
    assert.deepEqual(
      rules[0].backendRefs.map((b) => b.name),
      ['new-nginx'],
    );
    const st = await run(['status']);
    assert.equal(st.exitCode, 0, st.stderr);
    assert.equal(
      st.stdout,
      'NAME             PROVIDER   HOST                   PATH   SERVICE     WEIGHT              READY\n' +
        'httproute/echo   gateway    gateway.mini-echo.io   /      old-nginx   70%                 1\n' +
        'httproute/echo   gateway    gateway.mini-echo.io   /      new-nginx   30%                 1\n' +
        'httproute/echo   gateway    gateway.mini-echo.io   /      new-nginx   header x-env=test   1',
    );
  });

  it('status -A lists it with its namespace, with whatever other namespaces hold', async () => {
    const all = await run(['status', '-A']);
    assert.equal(all.exitCode === 0 || all.exitCode === 1, true, all.stderr);
    assert.match(all.stdout, /^NAMESPACE +NAME +PROVIDER +HOST +PATH +SERVICE +WEIGHT +READY\n/);
    assert.match(all.stdout, /\nbg-gateway +httproute\/echo +gateway +gateway\.mini-echo\.io +\/ +old-nginx +70% +1\n/);
    const json = JSON.parse((await run(['status', '-A', '-o', 'json'])).stdout) as { kind: string; items: { namespace: string; name: string }[] };
    assert.equal(json.kind, 'BlueGreenStatusList');
    assert.ok(json.items.some((i) => i.namespace === NS && i.name === 'echo'));
  });

  it('a cookie preview is a Cookie header regex the CRD accepts; a bad path is a one-line usage error', async () => {
    const r = await run(['preview', 'echo', 'new-nginx', '--cookie', 'beta']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /preview cookie beta=always -> new-nginx \(provider gateway\)$/);
    const bad = await run(['set', 'echo', 'new-nginx', '10', '--path', '/api']);
    assert.deepEqual(
      [bad.exitCode, bad.stdout, bad.stderr],
      [2, '', 'error: httproute.gateway.networking.k8s.io/echo has no route for path "/api"; it routes gateway.mini-echo.io/'],
    );
  });

  it('rollback restores the rule from before the first change; switch then finalize leaves new-nginx alone, no weight', async () => {
    assert.equal((await run(['rollback', 'echo'])).exitCode, 0);
    let rules = (await route()).spec.rules;
    assert.deepEqual(rules, [
      { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ group: '', kind: 'Service', name: 'old-nginx', port: 80, weight: 1 }] },
    ]);
    assert.equal((await run(['switch', 'echo', 'new-nginx'])).exitCode, 0);
    const fin = await run(['finalize', 'echo']);
    assert.equal(fin.exitCode, 0, fin.stderr);
    rules = (await route()).spec.rules;
    assert.deepEqual(
      rules.map((x) => x.backendRefs.map((b) => [b.name, b.weight])),
      [[['new-nginx', 1]]],
    );
    // Of our state, only the record of the Service finalize kept (for a later --delete-old) stays.
    assert.deepEqual(
      Object.keys((await route()).metadata.annotations ?? {}).filter((k) => k.startsWith('traffic.kubectl-plugins.io/')),
      ['traffic.kubectl-plugins.io/bluegreen.released'],
    );
  });
});

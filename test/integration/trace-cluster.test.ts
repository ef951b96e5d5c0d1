// kubectl trace through the API server's service proxy, the default path: a real Jaeger (and a real
// Zipkin) serving the address of the tracing pod of Istio's addon layout, inside the test network, and
// found from the Services alone. The same traces read this way and straight from the server (--url)
// give the same documents; a user allowed only to list Services and proxy to them can read.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from '../harness/cluster.js';
import { postZipkin, serveTracing, waitForTrace, type TracingServer } from '../harness/tracing.js';
import { runTrace } from '../support/trace-cli.js';
import { sharedCluster } from '../support/fixture.js';
import { bookinfoTrace } from '../support/traces.js';
import { tracingManifests } from '../playground/tracing.js';

const JAEGER_NS = 'trace-jaeger-addon';
const ZIPKIN_NS = 'trace-zipkin-addon';

describe('kubectl trace through the service proxy (a tracing pod in the test network)', function () {
  this.timeout(300_000);
  let c: Cluster;
  let dir: string;
  let jaeger: TracingServer;
  let zipkin: TracingServer;
  const now = Date.now() * 1000;
  const bad = bookinfoTrace({ start: now - 200_000_000, seed: 31, ratingsError: true, ratingsSkew: 1_500_000, overflow: true, messaging: true });
  const ok = bookinfoTrace({ start: now - 400_000_000, seed: 32, reviewsVersion: 'v1' });
  const run = (args: string[], kubeconfig?: string) => runTrace(args, kubeconfig ?? c.kubeconfig);

  before(async () => {
    c = await sharedCluster();
    if (!c.network) throw new Error('this test needs the test network (root and CAP_NET_ADMIN): the API server must reach the tracing pod');
    dir = mkdtempSync(join(tmpdir(), 'trace-cluster-'));
    for (const ns of [JAEGER_NS, ZIPKIN_NS]) await c.kubectl(['create', 'namespace', ns]);
    [jaeger, zipkin] = await Promise.all([
      serveTracing(c, c.network, 'jaeger', tracingManifests('jaeger', JAEGER_NS), dir, JAEGER_NS),
      serveTracing(c, c.network, 'zipkin', tracingManifests('zipkin', ZIPKIN_NS), dir, ZIPKIN_NS),
    ]);
    for (const s of [jaeger, zipkin]) {
      // Sent to the pod's address, which serveTracing checked is routed into the test network.
      await postZipkin(s, [...ok.spans, ...bad.spans]);
      await waitForTrace(s, bad.traceId, bad.spans.length);
      await waitForTrace(s, ok.traceId, ok.spans.length);
    }
  });
  after(async () => {
    await Promise.all([jaeger?.stop(), zipkin?.stop()]);
    for (const ns of [JAEGER_NS, ZIPKIN_NS]) await c?.kubectl(['delete', 'namespace', ns, '--wait=false'], { reject: false });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("finds Jaeger's query Service (base path /jaeger) and Zipkin's from the Services, and reads through the API server", async () => {
    const j = await run(['services', '--istio-namespace', JAEGER_NS, '-v']);
    assert.equal(j.exitCode, 0, j.stderr);
    assert.match(j.stderr, new RegExp(`I: reading traces from service ${JAEGER_NS}/tracing:80 \\(Jaeger\\) through the API server's service proxy`));
    assert.match(j.stdout, /^SERVICE\n(.*\n)*productpage\.default\n/);
    const z = await run(['services', '--istio-namespace', ZIPKIN_NS]);
    assert.equal(z.exitCode, 0, z.stderr);
    // The Zipkin addon's tracing and zipkin Services front the same pod: one backend, no warning.
    assert.equal(z.stderr, '');
    assert.equal(z.stdout, j.stdout);
  });

  it('list, show and deps through the proxy; the same documents as straight from the servers and from either backend', async () => {
    const list = await run(['list', '--service', 'productpage.default', '--istio-namespace', JAEGER_NS, '-o', 'json']);
    assert.equal(list.exitCode, 0, list.stderr);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { items: { traceId: string }[] }).items.map((i) => i.traceId),
      [bad.traceId, ok.traceId],
    );
    const viaProxy = await run(['show', bad.traceId, '--istio-namespace', JAEGER_NS, '-o', 'json']);
    const viaZipkinProxy = await run(['show', bad.traceId, '--istio-namespace', ZIPKIN_NS, '-o', 'json']);
    const direct = await run(['show', bad.traceId, '--url', jaeger.queryUrl, '-o', 'json']);
    assert.equal(viaProxy.exitCode, 0, viaProxy.stderr);
    assert.equal(viaProxy.stdout, direct.stdout);
    assert.equal(viaZipkinProxy.stdout, viaProxy.stdout);
    const waterfall = await run(['show', bad.traceId, '--istio-namespace', JAEGER_NS, '--width', '120']);
    assert.match(waterfall.stdout, /\nCRITICAL PATH\s+TIME\s+SHARE\nratings\.default\s+12ms\s+40%\n/);
    const deps = await run(['deps', '--istio-namespace', ZIPKIN_NS]);
    assert.match(deps.stdout, /^istio-ingressgateway\.istio-system\n└─ productpage\.default {2}2 calls, 0 errors\n/);
    const missing = await run(['show', 'ffffffffffffffffffffffffffffffff', '--istio-namespace', JAEGER_NS]);
    assert.equal(missing.exitCode, 1);
    assert.match(
      missing.stderr,
      new RegExp(`^error: trace ffffffffffffffffffffffffffffffff not found in service ${JAEGER_NS}/tracing:80 \\(Jaeger, base path /jaeger\\)`),
    );
  });

  it('a user who may only list Services and proxy to the tracing Service can read; without the proxy right, a clear refusal', async () => {
    const kc = await c.userKubeconfig('trace-viewer');
    const rules = (withProxy: boolean) => [
      { apiGroups: [''], resources: ['services'], verbs: ['get', 'list'] },
      ...(withProxy ? [{ apiGroups: [''], resources: ['services/proxy'], resourceNames: ['tracing:80'], verbs: ['get'] }] : []),
    ];
    const grant = (ns: string, withProxy: boolean) =>
      c.apply([
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'trace-viewer', namespace: ns }, rules: rules(withProxy) },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'trace-viewer', namespace: ns },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'trace-viewer' },
          subjects: [{ kind: 'User', name: 'trace-viewer', apiGroup: 'rbac.authorization.k8s.io' }],
        },
      ]);
    await grant(JAEGER_NS, true);
    await grant(ZIPKIN_NS, false);
    const allowed = await run(['list', '--service', 'productpage.default', '--istio-namespace', JAEGER_NS], kc);
    assert.equal(allowed.exitCode, 0, allowed.stderr);
    assert.match(allowed.stdout, new RegExp(`^TRACE ID.*\\n${bad.traceId} `));
    const denied = await run(['list', '--service', 'productpage.default', '--istio-namespace', ZIPKIN_NS], kc);
    assert.equal(denied.exitCode, 1);
    assert.match(
      denied.stderr,
      /^error: forbidden: .*cannot get resource "services\/proxy".*kubectl create role trace-reader -n trace-zipkin-addon --verb=get --resource=services\/proxy --resource-name=tracing/,
    );
  });
});

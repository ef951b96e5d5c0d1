// Finding the backend through the API server and the errors on that path, on the real control plane.
// Every Service here has no endpoints, so the API server never dials a pod address: each request ends
// in the API server (RBAC, NotFound, "no endpoints available").
import assert from 'node:assert/strict';
import type { Cluster } from '../harness/cluster.js';
import { runTrace } from '../support/trace-cli.js';
import { sharedCluster } from '../support/fixture.js';

const NS = 'trace-addons';
const EMPTY = 'trace-no-addons';

// Istio's Jaeger addon (samples/addons/jaeger.yaml): tracing (query, base path /jaeger) and zipkin (receiver).
const tracing = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'tracing', namespace: NS, labels: { app: 'jaeger' } },
  spec: {
    selector: { app: 'jaeger' },
    ports: [
      { name: 'http-query', port: 80, targetPort: 16686 },
      { name: 'grpc-query', port: 16685, targetPort: 16685 },
    ],
  },
};
const zipkinReceiver = (ns: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'zipkin', namespace: ns, labels: { name: 'zipkin' } },
  spec: { selector: { app: 'jaeger' }, ports: [{ name: 'http-query', port: 9411, targetPort: 9411 }] },
});

describe('kubectl trace: the backend through the API server', function () {
  this.timeout(120_000);
  let c: Cluster;
  const run = (args: string[], kubeconfig?: string) => runTrace(args, kubeconfig ?? c.kubeconfig);

  before(async () => {
    c = await sharedCluster();
    for (const ns of [NS, EMPTY]) await c.kubectl(['create', 'namespace', ns]);
    await c.apply([tracing, zipkinReceiver(NS), zipkinReceiver(EMPTY)]);
  });
  after(async () => {
    for (const ns of [NS, EMPTY]) await c?.kubectl(['delete', 'namespace', ns, '--wait=false'], { reject: false });
  });

  it('no query Service in the Istio namespace: says so, and names the write-only receiver it found', async () => {
    const r = await run(['services', '--istio-namespace', EMPTY]);
    assert.equal(r.exitCode, 1);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /^error: no Jaeger or Zipkin query Service found in namespace trace-no-addons \(context "[^"]+"\); zipkin:9411 only receives spans \(Jaeger's Zipkin receiver\); install Istio's Jaeger or Zipkin addon, name the query Service with --backend NAMESPACE\/SERVICE:PORT, or use --url$/,
    );
  });

  it('the write-only zipkin Service chosen with --backend: refused, pointing at the query Service', async () => {
    const r = await run(['list', '--service', 'productpage.default', '--backend', `${NS}/zipkin:9411`]);
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      /^error: trace-addons\/zipkin:9411 only receives spans: it is a span receiver \(in Istio's Jaeger addon, Jaeger's Zipkin receiver\), which has no query API; read from trace-addons\/tracing:80 instead \(the default when --backend is not given\)$/,
    );
  });

  it('detected Service without a running pod: the API server cannot reach it, and we say what to check', async () => {
    const r = await run(['services', '--istio-namespace', NS, '-v']);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /I: reading traces from service trace-addons\/tracing:80 \(Jaeger\) through the API server's service proxy/);
    assert.match(
      r.stderr,
      /error: the API server could not reach service trace-addons\/tracing:80 \(Jaeger\): no endpoints available for service "tracing"; is its pod running and ready\? \(kubectl get endpointslices -n trace-addons -l kubernetes\.io\/service-name=tracing\)/,
    );
  });

  it('a user without services/proxy: forbidden, with the Role to ask for', async () => {
    const kc = await c.userKubeconfig('trace-reader');
    await c.apply([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'list-services', namespace: NS },
        rules: [{ apiGroups: [''], resources: ['services'], verbs: ['get', 'list'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'list-services', namespace: NS },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'list-services' },
        subjects: [{ kind: 'User', name: 'trace-reader', apiGroup: 'rbac.authorization.k8s.io' }],
      },
    ]);
    const r = await run(['show', '4bf92f3577b34da6a3ce929d0e0e4736', '--istio-namespace', NS], kc);
    assert.equal(r.exitCode, 1);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /^error: forbidden: services "tracing:80" is forbidden: User "trace-reader" cannot get resource "services\/proxy" in API group "" in the namespace "trace-addons" \(context "[^"]+"\); reading traces through the API server needs RBAC permission to get services\/proxy \(kubectl create role trace-reader -n trace-addons --verb=get --resource=services\/proxy --resource-name=tracing:80; RBAC names the Service and port\), or read through a port-forward with --url$/,
    );
    // Without permission to list Services, detection says how to name the Service instead.
    const denied = await run(['services', '--istio-namespace', EMPTY], kc);
    assert.equal(denied.exitCode, 1);
    assert.match(denied.stderr, /cannot look for the tracing Service in trace-no-addons; name it with --backend trace-no-addons\/tracing:80, or use --url$/);
  });

  it('--backend naming a Service or port that does not exist', async () => {
    const none = await run(['services', '--backend', `${NS}/jaeger-query:16686`]);
    assert.equal(none.exitCode, 1);
    assert.match(none.stderr, /services "jaeger-query" not found in namespace "trace-addons"/);
    const port = await run(['services', '--backend', `${NS}/tracing:8080`]);
    assert.equal(port.exitCode, 1);
    assert.match(port.stderr, /^error: service trace-addons\/tracing has no port 8080 \(it has http-query:80, grpc-query:16685\)$/);
    const both = await run(['services', '--backend', `${NS}/tracing:80`, '--url', 'http://127.0.0.1:16686']);
    assert.equal(both.exitCode, 2);
  });
});

// Istio's tracing precedence as status reports it, and the plans of sampling/disable/enable.
import assert from 'node:assert/strict';
import { dumpMeshConfig, meshConfigManager, meshConfigMapName, parseMeshConfig } from '../../shared/istio/mesh-config.js';
import { applicableTelemetries, type Telemetry } from '../../shared/istio/telemetry.js';
import { effectiveTracing, revisionOf, tracingStatus } from '../../plugins/trace/settings/effective.js';
import { controlPlanes, type ControlPlane, type Observed } from '../../plugins/trace/settings/observe.js';
import { planProvider } from '../../plugins/trace/settings/plan-provider.js';
import { planTelemetry, selectorTelemetryName } from '../../plugins/trace/settings/plan-telemetry.js';
import { parseSelector } from '../../plugins/trace/settings/scope.js';
import { serviceOfHost } from '../../plugins/trace/commands/enable.js';

const MESH_TEXT = `# written by hand
trustDomain: cluster.local
rootNamespace: istio-system
defaultConfig:
  discoveryAddress: istiod.istio-system.svc:15012
  tracing:
    sampling: 5
extensionProviders:
- name: prometheus
  prometheus: {}
- name: zipkin
  zipkin:
    service: zipkin.istio-system.svc.cluster.local
    port: 9411
`;

function plane(mesh: string = MESH_TEXT, extra: { env?: string; labels?: Record<string, string>; rev?: string } = {}): ControlPlane {
  const name = extra.rev ? `istio-${extra.rev}` : 'istio';
  return controlPlanes(
    [{ metadata: { name, namespace: 'istio-system', resourceVersion: '42', labels: extra.labels ?? {} }, data: { mesh, meshNetworks: 'networks: {}' } }],
    [
      {
        metadata: { name: extra.rev ? `istiod-${extra.rev}` : 'istiod', labels: { app: 'istiod', ...(extra.rev ? { 'istio.io/rev': extra.rev } : {}) } },
        spec: { template: { spec: { containers: [{ name: 'discovery', env: extra.env ? [{ name: 'PILOT_TRACE_SAMPLING', value: extra.env }] : [] }] } } },
      },
    ],
  )[0];
}

function telemetry(ns: string, name: string, spec: Telemetry['spec'], created = '2026-01-01T00:00:00Z', labels: Record<string, string> = {}): Telemetry {
  return {
    apiVersion: 'telemetry.istio.io/v1',
    kind: 'Telemetry',
    metadata: { name, namespace: ns, creationTimestamp: created, resourceVersion: '7', labels },
    spec,
  };
}

const bookinfo = { name: 'bookinfo', labels: { 'istio-injection': 'enabled' } };
const reviewsV2 = { kind: 'deployment', name: 'reviews-v2', namespace: 'bookinfo', labels: { app: 'reviews', version: 'v2' }, annotations: {} };

function observed(p: ControlPlane[], telemetries: Telemetry[], workloads = [reviewsV2]): Observed {
  return { istioNamespace: 'istio-system', planes: p, tags: {}, telemetries, namespaces: [bookinfo, { name: 'legacy', labels: {} }], workloads };
}

describe('trace settings: mesh config', () => {
  it('names the ConfigMap of a revision, reads and rewrites the mesh config keeping every field', () => {
    assert.equal(meshConfigMapName(), 'istio');
    assert.equal(meshConfigMapName('default'), 'istio');
    assert.equal(meshConfigMapName('canary'), 'istio-canary');
    const m = parseMeshConfig(MESH_TEXT, 'x');
    assert.deepEqual(parseMeshConfig(dumpMeshConfig(m), 'x'), m);
    assert.throws(() => parseMeshConfig('a: [', 'ConfigMap istio-system/istio'), /ConfigMap istio-system\/istio: the mesh config is not valid YAML/);
  });

  it('tells who manages the ConfigMap', () => {
    assert.equal(
      meshConfigManager({ labels: { 'app.kubernetes.io/managed-by': 'Helm' }, annotations: { 'meta.helm.sh/release-name': 'istiod' } })?.tool,
      'Helm',
    );
    assert.match(
      meshConfigManager({ labels: { 'operator.istio.io/managed': 'Reconcile', 'install.operator.istio.io/owning-resource': 'installed-state' } })!.detail,
      /IstioOperator installed-state/,
    );
    assert.equal(meshConfigManager({ labels: { 'install.operator.istio.io/owning-resource': 'unknown' } }), undefined);
    assert.equal(meshConfigManager({ labels: { 'app.kubernetes.io/managed-by': 'argocd' } })?.tool, 'argocd');
  });

  it('enable: adds a provider, makes it the default first, keeps the rest, refuses a name of another type', () => {
    const p = plane();
    const plan = planProvider(p, {
      type: 'opentelemetry',
      name: 'otel',
      service: 'jaeger-collector.istio-system.svc.cluster.local',
      port: 4317,
      makeDefault: true,
    });
    assert.equal(plan.action, 'created');
    const change = plan.changes[0];
    assert.equal(change.action, 'patch');
    const patch = change.action === 'patch' ? (change.patch as { metadata: unknown; data: { mesh: string } }) : undefined;
    const written = parseMeshConfig(patch!.data.mesh, 'x');
    const before = parseMeshConfig(MESH_TEXT, 'x');
    assert.deepEqual(
      { ...written, extensionProviders: undefined, defaultProviders: undefined },
      { ...before, extensionProviders: undefined, defaultProviders: undefined },
    );
    assert.deepEqual(written.extensionProviders, [
      ...before.extensionProviders!,
      { name: 'otel', opentelemetry: { service: 'jaeger-collector.istio-system.svc.cluster.local', port: 4317 } },
    ]);
    assert.deepEqual(written.defaultProviders, { tracing: ['otel'] });
    assert.deepEqual(patch!.metadata, { resourceVersion: '42' });
    assert.match(plan.warnings.join('\n'), /comments .* are not kept/);
    // Same again: nothing to do.
    const again = planProvider(
      { ...p, mesh: written },
      { type: 'opentelemetry', name: 'otel', service: 'jaeger-collector.istio-system.svc.cluster.local', port: 4317, makeDefault: true },
    );
    assert.equal(again.action, 'unchanged');
    assert.throws(
      () => planProvider(p, { type: 'opentelemetry', name: 'zipkin', service: 'x.y', port: 1, makeDefault: false }),
      /already has an extension provider named "zipkin" of another type/,
    );
    assert.throws(
      () => planProvider(p, { type: 'zipkin', name: 'z', service: 'not a host', port: 9411, makeDefault: false }),
      /--service: service "not a host" is not a host name/,
    );
    const http = planProvider(p, { type: 'opentelemetry', name: 'otel-http', service: 'otel/collector', port: 4318, path: '/v1/traces', makeDefault: false });
    assert.deepEqual(http.mesh.extensionProviders?.at(-1), {
      name: 'otel-http',
      opentelemetry: { service: 'otel/collector', port: 4318, http: { path: '/v1/traces' } },
    });
  });

  it('finds the Service a provider host names', () => {
    assert.deepEqual(serviceOfHost('zipkin.istio-system.svc.cluster.local'), { name: 'zipkin', namespace: 'istio-system' });
    assert.deepEqual(serviceOfHost('zipkin.istio-system'), { name: 'zipkin', namespace: 'istio-system' });
    assert.deepEqual(serviceOfHost('istio-system/zipkin'), { name: 'zipkin', namespace: 'istio-system' });
    assert.equal(serviceOfHost('collector.example.com'), undefined);
  });
});

describe('trace settings: precedence', () => {
  const root = telemetry('istio-system', 'mesh-default', { tracing: [{ randomSamplingPercentage: 1, providers: [{ name: 'zipkin' }] }] });
  const ns = telemetry('bookinfo', 'ns', { tracing: [{ randomSamplingPercentage: 10 }] }, '2026-01-02T00:00:00Z');
  const nsLater = telemetry('bookinfo', 'ignored', { tracing: [{ randomSamplingPercentage: 99 }] }, '2026-01-03T00:00:00Z');
  const wl = telemetry('bookinfo', 'reviews-v2', { selector: { matchLabels: { app: 'reviews', version: 'v2' } }, tracing: [{ randomSamplingPercentage: 50 }] });

  it('orders Telemetries as istiod merges them: root, the oldest namespace-wide one, matching selectors', () => {
    const a = applicableTelemetries([wl, nsLater, ns, root], { rootNamespace: 'istio-system', namespace: 'bookinfo', labels: reviewsV2.labels });
    assert.deepEqual(
      a.map((x) => `${x.level}:${x.telemetry.metadata?.name}`),
      ['mesh:mesh-default', 'namespace:ns', 'workload:reviews-v2'],
    );
  });

  it('workload > namespace > root, each value with its source', () => {
    const o = observed([plane()], [root, ns, nsLater, wl]);
    const n = effectiveTracing(o, bookinfo);
    assert.equal(n.server.sampling.value, 10);
    assert.equal(n.server.sampling.source, 'Telemetry bookinfo/ns (namespace)');
    assert.equal(n.server.provider?.source, 'Telemetry istio-system/mesh-default (mesh-wide)');
    assert.match(n.server.provider.value, /^zipkin \(zipkin zipkin\.istio-system\.svc\.cluster\.local:9411\)$/);
    const w = effectiveTracing(o, bookinfo, reviewsV2);
    assert.equal(w.server.sampling.value, 50);
    assert.equal(w.server.sampling.source, 'Telemetry bookinfo/reviews-v2 (workload)');
    const rows = tracingStatus(o);
    assert.deepEqual(
      rows.map((r) => `${r.namespace}/${r.workload ?? '*'} ${r.server.sampling.value}`),
      ['bookinfo/* 10', 'bookinfo/deployment/reviews-v2 50', 'legacy/* 1'],
    );
    assert.equal(rows[2].injected, false);
  });

  it('without Telemetry sampling: pod annotation > defaultConfig.tracing.sampling > PILOT_TRACE_SAMPLING > 1', () => {
    const onlyProvider = telemetry('istio-system', 'mesh-default', { tracing: [{ providers: [{ name: 'zipkin' }] }] });
    const annotated = { ...reviewsV2, annotations: { 'proxy.istio.io/config': 'tracing:\n  sampling: 25\n' } };
    const o = observed([plane(MESH_TEXT, { env: '100' })], [onlyProvider], [annotated]);
    const w = effectiveTracing(o, bookinfo, annotated);
    assert.deepEqual(w.server.sampling, { value: 25, source: 'pod annotation proxy.istio.io/config', atPodStart: true });
    const n = effectiveTracing(o, bookinfo);
    assert.deepEqual(n.server.sampling, { value: 5, source: 'MeshConfig defaultConfig.tracing.sampling (ConfigMap istio-system/istio)', atPodStart: true });
    const noDefault = MESH_TEXT.replace('    sampling: 5\n', '');
    assert.deepEqual(effectiveTracing(observed([plane(noDefault, { env: '100' })], [onlyProvider]), bookinfo).server.sampling, {
      value: 100,
      source: 'istiod PILOT_TRACE_SAMPLING (deployment istiod)',
    });
    assert.equal(effectiveTracing(observed([plane(noDefault, { env: '250' })], [onlyProvider]), bookinfo).server.sampling.value, 1);
    assert.deepEqual(effectiveTracing(observed([plane(noDefault)], [onlyProvider]), bookinfo).server.sampling, {
      value: 1,
      source: "istiod's default (PILOT_TRACE_SAMPLING unset on deployment istiod)",
    });
    // defaultConfig sampling 0 means unset; above 100 becomes 1.
    assert.equal(
      effectiveTracing(observed([plane(MESH_TEXT.replace('sampling: 5', 'sampling: 0'), { env: '30' })], [onlyProvider]), bookinfo).server.sampling.value,
      30,
    );
    assert.equal(effectiveTracing(observed([plane(MESH_TEXT.replace('sampling: 5', 'sampling: 150'))], [onlyProvider]), bookinfo).server.sampling.value, 1);
  });

  it('provider: Telemetry, else defaultProviders.tracing; an unknown or missing provider means no spans', () => {
    const withDefault = MESH_TEXT + 'defaultProviders:\n  tracing: [zipkin]\n';
    const n = effectiveTracing(observed([plane(withDefault)], []), bookinfo);
    assert.equal(n.server.enabled.value, true);
    assert.equal(n.server.provider?.source, 'MeshConfig defaultProviders.tracing (ConfigMap istio-system/istio)');
    const unknown = effectiveTracing(observed([plane()], [telemetry('bookinfo', 'x', { tracing: [{ providers: [{ name: 'jaeger' }] }] })]), bookinfo);
    assert.equal(unknown.server.enabled.value, false);
    assert.match(unknown.server.enabled.source, /provider "jaeger" is not among the mesh config's extensionProviders/);
    const none = effectiveTracing(observed([plane()], [telemetry('bookinfo', 'x', { tracing: [{ randomSamplingPercentage: 10 }] })]), bookinfo);
    assert.equal(none.server.enabled.value, false);
    assert.match(none.server.enabled.source, /^no provider/);
    const disabled = effectiveTracing(observed([plane(withDefault)], [telemetry('bookinfo', 'x', { tracing: [{ disableSpanReporting: true }] })]), bookinfo);
    assert.equal(disabled.server.enabled.source, 'disableSpanReporting in Telemetry bookinfo/x (namespace)');
    const clientOnly = effectiveTracing(
      observed([plane(withDefault)], [telemetry('bookinfo', 'x', { tracing: [{ match: { mode: 'CLIENT' }, randomSamplingPercentage: 20 }] })]),
      bookinfo,
    );
    assert.equal(clientOnly.client.sampling.value, 20);
    assert.equal(clientOnly.server.sampling.value, 5);
  });

  it('legacy: no Telemetry and no default provider: enableTracing and the defaultConfig tracer decide', () => {
    const legacy = MESH_TEXT.replace('    sampling: 5\n', '    sampling: 5\n    zipkin:\n      address: zipkin.istio-system:9411\n');
    const on = effectiveTracing(observed([plane(legacy)], []), bookinfo);
    assert.equal(on.server.enabled.value, true);
    assert.equal(on.server.provider?.value, 'legacy zipkin zipkin.istio-system:9411');
    const off = effectiveTracing(observed([plane(legacy + 'enableTracing: false\n')], []), bookinfo);
    assert.equal(off.server.enabled.value, false);
    assert.match(off.server.enabled.source, /enableTracing: false/);
  });

  it('revisions: a namespace uses its revision (or tag) and only config of that revision', () => {
    assert.equal(revisionOf({}, { 'istio.io/rev': 'prod' }, { prod: 'canary' }), 'canary');
    assert.equal(revisionOf({}, { 'istio-injection': 'enabled' }, {}), 'default');
    assert.equal(revisionOf({ 'sidecar.istio.io/inject': 'false' }, { 'istio-injection': 'enabled' }, {}), undefined);
    const canaryMesh = MESH_TEXT.replace('sampling: 5', 'sampling: 7');
    const planes = [plane(), plane(canaryMesh, { rev: 'canary', labels: { 'istio.io/rev': 'canary' } })];
    const onlyCanary = telemetry('canary-ns', 't', { tracing: [{ randomSamplingPercentage: 33, providers: [{ name: 'zipkin' }] }] }, undefined, {
      'istio.io/rev': 'default',
    });
    const o: Observed = { ...observed(planes, [onlyCanary]), namespaces: [{ name: 'canary-ns', labels: { 'istio.io/rev': 'canary' } }] };
    const e = effectiveTracing(o, o.namespaces[0]);
    assert.equal(e.revision, 'canary');
    // The Telemetry is labelled for the default revision, so canary's istiod ignores it: legacy mode.
    assert.equal(e.server.sampling.value, 7);
  });
});

describe('trace settings: Telemetry plans', () => {
  const base = { plane: plane(), plugin: 'trace' };

  it('creates a Telemetry for a namespace, or changes the oldest selector-less one in place (other fields kept)', () => {
    const created = planTelemetry({ ...base, scope: { level: 'namespace', namespace: 'bookinfo' }, edit: { sampling: 10 }, telemetries: [] });
    assert.equal(created.target, 'bookinfo/kubectl-trace');
    assert.deepEqual(created.desired.spec, { tracing: [{ randomSamplingPercentage: 10 }] });
    assert.deepEqual(created.desired.metadata?.labels, { 'app.kubernetes.io/managed-by': 'kubectl-trace' });
    const existing = telemetry('bookinfo', 'team', {
      metrics: [{ providers: [{ name: 'prometheus' }] }],
      tracing: [{ customTags: { a: { literal: { value: 'b' } } } }],
    });
    const other = telemetry('bookinfo', 'newer', { tracing: [] }, '2026-05-01T00:00:00Z');
    const changed = planTelemetry({ ...base, scope: { level: 'namespace', namespace: 'bookinfo' }, edit: { sampling: 10 }, telemetries: [other, existing] });
    assert.equal(changed.target, 'bookinfo/team');
    assert.deepEqual(changed.changes, [
      {
        action: 'patch',
        ref: { apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', name: 'team', namespace: 'bookinfo' },
        patch: { metadata: { resourceVersion: '7' }, spec: { tracing: [{ customTags: { a: { literal: { value: 'b' } } }, randomSamplingPercentage: 10 }] } },
        verb: 'configured',
      },
    ]);
    assert.match(changed.warnings[0], /istiod uses only the oldest, team/);
    const same = planTelemetry({ ...base, scope: { level: 'namespace', namespace: 'bookinfo' }, edit: { sampling: 10 }, telemetries: [changed.desired] });
    assert.deepEqual(same.changes, []);
  });

  it('mesh-wide goes to the root namespace; a selector gets its own Telemetry; --revision labels it', () => {
    const mesh = planTelemetry({ ...base, scope: { level: 'mesh' }, edit: { disable: true }, telemetries: [], revision: 'canary' });
    assert.equal(mesh.target, 'istio-system/kubectl-trace');
    assert.equal(mesh.desired.metadata?.labels?.['istio.io/rev'], 'canary');
    const sel = planTelemetry({
      ...base,
      scope: { level: 'workload', namespace: 'bookinfo', selector: { app: 'reviews', version: 'v2' } },
      edit: { sampling: 100 },
      telemetries: [],
    });
    assert.equal(sel.target, 'bookinfo/kubectl-trace-app-reviews-version-v2');
    assert.deepEqual(sel.desired.spec?.selector, { matchLabels: { app: 'reviews', version: 'v2' } });
    assert.equal(selectorTelemetryName({ 'app.kubernetes.io/name': 'x'.repeat(80) }).length, 63);
  });

  it('refuses a provider the mesh config does not define', () => {
    assert.throws(
      () => planTelemetry({ ...base, scope: { level: 'mesh' }, edit: { sampling: 1, provider: 'jaeger' }, telemetries: [] }),
      /provider "jaeger" is not a tracing provider in ConfigMap istio-system\/istio \(it has zipkin\)/,
    );
  });

  it('selectors: equality only', () => {
    assert.deepEqual(parseSelector('app=reviews,version=v2'), { app: 'reviews', version: 'v2' });
    assert.throws(() => parseSelector('app!=reviews'), /equality only/);
    assert.throws(() => parseSelector('app'), /must look like key=value/);
  });
});

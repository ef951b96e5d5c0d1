// kubectl trace enable/sampling/disable/status on the real control plane: Telemetry at each scope
// (accepted by the API server's CRD schema and by istioctl validate), status naming the source of each
// value per namespace and workload, the mesh config's other fields untouched, revisions kept apart.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { bin } from '../harness/binaries.js';
import type { Cluster } from '../harness/cluster.js';
import { runTrace } from '../support/trace-cli.js';
import { sharedCluster } from '../support/fixture.js';

// Our own Istio namespace: other tests of the run may use istio-system.
const ISTIO = 'trace-istio';
const APP = 'trace-bookinfo';
const CANARY = 'trace-canary';

const MESH = `# hand-written mesh config
trustDomain: cluster.local
rootNamespace: ${ISTIO}
accessLogFile: /dev/stdout
defaultConfig:
  discoveryAddress: istiod.${ISTIO}.svc:15012
  holdApplicationUntilProxyStarts: true
extensionProviders:
- name: prometheus
  prometheus: {}
- name: otel-logs
  envoyOtelAls:
    service: otel.${ISTIO}.svc.cluster.local
    port: 4317
`;

function deployment(
  name: string,
  ns: string,
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
  env: { name: string; value: string }[] = [],
) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations },
        spec: { containers: [{ name: name.startsWith('istiod') ? 'discovery' : 'app', image: 'example/app:1', env }] },
      },
    },
  };
}

interface Status {
  kind: string;
  controlPlanes: { revision: string; managedBy?: string; defaultProviders: string[]; tracingProviders: { name: string }[] }[];
  items: {
    namespace: string;
    workload?: string;
    revision?: string;
    server: {
      enabled: { value: boolean; source: string };
      sampling: { value: number; source: string; atPodStart?: boolean };
      provider?: { value: string; source: string };
    };
  }[];
}

describe('kubectl trace settings on the control plane', function () {
  this.timeout(180_000);
  let c: Cluster;
  const run = (args: string[], kubeconfig?: string) => runTrace([...args, '--istio-namespace', ISTIO], kubeconfig ?? c.kubeconfig);
  const status = async (ns: string): Promise<Status> => {
    const r = await run(['status', '-n', ns, '-o', 'json']);
    assert.equal(r.exitCode, 0, r.stderr);
    return JSON.parse(r.stdout) as Status;
  };
  const row = (s: Status, workload?: string) =>
    s.items.find((i) => i.workload === workload) ?? assert.fail(`no row ${workload ?? '*'} in ${JSON.stringify(s.items)}`);
  const ENABLE_ZIPKIN = [
    'enable',
    '--provider',
    'zipkin',
    '--service',
    `zipkin.${ISTIO}.svc.cluster.local`,
    '--port',
    '9411',
    '--default',
    '--revision',
    'default',
  ];
  const OTEL = ['enable', '--provider', 'opentelemetry', '--name', 'otel', '--service', `otel-collector.${ISTIO}.svc.cluster.local`, '--port', '4317'];
  const meshOf = async (name = 'istio') =>
    yaml.load((JSON.parse((await c.kubectl(['get', 'configmap', name, '-n', ISTIO, '-o', 'json'])).stdout) as { data: { mesh: string } }).data.mesh) as Record<
      string,
      unknown
    >;
  const validate = async (kind: string, name: string, ns: string) => {
    const obj = (await c.kubectl(['get', kind, name, '-n', ns, '-o', 'yaml'])).stdout;
    const file = join(mkdtempSync(join(tmpdir(), 'trace-validate-')), 'obj.yaml');
    writeFileSync(file, obj);
    const v = await execa(bin('istioctl'), ['validate', '-f', file], { reject: false });
    assert.equal(v.exitCode, 0, `istioctl validate: ${v.stdout}${v.stderr}`);
  };

  before(async () => {
    c = await sharedCluster();
    for (const ns of [ISTIO, APP, CANARY]) await c.kubectl(['create', 'namespace', ns]);
    await c.kubectl(['label', 'namespace', APP, 'istio-injection=enabled']);
    await c.kubectl(['label', 'namespace', CANARY, 'istio.io/rev=canary']);
    await c.apply([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'istio',
          namespace: ISTIO,
          labels: { 'app.kubernetes.io/managed-by': 'Helm', 'istio.io/rev': 'default', release: 'istiod' },
          annotations: { 'meta.helm.sh/release-name': 'istiod', 'meta.helm.sh/release-namespace': ISTIO },
        },
        data: { mesh: MESH, meshNetworks: 'networks: {}' },
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'istio-canary', namespace: ISTIO, labels: { 'istio.io/rev': 'canary' } },
        data: { mesh: `rootNamespace: ${ISTIO}\ndefaultConfig:\n  tracing:\n    sampling: 7\n` },
      },
      deployment('istiod', ISTIO, { app: 'istiod', 'istio.io/rev': 'default' }, {}, [{ name: 'PILOT_TRACE_SAMPLING', value: '100' }]),
      deployment('istiod-canary', ISTIO, { app: 'istiod', 'istio.io/rev': 'canary' }),
      deployment('productpage-v1', APP, { app: 'productpage', version: 'v1' }),
      deployment('reviews-v2', APP, { app: 'reviews', version: 'v2' }, { 'proxy.istio.io/config': 'tracing:\n  sampling: 25\n' }),
      deployment('ratings-v1', CANARY, { app: 'ratings', version: 'v1' }),
    ]);
  });
  after(async () => {
    for (const ns of [ISTIO, APP, CANARY]) await c?.kubectl(['delete', 'namespace', ns, '--wait=false'], { reject: false });
  });

  it('status before any change: the pod annotation, then istiod PILOT_TRACE_SAMPLING; no provider, so no spans', async () => {
    const s = await status(APP);
    assert.equal(s.kind, 'TracingStatus');
    assert.deepEqual(
      s.controlPlanes.map((p) => [p.revision, p.managedBy]),
      [
        ['default', 'Helm'],
        ['canary', undefined],
      ],
    );
    const ns = row(s);
    assert.equal(ns.revision, 'default');
    assert.deepEqual(ns.server.sampling, { value: 100, source: 'istiod PILOT_TRACE_SAMPLING (deployment istiod)' });
    assert.equal(ns.server.enabled.value, false);
    assert.match(ns.server.enabled.source, /^no provider/);
    assert.deepEqual(row(s, 'deployment/reviews-v2').server.sampling, { value: 25, source: 'pod annotation proxy.istio.io/config', atPodStart: true });
    const table = await run(['status', '-n', APP]);
    assert.match(
      table.stdout,
      /^Mesh config trace-istio\/istio \(revision default\), managed by Helm: enableTracing true, root namespace trace-istio, istiod PILOT_TRACE_SAMPLING 100\n/,
    );
    assert.match(table.stdout, /\nNAMESPACE\s+WORKLOAD\s+REVISION\s+TRACING\s+PROVIDER\s+SAMPLING\s+SAMPLING FROM\s+PROVIDER FROM\n/);
    assert.match(table.stdout, /\ntrace-bookinfo\s+deployment\/reviews-v2\s+default\s+off\s+-\s+25%\s+pod annotation proxy\.istio\.io\/config †/);
    assert.match(table.stdout, /† read by the sidecar when the pod starts/);
  });

  it('sampling refuses to write a Telemetry that would leave a namespace without a provider', async () => {
    const r = await run(['sampling', '10', '-n', APP]);
    assert.equal(r.exitCode, 1);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /^error: this would leave namespace trace-bookinfo and its 2 workloads without a tracing provider, which turns span reporting off: .* pass --provider NAME \(defined: prometheus, otel-logs\)/,
    );
    assert.equal((await c.kubectl(['get', 'telemetries.telemetry.istio.io', '-A', '-o', 'name'])).stdout.includes('kubectl-trace'), false);
  });

  it('enable --provider zipkin --default: the provider in the mesh config, every other field untouched; run twice, unchanged', async () => {
    const before = await meshOf();
    const r = await run(ENABLE_ZIPKIN);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, 'configmap/istio configured');
    assert.match(r.stderr, /Warning: ConfigMap trace-istio\/istio is managed by Helm release istiod in trace-istio: the next helm upgrade replaces this edit/);
    assert.match(r.stderr, /Warning: service trace-istio\/zipkin does not exist \(yet\)/);
    assert.match(r.stderr, /comments in its mesh config are not kept/);
    assert.match(r.stderr, /no pod restart needed/);
    const after = await meshOf();
    assert.deepEqual(
      { ...after, extensionProviders: undefined, defaultProviders: undefined },
      { ...before, extensionProviders: undefined, defaultProviders: undefined },
    );
    assert.deepEqual(after['extensionProviders'], [
      ...(before['extensionProviders'] as unknown[]),
      { name: 'zipkin', zipkin: { service: `zipkin.${ISTIO}.svc.cluster.local`, port: 9411 } },
    ]);
    assert.deepEqual(after['defaultProviders'], { tracing: ['zipkin'] });
    assert.deepEqual(await meshOf('istio-canary'), { rootNamespace: ISTIO, defaultConfig: { tracing: { sampling: 7 } } }, 'only the default revision changed');
    const again = await run(ENABLE_ZIPKIN);
    assert.equal(again.stdout, 'configmap/istio unchanged');
  });

  it('sampling -n: a namespace Telemetry (valid for the CRD schema and istioctl), status names it; the annotation no longer counts', async () => {
    const dry = await run(['sampling', '10', '-n', APP, '--dry-run=client']);
    assert.equal(dry.exitCode, 0, dry.stderr);
    assert.match(dry.stdout, /^apiVersion: telemetry\.istio\.io\/v1\nkind: Telemetry\n/);
    const r = await run(['sampling', '10', '-n', APP]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, 'telemetry.telemetry.istio.io/kubectl-trace created');
    assert.match(r.stderr, /sampling 10% for namespace trace-bookinfo: istiod pushes Telemetry changes to the sidecars, no pod restart needed/);
    await validate('telemetries.telemetry.istio.io', 'kubectl-trace', APP);
    const s = await status(APP);
    assert.deepEqual(row(s).server.sampling, { value: 10, source: 'Telemetry trace-bookinfo/kubectl-trace (namespace)' });
    assert.equal(row(s).server.enabled.value, true);
    assert.equal(row(s).server.provider?.source, 'MeshConfig defaultProviders.tracing (ConfigMap trace-istio/istio)');
    assert.equal(
      s.items.find((i) => i.workload === 'deployment/reviews-v2'),
      undefined,
      'reviews-v2 now gets what its namespace gets (Telemetry beats the annotation)',
    );
    const again = await run(['sampling', '10', '-n', APP]);
    assert.equal(again.stdout, 'telemetry.telemetry.istio.io/kubectl-trace unchanged');
  });

  it('sampling --selector: a workload Telemetry wins over the namespace one; --mesh-wide says which scopes keep their own', async () => {
    const w = await run(['sampling', '50', '-n', APP, '--selector', 'app=reviews,version=v2', '-o', 'json']);
    assert.equal(w.exitCode, 0, w.stderr);
    const doc = JSON.parse(w.stdout) as {
      kind: string;
      action: string;
      telemetry: string;
      after: { workload?: string; server: { sampling: { value: number } } }[];
    };
    assert.equal(doc.kind, 'TracingChange');
    assert.equal(doc.action, 'created');
    assert.equal(doc.telemetry, `${APP}/kubectl-trace-app-reviews-version-v2`);
    assert.deepEqual(
      doc.after.map((a) => [a.workload, a.server.sampling.value]),
      [['deployment/reviews-v2', 50]],
    );
    await validate('telemetries.telemetry.istio.io', 'kubectl-trace-app-reviews-version-v2', APP);
    const s = await status(APP);
    assert.deepEqual(row(s, 'deployment/reviews-v2').server.sampling, {
      value: 50,
      source: 'Telemetry trace-bookinfo/kubectl-trace-app-reviews-version-v2 (workload)',
    });
    assert.equal(row(s).server.sampling.value, 10);

    const mesh = await run(['sampling', '1', '--mesh-wide']);
    assert.equal(mesh.exitCode, 0, mesh.stderr);
    assert.equal(mesh.stdout, 'telemetry.telemetry.istio.io/kubectl-trace created');
    assert.match(mesh.stderr, /Warning: namespace trace-bookinfo keeps 10% from Telemetry trace-bookinfo\/kubectl-trace \(namespace\), which is more specific/);
    // The canary revision has no provider yet: its namespaces reported nothing before and still do not.
    assert.match(mesh.stderr, /Warning: namespace trace-canary reports no spans \(no provider/);
    await validate('telemetries.telemetry.istio.io', 'kubectl-trace', ISTIO);
    const canary = await status(CANARY);
    assert.deepEqual(row(canary).server.sampling, { value: 1, source: 'Telemetry trace-istio/kubectl-trace (mesh-wide)' });
    assert.equal(row(canary).revision, 'canary');
  });

  it('disable and enable at a scope: span reporting off and on, with the source', async () => {
    const off = await run(['disable', '-n', APP]);
    assert.equal(off.exitCode, 0, off.stderr);
    assert.equal(off.stdout, 'telemetry.telemetry.istio.io/kubectl-trace configured');
    let s = await status(APP);
    assert.equal(row(s).server.enabled.value, false);
    assert.equal(row(s).server.enabled.source, 'disableSpanReporting in Telemetry trace-bookinfo/kubectl-trace (namespace)');
    const tel = JSON.parse((await c.kubectl(['get', 'telemetries.telemetry.istio.io', 'kubectl-trace', '-n', APP, '-o', 'json'])).stdout) as { spec: unknown };
    assert.deepEqual(tel.spec, { tracing: [{ randomSamplingPercentage: 10, disableSpanReporting: true }] }, 'sampling kept');
    const on = await run(['enable', '-n', APP]);
    assert.equal(on.exitCode, 0, on.stderr);
    s = await status(APP);
    assert.equal(row(s).server.enabled.value, true);
    await validate('telemetries.telemetry.istio.io', 'kubectl-trace', APP);
  });

  it('revisions: enable needs --revision when several control planes exist; Telemetry can be limited to one', async () => {
    const r = await run(OTEL);
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      /^error: 2 control-plane revisions have their own mesh config \(default: ConfigMap istio, canary: ConfigMap istio-canary\); choose one with --revision/,
    );
    const canary = await run([...OTEL, '--revision', 'canary', '--default']);
    assert.equal(canary.exitCode, 0, canary.stderr);
    assert.deepEqual((await meshOf('istio-canary'))['defaultProviders'], { tracing: ['otel'] });
    assert.equal(
      ((await meshOf())['extensionProviders'] as { name: string }[]).some((p) => p.name === 'otel'),
      false,
    );
    const t = await run(['sampling', '20', '-n', CANARY, '--revision', 'canary']);
    assert.equal(t.exitCode, 0, t.stderr);
    const { labels } = (
      JSON.parse((await c.kubectl(['get', 'telemetries.telemetry.istio.io', 'kubectl-trace', '-n', CANARY, '-o', 'json'])).stdout) as {
        metadata: { labels: Record<string, string> };
      }
    ).metadata;
    assert.equal(labels['istio.io/rev'], 'canary');
    const s = await status(CANARY);
    assert.deepEqual(row(s).server.sampling, { value: 20, source: 'Telemetry trace-canary/kubectl-trace (namespace)' });
    assert.match(row(s).server.provider!.value, /^otel \(opentelemetry otel-collector/);
  });

  it('bad input never reaches the cluster: a percentage out of range, an unknown provider, a selector with !=', async () => {
    const out = await run(['sampling', '101', '-n', APP]);
    assert.equal(out.exitCode, 2);
    assert.match(out.stderr, /^error: sampling percentage "101" must be a number from 0 to 100$/);
    const unknown = await run(['sampling', '5', '-n', APP, '--provider', 'jaeger']);
    assert.equal(unknown.exitCode, 1);
    assert.match(unknown.stderr, /provider "jaeger" is not a tracing provider in ConfigMap trace-istio\/istio \(it has zipkin\)/);
    const sel = await run(['sampling', '5', '-n', APP, '--selector', 'app!=x']);
    assert.equal(sel.exitCode, 2);
    const noPort = await run(['enable', '--provider', 'zipkin', '--service', 'zipkin.x.svc']);
    assert.equal(noPort.exitCode, 2);
    assert.match(noPort.stderr, /needs all of --provider/);
  });
});

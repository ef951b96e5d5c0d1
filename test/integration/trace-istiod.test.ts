// kubectl trace enable/sampling/status against a real istiod: the mesh config we write is the one
// istiod loads (/debug/mesh), every Telemetry passes istiod's validating webhook and is in its config
// store (/debug/configz), and status names the source istiod would use for each namespace and workload.
import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { until, type Cluster } from '../harness/cluster.js';
import { sharedMeshCluster } from '../support/fixture.js';
import { runTrace } from '../support/trace-cli.js';

const APP = 'trace-mesh-app';

interface MeshDebug {
  extensionProviders?: { name: string; zipkin?: { service: string; port: number } }[];
  defaultProviders?: { tracing?: string[] };
}

interface ConfigzEntry {
  kind: string;
  metadata?: { name?: string; namespace?: string };
  name?: string;
  namespace?: string;
  spec?: { tracing?: { randomSamplingPercentage?: number }[] };
}

describe('kubectl trace settings with a real istiod', function () {
  this.timeout(240_000);
  let c: Cluster;
  let originalMesh: string;
  const run = (args: string[]) => runTrace(args, c.kubeconfig);
  const meshText = async () =>
    (JSON.parse((await c.kubectl(['get', 'configmap', 'istio', '-n', 'istio-system', '-o', 'json'])).stdout) as { data: { mesh: string } }).data.mesh;

  before(async () => {
    c = await sharedMeshCluster();
    originalMesh = await meshText();
    await c.kubectl(['create', 'namespace', APP]);
    await c.kubectl(['label', 'namespace', APP, 'istio-injection=enabled']);
    await c.apply([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'reviews-v2', namespace: APP },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'reviews', version: 'v2' } },
          template: { metadata: { labels: { app: 'reviews', version: 'v2' } }, spec: { containers: [{ name: 'reviews', image: 'example/reviews:2' }] } },
        },
      },
    ]);
  });
  after(async () => {
    if (!c) return;
    await c.kubectl(['delete', 'namespace', APP, '--wait=false'], { reject: false });
    await c.kubectl(['delete', 'telemetries.telemetry.istio.io', 'kubectl-trace', '-n', 'istio-system', '--ignore-not-found'], { reject: false });
    // The mesh cluster is shared with other plugins' tests: leave its mesh config as it was.
    if (originalMesh !== undefined)
      await c.kubectl(['patch', 'configmap', 'istio', '-n', 'istio-system', '--type=merge', '-p', JSON.stringify({ data: { mesh: originalMesh } })]);
  });

  it('enable --default: istiod loads the provider from the mesh config we wrote, every other field kept', async () => {
    const before = yaml.load(await meshText()) as Record<string, unknown>;
    const r = await run(['enable', '--provider', 'zipkin', '--service', 'zipkin.istio-system.svc.cluster.local', '--port', '9411', '--default']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, 'configmap/istio configured');
    const after = yaml.load(await meshText()) as Record<string, unknown>;
    assert.deepEqual(
      { ...after, extensionProviders: undefined, defaultProviders: undefined },
      { ...before, extensionProviders: undefined, defaultProviders: undefined },
    );
    assert.deepEqual((after['defaultProviders'] as { tracing: string[] }).tracing, ['zipkin']);
    await until(
      'istiod to load the zipkin provider',
      async () => {
        const mesh = await c.istiod!.debug<MeshDebug>('mesh');
        return (
          mesh.defaultProviders?.tracing?.[0] === 'zipkin' &&
          mesh.extensionProviders?.some(
            (p) => p.name === 'zipkin' && p.zipkin?.service === 'zipkin.istio-system.svc.cluster.local' && p.zipkin.port === 9411,
          ) === true
        );
      },
      60_000,
    );
  });

  it("sampling at each scope: accepted through istiod's webhook, in istiod's config store, and named by status", async () => {
    for (const args of [['--mesh-wide'], ['-n', APP], ['-n', APP, '--selector', 'app=reviews,version=v2']]) {
      const pct = args.includes('--mesh-wide') ? '1' : args.includes('--selector') ? '50' : '10';
      const r = await run(['sampling', pct, ...args]);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, /^telemetry\.telemetry\.istio\.io\/kubectl-trace[-a-z0-9]* created$/);
    }
    const want = new Map([
      ['istio-system/kubectl-trace', 1],
      [`${APP}/kubectl-trace`, 10],
      [`${APP}/kubectl-trace-app-reviews-version-v2`, 50],
    ]);
    await until(
      "istiod's config store to hold the three Telemetries",
      async () => {
        const configs = await c.istiod!.debug<ConfigzEntry[]>('configz');
        const found = configs.filter((x) => x.kind === 'Telemetry');
        return [...want].every(([key, pct]) =>
          found.some(
            (x) => `${x.namespace ?? x.metadata?.namespace}/${x.name ?? x.metadata?.name}` === key && x.spec?.tracing?.[0]?.randomSamplingPercentage === pct,
          ),
        );
      },
      60_000,
    );
    const s = await run(['status', '-n', APP, '-o', 'json']);
    assert.equal(s.exitCode, 0, s.stderr);
    const doc = JSON.parse(s.stdout) as {
      items: { workload?: string; server: { sampling: { value: number; source: string }; provider?: { source: string } } }[];
    };
    const ns = doc.items.find((i) => !i.workload)!;
    assert.deepEqual(ns.server.sampling, { value: 10, source: `Telemetry ${APP}/kubectl-trace (namespace)` });
    assert.equal(ns.server.provider?.source, 'MeshConfig defaultProviders.tracing (ConfigMap istio-system/istio)');
    const wl = doc.items.find((i) => i.workload === 'deployment/reviews-v2')!;
    assert.deepEqual(wl.server.sampling, { value: 50, source: `Telemetry ${APP}/kubectl-trace-app-reviews-version-v2 (workload)` });
    const all = await run(['status', '-A', '-o', 'json']);
    const sys = (JSON.parse(all.stdout) as { items: { namespace: string; workload?: string; server: { sampling: { source: string } } }[] }).items.find(
      (i) => i.namespace === 'default' && !i.workload,
    );
    assert.equal(sys?.server.sampling.source, 'Telemetry istio-system/kubectl-trace (mesh-wide)');
  });

  it("istiod's webhook examines Telemetry: two tracing entries draw its warning (we always write one)", async () => {
    const two = {
      apiVersion: 'telemetry.istio.io/v1',
      kind: 'Telemetry',
      metadata: { name: 'two-entries', namespace: APP },
      spec: { tracing: [{ randomSamplingPercentage: 5 }, { match: { mode: 'CLIENT' }, randomSamplingPercentage: 6 }] },
    };
    const r = await c.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: JSON.stringify(two), reject: false });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /Warning: multiple tracing is not currently supported/);
    const ours = (await c.kubectl(['get', 'telemetries.telemetry.istio.io', '-A', '-o', 'json'])).stdout;
    for (const t of (JSON.parse(ours) as { items: { metadata: { labels?: Record<string, string> }; spec: { tracing?: unknown[] } }[] }).items) {
      if (t.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubectl-trace') assert.equal(t.spec.tracing?.length, 1);
    }
  });
});

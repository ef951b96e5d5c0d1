// The test network's figures: the extra start-up time of a cluster's network; how soon a pod's address
// is on the namespace after the pod gets its IP (500 pods); kube-proxy's sync time with 2,000 Services.
//   node build/bench/network.js [--runs N] [--pods N] [--services N]
import { join } from 'node:path';
import { request } from 'node:http';
import { startCluster, until, type Cluster } from '../test/harness/cluster.js';
import { ApiClient, apiAccessFromFiles } from '../test/harness/network/apiwatch.js';
import type { Network } from '../test/harness/network/network.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : dflt);
const runs = opt('runs', 3);
const podCount = opt('pods', 500);
const serviceCount = opt('services', 2000);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const dist = (xs: number[]) => `p50 ${pct(xs, 50)} ms, p90 ${pct(xs, 90)} ms, p99 ${pct(xs, 99)} ms, max ${Math.max(...xs)} ms (n=${xs.length})`;

// 1. Start-up with and without the network, alternating so both see the same machine load.
const without: number[] = [];
const withNet: number[] = [];
for (let i = 0; i < (argv.includes('--skip-startup') ? 0 : runs); i++) {
  const a = await startCluster({ name: `bench-plain-${i}` });
  without.push(a.state.startupMs);
  await a.stop();
  const b = await startCluster({ name: `bench-net-${i}`, network: true });
  if (!b.network) throw new Error('no network: run as root');
  withNet.push(b.state.startupMs);
  await b.stop();
}
if (without.length)
  console.log(
    `cluster ready without network: ${without.map((x) => `${(x / 1000).toFixed(1)} s`).join(', ')} (median ${(median(without) / 1000).toFixed(1)} s)`,
  );
if (withNet.length)
  console.log(
    `cluster ready with network:    ${withNet.map((x) => `${(x / 1000).toFixed(1)} s`).join(', ')} (median ${(median(withNet) / 1000).toFixed(1)} s)`,
  );
if (withNet.length) console.log(`extra start-up of the network: ${((median(withNet) - median(without)) / 1000).toFixed(1)} s (medians)`);

const c: Cluster = await startCluster({
  name: 'bench-net',
  network: true,
  istio: false,
  nodes: [{ name: 'bench-1' }, { name: 'bench-2' }, { name: 'bench-3' }, { name: 'bench-4' }, { name: 'bench-5' }],
});
const net = c.network as Network;
try {
  // 2. Pod addresses: when this process's own watch sees a pod's IP vs. when the agent had it on the interface.
  const pki = join(c.state.dir, 'pki');
  const api = new ApiClient(apiAccessFromFiles(c.server, join(pki, 'ca.crt'), join(pki, 'admin.crt'), join(pki, 'admin.key')));
  const ipSeen = new Map<string, number>();
  const note = (o: { metadata: { name: string }; status?: Record<string, unknown> }) => {
    if (o.metadata.name.startsWith('burst-') && typeof o.status?.['podIP'] === 'string' && !ipSeen.has(o.metadata.name))
      ipSeen.set(o.metadata.name, Date.now());
  };
  const w = api.watch(
    '/api/v1/namespaces/default/pods',
    (items) => items.forEach(note),
    (_t, o) => note(o),
  );
  await new Promise((r) => setTimeout(r, 500));
  const t0 = Date.now();
  await c.kubectl(['create', 'deployment', 'burst', '--image=x', `--replicas=${podCount}`, '--port=80']);
  await until(
    `${podCount} pod addresses`,
    async () => (await net.pods()).filter((p) => p.name.startsWith('burst-') && p.onInterface).length === podCount && ipSeen.size === podCount,
    600_000,
  );
  w.stop();
  api.close();
  const pods = (await net.pods()).filter((p) => p.name.startsWith('burst-'));
  const fromWatch = pods.map((p) => (p.addedAt ?? 0) - (ipSeen.get(p.name) ?? 0));
  const inAgent = pods.map((p) => (p.addedAt ?? 0) - p.seenAt);
  console.log(`${podCount} pods created and addressed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(
    `pod address on the namespace after its IP was seen by a watch of ours: ${dist(fromWatch)}; within 1 s: ${fromWatch.filter((x) => x < 1000).length}/${podCount}`,
  );
  console.log(`  (after the agent's own watch saw it: ${dist(inAgent)})`);
  await c.kubectl(['scale', 'deployment/burst', '--replicas=10']);

  // 3. kube-proxy with 2,000 Services (10 endpoints each).
  const metric = async (name: string) => {
    const text = await net.kubeProxyMetrics();
    return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
  };
  const services = Array.from({ length: serviceCount }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `svc-${i}`, namespace: 'default' },
    spec: { selector: { app: 'burst' }, ports: [{ port: 80 }] },
  }));
  const t1 = Date.now();
  for (let i = 0; i < services.length; i += 500) await c.apply(services.slice(i, i + 500));
  const applied = Date.now() - t1;
  await until(
    `${serviceCount} EndpointSlices`,
    async () =>
      Number((await c.kubectl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name', '--no-headers'])).stdout.trim().split('\n').length) >= serviceCount,
    600_000,
  );
  console.log(
    `${serviceCount} Services applied in ${(applied / 1000).toFixed(1)} s; their EndpointSlices (controller-manager) all there ${((Date.now() - t1 - applied) / 1000).toFixed(1)} s after`,
  );
  const last = (await c.kubectl(['get', 'svc', `svc-${serviceCount - 1}`, '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
  await net.assertRouted(last);
  const answers = (address: string) =>
    new Promise<boolean>((resolve) => {
      const req = request({ host: address, port: 80, path: '/', timeout: 500, agent: false }, (res) => (res.resume(), resolve(res.statusCode === 200)));
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
  await until(`svc-${serviceCount - 1} to answer`, () => answers(last), 600_000);
  console.log(`the last one answered through kube-proxy (after the apply) ${((Date.now() - t1 - applied) / 1000).toFixed(1)} s after`);
  // One more Service with 2,000 present: how long until it answers (kube-proxy's partial sync).
  const partial: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = Date.now();
    await c.apply([{ ...services[0], metadata: { name: `extra-${i}`, namespace: 'default' } }]);
    const ip = (await c.kubectl(['get', 'svc', `extra-${i}`, '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    await net.assertRouted(ip);
    await until(`extra-${i}`, () => answers(ip), 60_000);
    partial.push(Date.now() - t);
  }
  console.log(`one Service more with ${serviceCount} present, created to answering: ${partial.join(', ')} ms (kube-proxy's minSyncPeriod is 1 s)`);
  // A full sync of everything: kube-proxy started afresh with the Services present.
  const restart = await net.restartKubeProxy();
  console.log(
    `kube-proxy restarted with ${serviceCount} Services: first sync done ${restart} ms after its start, the sync itself took ${(
      (await metric('kubeproxy_sync_full_proxy_rules_duration_seconds_sum')) * 1000
    ).toFixed(0)} ms`,
  );
  const full = await metric('kubeproxy_sync_full_proxy_rules_duration_seconds_sum');
  const fullN = await metric('kubeproxy_sync_full_proxy_rules_duration_seconds_count');
  const part = await metric('kubeproxy_sync_partial_proxy_rules_duration_seconds_sum');
  const partN = await metric('kubeproxy_sync_partial_proxy_rules_duration_seconds_count');
  console.log(
    `kube-proxy totals: ${fullN} full syncs (mean ${((full / fullN) * 1000).toFixed(0)} ms), ${partN} partial syncs (mean ${((part / partN) * 1000).toFixed(0)} ms)`,
  );
} finally {
  await c.stop();
}

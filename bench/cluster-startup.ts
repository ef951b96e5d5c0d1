// Start-up time of the test control plane (binaries cached): one cluster, two at once, and one cluster
// with istiod, each measured from start() to ready (nodes Ready, controllers running, Istio CRDs
// established; with istiod: /ready, the validating webhooks failing closed, istio-ca-root-cert everywhere).
//   node build/bench/cluster-startup.js [--runs N]
import { startCluster } from '../test/harness/cluster.js';

const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 3;
const one: number[] = [];
const two: number[] = [];
const withIstiod: number[] = [];
const istiodOnly: number[] = [];
for (let i = 0; i < runs; i++) {
  let t = Date.now();
  const c = await startCluster({ name: `bench-${i}` });
  one.push(Date.now() - t);
  await c.stop();
  t = Date.now();
  const pair = await Promise.all([
    startCluster({ name: `bench-a${i}`, podCIDR: '10.30.0.0/16', serviceCIDR: '10.130.0.0/16' }),
    startCluster({ name: `bench-b${i}`, podCIDR: '10.40.0.0/16', serviceCIDR: '10.140.0.0/16' }),
  ]);
  two.push(Date.now() - t);
  await Promise.all(pair.map((c) => c.stop()));
  t = Date.now();
  const mesh = await startCluster({ name: `bench-istiod-${i}`, istiod: true });
  withIstiod.push(Date.now() - t);
  istiodOnly.push(mesh.istiod?.state.startupMs ?? 0);
  await mesh.stop();
}
const fmt = (xs: number[]) => xs.map((x) => `${(x / 1000).toFixed(1)} s`).join(', ');
console.log(`one cluster ready:        ${fmt(one)} (target <= 20 s)`);
console.log(`two clusters, both ready: ${fmt(two)} (target <= 30 s)`);
console.log(`one cluster and istiod:   ${fmt(withIstiod)} (target <= 15 s); of which istiod, from its start: ${fmt(istiodOnly)}`);

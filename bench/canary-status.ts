// `kubectl canary status` (one canary at 25%, so the table has a row) on a namespace with 2,000 Deployments and 2,000 Services, side by side with
// `kubectl get deploy,svc -o json` (the same data) in one run; reports medians and peak memory.
//   node build/bench/canary-status.js [--objects N] [--runs N] [--baseline <another build's dist/bin>] [--keep <dir>]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, bin } from '../test/harness/binaries.js';
import { sideBySide, withBaseline } from './side-by-side.js';
import { canaryObjects } from './bulk-objects.js';
import { applyAll, benchCluster } from './bench-cluster.js';

const argv = process.argv.slice(2);
const n = Number(argv[argv.indexOf('--objects') + 1]) || 2000;
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 7;
const NS = 'bulk';
const plugin = join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary');

const { cluster, stop } = await benchCluster(argv, { name: 'bench-status', istio: false }, async (c) => {
  await c.kubectl(['create', 'namespace', NS]);
  const [seed, ...docs] = canaryObjects(n, NS);
  await c.apply(seed);
  const set = spawnSync(plugin, ['set', 'new-nginx', '25', '--total', '4', '--wait=false', '-n', NS, '--kubeconfig', c.kubeconfig], { encoding: 'utf8' });
  if (set.status !== 0) throw new Error(set.stderr);
  await applyAll(c, docs);
});
try {
  const cases = [
    { name: 'kubectl get deploy,svc -o json', cmd: bin('kubectl'), args: ['get', 'deploy,svc', '-o', 'json', '-n', NS, '--kubeconfig', cluster.kubeconfig] },
    { name: 'kubectl-canary status', cmd: plugin, args: ['status', '-n', NS, '--kubeconfig', cluster.kubeconfig] },
    { name: 'kubectl-canary status -o json', cmd: plugin, args: ['status', '-o', 'json', '-n', NS, '--kubeconfig', cluster.kubeconfig] },
  ];
  sideBySide(`${n} Deployments and ${n - 1} Services in one namespace`, withBaseline(cases, argv, join(REPO_ROOT, 'dist', 'bin')), runs);
} finally {
  await stop();
}

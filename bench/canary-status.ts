// `kubectl canary status` (one canary at 25%, so the table has a row) on a namespace with 2,000 Deployments and 2,000 Services, side by side with
// `kubectl get deploy,svc -o json` (the same data) in one run; reports medians and peak memory.
//   node build/bench/canary-status.js [--objects N] [--runs N] [--baseline <another build's dist/bin>]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startCluster } from '../test/harness/cluster.js';
import { REPO_ROOT, bin } from '../test/harness/binaries.js';
import { sideBySide, withBaseline } from './side-by-side.js';
import { canaryObjects } from './bulk-objects.js';

const argv = process.argv.slice(2);
const n = Number(argv[argv.indexOf('--objects') + 1]) || 2000;
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 7;
const NS = 'bulk';

const cluster = await startCluster({ name: 'bench-status', istio: false });
try {
  await cluster.kubectl(['create', 'namespace', NS]);
  const [seed, ...docs] = canaryObjects(n, NS);
  await cluster.apply(seed);
  for (let i = 0; i < docs.length; i += 500) await cluster.apply(docs.slice(i, i + 500).join('\n'));
  const plugin = join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary');
  const set = spawnSync(plugin, ['set', 'new-nginx', '25', '--total', '4', '--wait=false', '-n', NS, '--kubeconfig', cluster.kubeconfig], { encoding: 'utf8' });
  if (set.status !== 0) throw new Error(set.stderr);
  const cases = [
    { name: 'kubectl get deploy,svc -o json', cmd: bin('kubectl'), args: ['get', 'deploy,svc', '-o', 'json', '-n', NS, '--kubeconfig', cluster.kubeconfig] },
    { name: 'kubectl-canary status', cmd: plugin, args: ['status', '-n', NS, '--kubeconfig', cluster.kubeconfig] },
    { name: 'kubectl-canary status -o json', cmd: plugin, args: ['status', '-o', 'json', '-n', NS, '--kubeconfig', cluster.kubeconfig] },
  ];
  sideBySide(`${n} Deployments and ${n - 1} Services in one namespace`, withBaseline(cases, argv, join(REPO_ROOT, 'dist', 'bin')), runs);
} finally {
  await cluster.stop();
}

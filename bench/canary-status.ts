// `kubectl canary status` (one canary at 25%, so the table has a row) on a namespace with 2,000 Deployments and 2,000 Services, side by side with
// `kubectl get deploy,svc -o json` (the same data) in one run; reports medians and peak memory.
//   node build/bench/canary-status.js [--objects N] [--runs N] [--baseline <another build's dist/bin>]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster } from '../test/harness/cluster.js';
import { REPO_ROOT, bin } from '../test/harness/binaries.js';
import { sideBySide, withBaseline } from './side-by-side.js';

const argv = process.argv.slice(2);
const n = Number(argv[argv.indexOf('--objects') + 1]) || 2000;
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 7;
const NS = 'bulk';

const cluster = await startCluster({ name: 'bench-status', istio: false });
try {
  await cluster.kubectl(['create', 'namespace', NS]);
  // The seed's canary, plus n-2 Deployments (0 replicas: no pods) and as many Services.
  await cluster.apply(readFileSync(join(REPO_ROOT, 'test/playground/scenarios/01-l4-canary.yaml'), 'utf8').replace(/namespace: default/g, `namespace: ${NS}`));
  const docs: string[] = [];
  for (let i = 0; i < n - 2; i++) {
    const labels = { app: `app-${i}` };
    docs.push(
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: `app-${i}`, namespace: NS, labels },
        spec: { replicas: 0, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
      }),
    );
  }
  for (let i = 0; i < n - 1; i++)
    docs.push(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `svc-${i}`, namespace: NS },
        spec: { selector: { app: `app-${i}` }, ports: [{ port: 80 }] },
      }),
    );
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

// `kubectl ingress-ha check` on a cluster of 50 more kwok nodes (half of them ingress nodes, in two
// zones) after `kubectl ingress-ha deploy`, with 2,000 ordinary pods spread over every node; side by
// side with `kubectl get nodes,pods,ds,svc,pdb -A -o json` (what a person would read instead) in one run.
// With --exclusive the ingress nodes are tainted, so check also reads the pods on each of them.
//   node build/bench/ingress-ha-check.js [--objects N] [--nodes N] [--runs N] [--exclusive]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startCluster, type NodeSpec } from '../test/harness/cluster.js';
import { REPO_ROOT, bin } from '../test/harness/binaries.js';
import { INGRESS_LABEL, INGRESS_TAINT } from '../plugins/ingress-ha/options.js';
import { sideBySide, withBaseline } from './side-by-side.js';

const argv = process.argv.slice(2);
const n = Number(argv[argv.indexOf('--objects') + 1]) || 2000;
const nodeCount = Number(argv[argv.indexOf('--nodes') + 1]) || 50;
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 7;
const exclusive = argv.includes('--exclusive');
const NS = 'ingress';
const WORK = 'work';

const nodes: NodeSpec[] = Array.from({ length: nodeCount }, (_, i) => {
  const ingress = i % 2 === 0;
  return {
    name: `bench-node-${i}`,
    zone: `zone-${'ab'[i % 4 < 2 ? 0 : 1]}`,
    ...(ingress ? { labels: { [INGRESS_LABEL]: 'true' } } : {}),
    ...(ingress && exclusive ? { taints: [{ ...INGRESS_TAINT }] } : {}),
  };
});
// Pods placed by hand (no scheduler round), round-robin over the nodes; on exclusive ingress nodes none.
const targets = nodes.filter((x) => !(exclusive && x.taints)).map((x) => x.name);
const pods = Array.from({ length: n }, (_, i) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `pod-${i}`, namespace: WORK, labels: { app: `app-${i % 100}` } },
  spec: { nodeName: targets[i % targets.length], containers: [{ name: 'c', image: 'nginx' }] },
}));

const cluster = await startCluster({ name: 'bench-ingress-ha', istio: false });
try {
  await cluster.addNodes(nodes);
  await cluster.kubectl(['create', 'namespace', NS]);
  await cluster.kubectl(['create', 'namespace', WORK]);
  const plugin = join(REPO_ROOT, 'dist', 'bin', 'kubectl-ingress_ha');
  const deploy = spawnSync(plugin, ['deploy', '-n', NS, '--kubeconfig', cluster.kubeconfig], { encoding: 'utf8' });
  if (deploy.status !== 0) throw new Error(`deploy: ${deploy.stderr}`);
  for (let i = 0; i < pods.length; i += 500) await cluster.apply(pods.slice(i, i + 500));
  await cluster.kubectl(['wait', '--for=condition=Ready', 'pod', '--all', '-n', WORK, '--timeout=300s']);
  const flags = ['--kubeconfig', cluster.kubeconfig];
  // check exits 3 when a rule fails; the audit still ran.
  const ok = [0, 3];
  sideBySide(
    `${nodeCount + 2} nodes (${nodes.filter((x) => x.labels).length} ingress${exclusive ? ', tainted' : ''}), ${n} ordinary pods`,
    withBaseline(
      [
        { name: 'kubectl get nodes,pods,ds,svc,pdb -A -o json', cmd: bin('kubectl'), args: ['get', 'nodes,pods,ds,svc,pdb', '-A', '-o', 'json', ...flags] },
        { name: 'kubectl-ingress_ha check', cmd: plugin, args: ['check', '-n', NS, ...flags], ok },
        { name: 'kubectl-ingress_ha check -o json', cmd: plugin, args: ['check', '-o', 'json', '-n', NS, ...flags], ok },
      ],
      argv,
      join(REPO_ROOT, 'dist', 'bin'),
    ),
    runs,
  );
} finally {
  await cluster.stop();
}

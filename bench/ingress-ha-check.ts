// `kubectl ingress-ha check` on a cluster of 50 more kwok nodes (half of them ingress nodes, in two
// zones) after `kubectl ingress-ha deploy`, with 2,000 ordinary pods spread over every node; side by
// side with `kubectl get nodes,pods,ds,svc,pdb -A -o json` (what a person would read instead) in one run.
// With --exclusive the ingress nodes are tainted, so check also reads the pods on each of them; the
// ordinary pods stay off them unless --on-ingress-nodes puts every one there (tolerating the taint),
// the case where check reads them all.
//   node build/bench/ingress-ha-check.js [--objects N] [--nodes N] [--runs N] [--exclusive [--on-ingress-nodes]] [--keep <dir>]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { NodeSpec } from '../test/harness/cluster.js';
import { until } from '../test/harness/wait.js';
import { REPO_ROOT, bin } from '../test/harness/binaries.js';
import { INGRESS_LABEL, INGRESS_TAINT } from '../plugins/ingress-ha/options.js';
import { sideBySide, withBaseline } from './side-by-side.js';
import { applyAll, benchCluster } from './bench-cluster.js';

const argv = process.argv.slice(2);
const n = Number(argv[argv.indexOf('--objects') + 1]) || 2000;
const nodeCount = Number(argv[argv.indexOf('--nodes') + 1]) || 50;
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 7;
const exclusive = argv.includes('--exclusive');
const onIngress = exclusive && argv.includes('--on-ingress-nodes');
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
// Pods placed by hand (no scheduler round), round-robin over the nodes: on exclusive ingress nodes none,
// or (--on-ingress-nodes) only there.
const targets = nodes.filter((x) => (onIngress ? x.taints : !(exclusive && x.taints))).map((x) => x.name);
const pods = Array.from({ length: n }, (_, i) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `pod-${i}`, namespace: WORK, labels: { app: `app-${i % 100}` } },
  spec: {
    nodeName: targets[i % targets.length],
    containers: [{ name: 'c', image: 'nginx' }],
    ...(onIngress ? { tolerations: [{ key: INGRESS_TAINT.key, operator: 'Exists', effect: INGRESS_TAINT.effect }] } : {}),
  },
}));
const plugin = join(REPO_ROOT, 'dist', 'bin', 'kubectl-ingress_ha');

const { cluster, stop } = await benchCluster(argv, { name: 'bench-ingress-ha', istio: false }, async (c) => {
  await c.addNodes(nodes);
  await c.kubectl(['create', 'namespace', NS]);
  await c.kubectl(['create', 'namespace', WORK]);
  const deploy = spawnSync(plugin, ['deploy', '-n', NS, '--kubeconfig', c.kubeconfig], { encoding: 'utf8' });
  if (deploy.status !== 0) throw new Error(`deploy: ${deploy.stderr}`);
  await applyAll(c, pods);
  // Every pod Running (kwok marks them): one field-selected list every 2 s, not a wait per pod.
  await until(
    `${n} pods Running`,
    async () => {
      await new Promise((r) => setTimeout(r, 2000));
      return (await c.getJSON<{ items: unknown[] }>(`/api/v1/namespaces/${WORK}/pods?fieldSelector=status.phase!%3DRunning&limit=1`)).items.length === 0;
    },
    900_000,
  );
});
try {
  const flags = ['--kubeconfig', cluster.kubeconfig];
  // check exits 3 when a rule fails; the audit still ran.
  const ok = [0, 3];
  sideBySide(
    `${nodeCount + 2} nodes (${nodes.filter((x) => x.labels).length} ingress${exclusive ? ', tainted' : ''}), ${n} ordinary pods${onIngress ? ' on the ingress nodes' : ''}`,
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
  await stop();
}

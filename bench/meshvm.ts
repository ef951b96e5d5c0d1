// kubectl meshvm side by side with its peers on a cluster with a real istiod (loopback), in one run:
// bootstrap against `istioctl x workload entry configure` (the same five files), register (a no-op
// second run) against `kubectl apply` of the same two objects, list against `kubectl get` of what it reads.
//   node build/bench/meshvm.js [--runs N]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../test/harness/cluster.js';
import { bin } from '../test/harness/binaries.js';
import { pluginBinary } from '../test/support/plugins.js';
import { sideBySide } from './side-by-side.js';

const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 7;
const NS = 'bookinfo';
const work = mkdtempSync(join(tmpdir(), 'bench-meshvm-'));
const cluster = await startCluster({ name: 'bench-meshvm', nodes: [{ name: 'bench-meshvm-1' }], istiod: true });
try {
  const flags = ['--kubeconfig', cluster.kubeconfig];
  const plugin = pluginBinary('meshvm');
  await cluster.kubectl(['create', 'namespace', NS]);
  const must = async (args: string[]) => {
    const { execa } = await import('execa');
    const r = await execa(plugin, [...args, ...flags], { reject: false, stdin: 'ignore' });
    if (r.exitCode !== 0) throw new Error(`meshvm ${args.join(' ')}: ${r.stderr}`);
  };
  await must(['-n', NS, 'group', 'create', 'details', '--port', 'http=9080', '-l', 'app=details']);
  await must(['-n', NS, 'register', 'details', '192.168.3.202', 'http:9080']);
  // What register wrote, for kubectl apply to write again.
  const got = await cluster.kubectl(['-n', NS, 'get', 'service/details', 'workloadentry/details-192.168.3.202', '-o', 'json']);
  type Obj = {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace: string; labels?: object; annotations?: object };
    spec: Record<string, unknown>;
  };
  const items = (JSON.parse(got.stdout) as { items: Obj[] }).items.map((o) => {
    const spec = { ...o.spec };
    for (const k of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'internalTrafficPolicy', 'sessionAffinity']) delete spec[k];
    const { name, namespace, labels, annotations } = o.metadata;
    return { apiVersion: o.apiVersion, kind: o.kind, metadata: { name, namespace, labels, annotations }, spec };
  });
  const manifest = join(work, 'details.json');
  writeFileSync(manifest, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  const ingress = cluster.istiod!.address;
  sideBySide(
    `istiod ${cluster.istiod!.address}, namespace ${NS}: WorkloadGroup details, one VM`,
    [
      {
        name: 'istioctl x workload entry configure',
        cmd: bin('istioctl'),
        args: ['x', 'workload', 'entry', 'configure', '-n', NS, '--name', 'details', '-o', join(work, 'istioctl'), '--ingressIP', ingress, ...flags],
      },
      {
        name: 'kubectl-meshvm bootstrap',
        cmd: plugin,
        args: ['bootstrap', 'details', '-n', NS, '--output-dir', join(work, 'meshvm'), '--ingress-ip', ingress, ...flags],
      },
      { name: 'kubectl apply -f (Service + WorkloadEntry)', cmd: bin('kubectl'), args: ['apply', '-f', manifest, ...flags] },
      { name: 'kubectl-meshvm register (no change)', cmd: plugin, args: ['register', 'details', '192.168.3.202', 'http:9080', '-n', NS, ...flags] },
      {
        name: 'kubectl get workloadentries,serviceentries,services -o json',
        cmd: bin('kubectl'),
        args: ['get', 'workloadentries,serviceentries,services', '-n', NS, '-o', 'json', ...flags],
      },
      { name: 'kubectl-meshvm list', cmd: plugin, args: ['list', '-n', NS, ...flags] },
      { name: 'kubectl-meshvm check (no east-west gateway: exit 3)', cmd: plugin, args: ['check', '-n', NS, ...flags], ok: [3] },
    ],
    runs,
  );
} finally {
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
}

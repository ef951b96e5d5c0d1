// `npm run playground -- --clusters 2|3`: seed 001 chapter 6's clusters, left running between commands:
// a primary with istiod and one or two remotes (the remote profile installed, its istio-system naming
// the primary), the seed's non-overlapping CIDRs, one kubeconfig with a context per cluster, and
// Bookinfo's details in remote1. Not linked: joining them is the walk-through (README, kubectl meshremote).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attachCluster, type ClusterState } from '../harness/cluster.js';
import { startMesh, type MeshClusterSpec } from '../harness/mesh.js';
import { isOurs, isRunning } from '../harness/processes.js';
import { REPO_ROOT, binDir } from '../harness/binaries.js';

export interface MeshPlaygroundState {
  kubeconfig: string;
  clusters: ClusterState[];
}

// The seed's CIDRs for the control plane and remote1; remote2 takes the next free pair.
const SPECS: MeshClusterSpec[] = [
  { name: 'primary', role: 'primary', podCIDR: '172.16.0.0/16', serviceCIDR: '172.19.0.0/20', nodes: [{ name: 'primary-node-1', zone: 'cn-hangzhou-g' }] },
  { name: 'remote1', role: 'remote', podCIDR: '172.20.0.0/16', serviceCIDR: '172.21.0.0/20', nodes: [{ name: 'remote1-node-1', zone: 'cn-shanghai-a' }] },
  { name: 'remote2', role: 'remote', podCIDR: '172.22.0.0/16', serviceCIDR: '172.23.0.0/20', nodes: [{ name: 'remote2-node-1', zone: 'cn-beijing-a' }] },
];

const stateFile = (home: string) => join(home, 'mesh.json');

export function readMeshState(home: string): MeshPlaygroundState | undefined {
  const f = stateFile(home);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as MeshPlaygroundState) : undefined;
}

export function meshRunning(s: MeshPlaygroundState): boolean {
  return s.clusters.every((c) => c.processes.every((p) => isRunning(p.pid) && isOurs(p.pid, p.match)));
}

export function meshInstructions(s: MeshPlaygroundState): string {
  const names = s.clusters.map((c) => c.name);
  const remotes = names.filter((n) => n !== 'primary');
  const istiod = s.clusters[0].istiod;
  return `
The mesh playground is running: ${names.map((n) => `context ${n}`).join(', ')} (primary current), istiod in primary${
    istiod ? ` (debug http://${istiod.address}:${istiod.ports.http}/debug/clusterz)` : ''
  }.
Bookinfo's details runs in remote1; the clusters start unlinked (linking them is the walk-through).

  export KUBECONFIG=${s.kubeconfig}
  export PATH=${join(REPO_ROOT, 'dist', 'bin')}:${binDir(['kubectl'])}:$PATH

Seed 001 chapter 6 (README, "Joining clusters into one mesh"):
  kubectl meshremote preflight ${remotes.map((r) => `--remote-context ${r}`).join(' ')}
  kubectl meshremote link remote1 --remote-context remote1
  kubectl meshremote list
  kubectl meshremote endpoints details.bookinfo

Stop it with: npm run playground -- stop
`;
}

export async function startMeshPlayground(home: string, count: number, log: (m: string) => void): Promise<MeshPlaygroundState> {
  const prev = readMeshState(home);
  if (prev && meshRunning(prev) && prev.clusters.length === count) {
    log('reusing the running mesh playground');
    return prev;
  }
  if (prev) await stopMeshPlayground(home);
  const root = join(home, 'mesh');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const mesh = await startMesh({
    connect: false,
    log,
    clusters: SPECS.slice(0, count).map((s) => ({ ...s, dir: join(root, s.name), detached: true, log })),
  });
  try {
    const remote = mesh.cluster('remote1');
    log('deploying Bookinfo details in remote1');
    await remote.kubectl(['create', 'namespace', 'bookinfo']);
    await remote.kubectl(['-n', 'bookinfo', 'create', 'deployment', 'details', '--image=docker.io/istio/examples-bookinfo-details-v1:1.20.2', '--port=9080']);
    await remote.kubectl(['-n', 'bookinfo', 'expose', 'deployment', 'details', '--port=9080']);
    await remote.kubectl(['-n', 'bookinfo', 'wait', '--for=condition=Available', 'deployment/details', '--timeout=60s']);
    const state: MeshPlaygroundState = { kubeconfig: mesh.kubeconfig({}, join(root, 'kubeconfig')), clusters: mesh.clusters.map((c) => c.state) };
    writeFileSync(stateFile(home), JSON.stringify(state, null, 2));
    return state;
  } catch (err) {
    await mesh.stop();
    throw err;
  }
}

export async function stopMeshPlayground(home: string): Promise<boolean> {
  const s = readMeshState(home);
  if (!s) return false;
  // Remotes first: their validating webhook points at the primary's istiod.
  for (const c of [...s.clusters].reverse()) await attachCluster(join(c.dir, 'state.json')).stop();
  rmSync(join(home, 'mesh'), { recursive: true, force: true });
  rmSync(stateFile(home), { force: true });
  return true;
}

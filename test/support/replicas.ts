// The replicas each Deployment of a namespace asks for, read through kubectl: what lock tests and the
// lock-contention bench check capacity and lost updates against.
import type { Cluster } from '../harness/cluster.js';

export async function replicasByName(c: Cluster, namespace: string): Promise<Record<string, number>> {
  const out = (await c.kubectl(['-n', namespace, 'get', 'deploy', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.replicas} {end}'])).stdout;
  return Object.fromEntries(
    out
      .trim()
      .split(' ')
      .filter(Boolean)
      .map((kv) => kv.split('='))
      .map(([k, v]) => [k, Number(v)]),
  );
}

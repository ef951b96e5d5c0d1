// Waiting for a Service's EndpointSlices, which the controller-manager updates in batches.
import { until, type Cluster } from '../harness/cluster.js';

/** Wait until the Service's EndpointSlices list exactly n ready endpoints. */
export async function readyEndpoints(c: Cluster, ns: string, svc: string, n: number, timeoutMs = 30_000): Promise<void> {
  await until(
    `${n} ready endpoints for ${ns}/${svc}`,
    async () => {
      const list = JSON.parse((await c.kubectl(['-n', ns, 'get', 'endpointslices', '-l', `kubernetes.io/service-name=${svc}`, '-o', 'json'])).stdout) as {
        items: { endpoints?: { conditions?: { ready?: boolean } }[] | null }[];
      };
      return list.items.flatMap((i) => i.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length === n;
    },
    timeoutMs,
  );
}

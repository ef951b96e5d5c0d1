// Waiting for a Service's EndpointSlices, which the controller-manager updates in batches.
import { until, type Cluster } from '../harness/cluster.js';
import { netGet } from './http.js';

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

/**
 * Wait until an address of the test network (a ClusterIP or LoadBalancer address) is answered by exactly
 * the Service's ready pods: kube-proxy's rules have caught up with its EndpointSlices. 40 requests a
 * round: a pod of 4 is missed with odds of 1 in 100,000.
 */
export async function kubeProxyServes(c: Cluster, address: string, ns: string, svc: string, port = 80, timeoutMs = 30_000): Promise<void> {
  const net = c.network;
  if (!net) throw new Error(`cluster ${c.name} has no network`);
  await until(
    `${address}:${port} answered by exactly the ready pods of ${ns}/${svc}`,
    async () => {
      const list = JSON.parse((await c.kubectl(['-n', ns, 'get', 'endpointslices', '-l', `kubernetes.io/service-name=${svc}`, '-o', 'json'])).stdout) as {
        items: { endpoints?: { conditions?: { ready?: boolean }; targetRef?: { name?: string } }[] | null }[];
      };
      const want = new Set(
        list.items
          .flatMap((i) => i.endpoints ?? [])
          .filter((e) => e.conditions?.ready !== false)
          .map((e) => `${ns}/${e.targetRef?.name ?? ''}`),
      );
      const seen = new Set<string>();
      for (let i = 0; i < 40; i++) seen.add(String((await netGet(net, address, port)).headers['x-pod']));
      return seen.size === want.size && [...seen].every((p) => want.has(p));
    },
    timeoutMs,
  );
}

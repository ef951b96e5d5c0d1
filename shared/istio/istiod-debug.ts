// istiod's own view, read the way istioctl reads it (`istioctl remote-clusters`, `istioctl version`):
// each running istiod pod's monitoring port (the prometheus.io/port annotation, else 15014) reached by
// port-forward through the API server, where istiod serves /debug/* to loopback callers and /version.
import { KubeApiError } from '../errors.js';
import type { Kube } from '../kube/client.js';
import type { KubeObject } from '../kube/object.js';
import { podHttpGet } from '../kube/portforward.js';

/** A cluster istiod reads, as /debug/clusterz lists it (pkg/cluster DebugInfo). */
export interface ClusterSyncInfo {
  id: string;
  /** namespace/name of the remote secret; empty for istiod's own (config) cluster. */
  secretName: string;
  /** synced, syncing, timeout (not synced within PILOT_REMOTE_CLUSTER_TIMEOUT) or closed. */
  syncStatus: string;
}

export const SYNC_STATUSES = ['synced', 'syncing', 'timeout', 'closed'] as const;

const DEFAULT_MONITORING_PORT = 15014;

/** The port istioctl uses for an istiod pod's debug endpoints (FindIstiodMonitoringPort). */
export function istiodMonitoringPort(pod: KubeObject): number {
  const v = Number(pod.metadata?.annotations?.['prometheus.io/port']);
  return Number.isInteger(v) && v > 0 ? v : DEFAULT_MONITORING_PORT;
}

/** istiod pods that run (app=istiod, and istio.io/rev when a revision is named). */
export function runningIstiods(kube: Kube, namespace: string, revision?: string): Promise<KubeObject[]> {
  return kube.list('v1', 'Pod', {
    namespace,
    labelSelector: `app=istiod${revision ? `,istio.io/rev=${revision}` : ''}`,
    fieldSelector: 'status.phase=Running',
  });
}

/** GET a debug path of one istiod pod; a non-200 answer is an error naming the pod. */
export async function istiodGet(kube: Kube, pod: KubeObject, path: string, timeoutMs = 10_000): Promise<string> {
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace ?? '';
  const r = await podHttpGet(kube, { namespace, pod: name, port: istiodMonitoringPort(pod), path, timeoutMs });
  if (r.status !== 200) {
    throw new KubeApiError(
      `istiod pod ${namespace}/${name} answered ${path} with HTTP ${r.status}${r.body ? `: ${r.body.trim().split('\n')[0]}` : ''}`,
      r.status,
    );
  }
  return r.body;
}

/** The clusters one istiod reads and how far it has synced each. */
export async function clusterz(kube: Kube, pod: KubeObject): Promise<ClusterSyncInfo[]> {
  const body = await istiodGet(kube, pod, '/debug/clusterz');
  try {
    return JSON.parse(body) as ClusterSyncInfo[];
  } catch {
    throw new KubeApiError(`istiod pod ${pod.metadata?.namespace}/${pod.metadata?.name} answered /debug/clusterz with something that is not JSON`);
  }
}

/** istiod's version (its /version: "<version>-<git revision>-<build status>"), the version part. */
export async function istiodVersion(kube: Kube, pod: KubeObject): Promise<string> {
  return parseIstiodVersion(await istiodGet(kube, pod, '/version'));
}

export function parseIstiodVersion(text: string): string {
  const parts = text.trim().split('-');
  return parts.length >= 3 ? parts.slice(0, -2).join('-') : text.trim();
}

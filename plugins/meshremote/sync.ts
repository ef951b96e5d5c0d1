// istiod's view of the remote clusters, from each running istiod pod's /debug/clusterz, and waiting
// until it has taken a change in (a link synced, an unlinked cluster dropped, rotated credentials used).
import type { CommandContext } from '../../shared/context.js';
import { KubeApiError, errorText } from '../../shared/errors.js';
import type { Kube } from '../../shared/kube/client.js';
import { formatDuration, waitFor } from '../../shared/kube/wait.js';
import { clusterz, runningIstiods, type ClusterSyncInfo } from '../../shared/istio/istiod-debug.js';

export interface IstiodView {
  pod: string;
  clusters?: ClusterSyncInfo[];
  /** Why this istiod could not be asked (port-forward refused, not answering...). */
  error?: string;
}

/** Every running istiod's cluster list, asked in parallel; a failure is kept per pod, not thrown. */
export async function readIstiods(kube: Kube, namespace: string): Promise<IstiodView[]> {
  const pods = await runningIstiods(kube, namespace);
  return Promise.all(
    pods.map(async (pod) => {
      const name = pod.metadata?.name ?? '';
      try {
        return { pod: name, clusters: await clusterz(kube, pod) };
      } catch (err) {
        return { pod: name, error: errorText(err) };
      }
    }),
  );
}

/** One cluster's status in one istiod: its syncStatus, 'absent' when istiod does not list it, or 'unknown'. */
export function statusIn(v: IstiodView, cluster: string): string {
  if (!v.clusters) return 'unknown';
  return v.clusters.find((c) => c.id === cluster)?.syncStatus ?? 'absent';
}

/** A summary over istiods: "synced", or "synced 1/2, timeout 1/2"; '' without istiods. */
export function summarize(views: IstiodView[], cluster: string): string {
  const counts = new Map<string, number>();
  for (const v of views) counts.set(statusIn(v, cluster), (counts.get(statusIn(v, cluster)) ?? 0) + 1);
  if (counts.size <= 1) return [...counts.keys()][0] ?? '';
  return [...counts.entries()].map(([s, n]) => `${s} ${n}/${views.length}`).join(', ');
}

export interface SyncWait {
  cluster: string;
  /** synced: every istiod lists the cluster synced; absent: none lists it any more. */
  want: 'synced' | 'absent';
  timeoutMs: number;
  /**
   * After a change of credentials istiod syncs a new client and then drops the old one; the status
   * only shows it when the new one is caught syncing. So "synced" also needs this long since the change
   * when no istiod was seen syncing.
   */
  settleMs?: number;
}

/**
 * Wait until istiod (in the primary `kube` reaches) reflects the change. Returns a line saying what
 * istiod reports; when it cannot be asked (no running istiod, port-forward refused) a warning says so
 * and the wait ends, since the change itself is in place.
 */
export async function waitForIstiod(ctx: CommandContext, kube: Kube, namespace: string, w: SyncWait): Promise<string | undefined> {
  const start = ctx.clock.now().getTime();
  const seenSyncing = new Set<string>();
  let views: IstiodView[] = [];
  let unaskable: string | undefined;
  await waitFor(
    w.want === 'synced' ? `istiod in context "${kube.config.contextName}" to sync cluster ${w.cluster}` : `istiod to drop cluster ${w.cluster}`,
    async () => {
      views = await readIstiods(kube, namespace);
      if (views.length === 0) {
        unaskable = `no running istiod in ${namespace} (context "${kube.config.contextName}"): nothing reads the remote secret until one runs`;
        return { done: true, message: unaskable };
      }
      const broken = views.filter((v) => v.error);
      if (broken.length === views.length) {
        unaskable = `cannot ask istiod for its clusters (${broken[0].error}); check with 'istioctl remote-clusters'`;
        return { done: true, message: unaskable };
      }
      const statuses = views.filter((v) => !v.error).map((v) => ({ pod: v.pod, status: statusIn(v, w.cluster) }));
      for (const s of statuses) if (s.status === 'syncing') seenSyncing.add(s.pod);
      const message = `istiod reports cluster ${w.cluster} ${summarize(
        views.filter((v) => !v.error),
        w.cluster,
      )}`;
      if (w.want === 'absent') return { done: statuses.every((s) => s.status === 'absent'), message };
      const timedOut = statuses.find((s) => s.status === 'timeout');
      if (timedOut) {
        return {
          done: false,
          message,
          failed: `istiod pod ${timedOut.pod} could not sync cluster ${w.cluster} in time (status timeout): it cannot reach the API server the secret names, or the credentials cannot read what it needs; see 'kubectl meshremote list --context ${kube.config.contextName}'`,
        };
      }
      const settled = (w.settleMs ?? 0) <= ctx.clock.now().getTime() - start || statuses.every((s) => seenSyncing.has(s.pod));
      return { done: statuses.every((s) => s.status === 'synced') && settled, message };
    },
    { timeoutMs: w.timeoutMs, intervalMs: 250, clock: ctx.clock },
  ).catch((err: unknown) => {
    if (err instanceof KubeApiError && err.status === 403) {
      unaskable = `not allowed to list istiod pods in ${namespace}: ${err.message}`;
      return;
    }
    throw err;
  });
  if (unaskable) {
    ctx.warn(unaskable);
    return undefined;
  }
  return `istiod ${views.length === 1 ? `pod ${views[0].pod}` : `(${views.length} pods)`} reports cluster ${w.cluster} ${w.want === 'absent' ? 'gone' : summarize(views, w.cluster)} (${formatDuration(ctx.clock.now().getTime() - start)})`;
}

// What a canary change is a change OF: the traffic target (the Service in replicas mode, its
// VirtualService under Istio), which is what the lock is taken on, and whether another canary is
// already under way on that target. Pure: the topology in, a lock target or a refusal out.
import { lockTarget, type LockTarget } from '../../shared/kube/lock.js';
import { readState } from '../../shared/kube/ownership.js';
import { CANARY } from './istio.js';
import { readPrevious } from './plan-set.js';
import type { Topology } from './topology.js';
import { namesService } from '../../shared/istio/hosts.js';
import type { Deployment } from '../../shared/kube/types.js';
import type { Decided } from './decide.js';

const nameOf = (o: { metadata?: { name?: string } }) => o.metadata?.name ?? '';

/**
 * The lock of a canary change, from how it is made (decideMode): the one VirtualService under Istio, else
 * the Service. Two canaries of one Service take the same lock whatever their names.
 */
export function canaryLock(t: Topology, d: Decided): LockTarget {
  return d.mode === 'istio' ? lockTarget('VirtualService', t.namespace, nameOf(d.virtualService)) : lockTarget('Service', t.namespace, nameOf(t.service));
}

/** The default route splits traffic: two or more destinations of the Service with weight. */
function routeSplits(t: Topology): boolean {
  const svc = { name: nameOf(t.service), namespace: t.namespace };
  return t.virtualServices.some((v) =>
    (v.spec?.http ?? [])
      .filter((r) => !r.match?.length)
      .some((r) => {
        const to = (r.route ?? []).filter((d) => namesService(d.destination?.host, v.metadata?.namespace ?? t.namespace, svc));
        return to.filter((d) => (d.weight ?? (to.length === 1 ? 100 : 0)) > 0).length > 1;
      }),
  );
}

/**
 * Another Deployment behind the Service that is a canary under way: a replicas-mode baseline recorded
 * on it whose other Deployments still run (not promoted), or the canary an Istio set named on the
 * VirtualService while its default route still splits. undefined when the target is free.
 */
export function otherCanary(t: Topology): string | undefined {
  const behind: Deployment[] = [t.canary, t.stable, ...t.others];
  const replicas = (name: string) => behind.find((d) => nameOf(d) === name)?.spec?.replicas ?? 0;
  for (const d of [t.stable, ...t.others]) {
    const baseline = readPrevious(d);
    if (baseline && Object.keys(baseline).some((n) => n !== nameOf(d) && replicas(n) > 0)) return nameOf(d);
  }
  const named = t.virtualServices.map((v) => readState(v)[CANARY]).find((n) => n && n !== nameOf(t.canary) && behind.some((d) => nameOf(d) === n));
  return named && routeSplits(t) ? named : undefined;
}

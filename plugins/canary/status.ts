// The view of canaries `kubectl canary status` prints. Pure: Deployments and Services in, one row per
// canary out (weights configured and effective, readiness, health), and the bars people look at.
import { readState } from '../../shared/kube/ownership.js';
import { PREVIOUS_REPLICAS } from './plan-set.js';
import { selects, type DeploymentLike, type ServiceLike } from './topology.js';

export type Health = 'Healthy' | 'Progressing' | 'Degraded';

export interface VersionView {
  deployment: string;
  desired: number;
  ready: number;
  /** Share of the Service's traffic by desired replicas (what was set). */
  weight: number;
  /** Share by ready pods (what the Service actually spreads over). */
  effectiveWeight: number;
  health: Health;
}

export interface CanaryView {
  namespace: string;
  service: string;
  mode: 'replicas';
  canary: VersionView;
  stable: VersionView;
  health: Health;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function health(d: DeploymentLike): Health {
  const conditions = (d.status as { conditions?: { type: string; status: string; reason?: string }[] } | undefined)?.conditions ?? [];
  if (conditions.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded')) return 'Degraded';
  if ((d.spec?.replicas ?? 1) > 0 && conditions.some((c) => c.type === 'Available' && c.status === 'False')) return 'Degraded';
  return (d.status?.readyReplicas ?? 0) < (d.spec?.replicas ?? 1) ? 'Progressing' : 'Healthy';
}

function worst(a: Health, b: Health): Health {
  const order: Health[] = ['Healthy', 'Progressing', 'Degraded'];
  return order[Math.max(order.indexOf(a), order.indexOf(b))]!;
}

/** A canary is a Deployment `set` has recorded a baseline on, or the one asked for by name. */
export function canaryViews(deployments: DeploymentLike[], services: ServiceLike[], name?: string): CanaryView[] {
  const byNs = new Map<string, { deps: DeploymentLike[]; svcs: ServiceLike[] }>();
  for (const d of deployments) {
    const ns = d.metadata?.namespace ?? '';
    if (!byNs.has(ns)) byNs.set(ns, { deps: [], svcs: [] });
    byNs.get(ns)!.deps.push(d);
  }
  for (const s of services) byNs.get(s.metadata?.namespace ?? '')?.svcs.push(s);
  const views: CanaryView[] = [];
  for (const [namespace, { deps, svcs }] of [...byNs.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const labelsOf = (d: DeploymentLike) => d.spec?.template?.metadata?.labels ?? {};
    const canaries = deps.filter((d) => (name ? d.metadata?.name === name : readState(d)[PREVIOUS_REPLICAS] !== undefined));
    for (const canary of canaries.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))) {
      const service = svcs.find((s) => selects(s.spec?.selector, labelsOf(canary)) && deps.some((d) => d !== canary && selects(s.spec?.selector, labelsOf(d))));
      if (!service) continue;
      const stable = deps.find((d) => d !== canary && selects(service.spec?.selector, labelsOf(d)))!;
      const desired = { c: canary.spec?.replicas ?? 1, s: stable.spec?.replicas ?? 1 };
      const ready = { c: canary.status?.readyReplicas ?? 0, s: stable.status?.readyReplicas ?? 0 };
      const share = (x: number, total: number) => (total === 0 ? 0 : round1((x / total) * 100));
      const version = (d: DeploymentLike, want: number, have: number, other: [number, number]): VersionView => ({
        deployment: d.metadata?.name ?? '',
        desired: want,
        ready: have,
        weight: share(want, want + other[0]),
        effectiveWeight: share(have, have + other[1]),
        health: health(d),
      });
      const cv = version(canary, desired.c, ready.c, [desired.s, ready.s]);
      const sv = version(stable, desired.s, ready.s, [desired.c, ready.c]);
      views.push({ namespace, service: service.metadata?.name ?? '', mode: 'replicas', canary: cv, stable: sv, health: worst(cv.health, sv.health) });
    }
  }
  return views;
}

/** A 20-character bar for a share, e.g. "██████░░░░░░░░░░░░░░" for 30%. */
export function bar(percent: number, width = 20): string {
  const full = Math.round((percent / 100) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

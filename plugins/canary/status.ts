// The view of canaries `kubectl canary status` prints. Pure: Deployments, Services (and Istio routes) in, one row per
// canary out (weights configured and effective, readiness, health), and the bars people look at.
import { readState } from '../../shared/kube/ownership.js';
import { PREVIOUS_REPLICAS } from './plan-set.js';
import { CANARY } from './istio.js';
import { readAnalysis, type RecordedAnalysis } from './metrics/analysis.js';
import { routingVirtualServices, selects, stableFromRoute } from './topology.js';
import { namesService } from '../../shared/istio/hosts.js';
import type { Deployment, Service } from '../../shared/kube/types.js';
import type { DestinationRule, VirtualService } from '../../shared/istio/types.js';

export type Health = 'Healthy' | 'Progressing' | 'Degraded';

export interface VersionView {
  deployment: string;
  desired: number;
  ready: number;
  /** Share of the Service's traffic by desired replicas, or by the route's weights under Istio (what was set). */
  weight: number;
  /** Share by ready pods (what the Service, or each Istio subset, actually spreads over). */
  effectiveWeight: number;
  health: Health;
}

export interface CanaryView {
  namespace: string;
  service: string;
  mode: 'replicas' | 'istio';
  /** Istio mode: the VirtualService whose weights decide the split. */
  virtualService?: string;
  canary: VersionView;
  stable: VersionView;
  /** Istio mode: the share of traffic routed to a subset with no ready pod (those requests fail). */
  failingWeight?: number;
  health: Health;
  /** The metric analysis of the last step `canary run` judged (kept on the canary Deployment). */
  lastAnalysis?: RecordedAnalysis;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function health(d: Deployment): Health {
  const conditions = d.status?.conditions ?? [];
  if (conditions.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded')) return 'Degraded';
  if ((d.spec?.replicas ?? 1) > 0 && conditions.some((c) => c.type === 'Available' && c.status === 'False')) return 'Degraded';
  return (d.status?.readyReplicas ?? 0) < (d.spec?.replicas ?? 1) ? 'Progressing' : 'Healthy';
}

function worst(a: Health, b: Health): Health {
  const order: Health[] = ['Healthy', 'Progressing', 'Degraded'];
  return order[Math.max(order.indexOf(a), order.indexOf(b))];
}

export interface IstioObjects {
  virtualServices: VirtualService[];
  destinationRules: DestinationRule[];
}

type Count = (d: Deployment) => number;
const desiredOf: Count = (d) => d.spec?.replicas ?? 1;
const readyOf: Count = (d) => d.status?.readyReplicas ?? 0;
const share = (x: number, total: number) => (total === 0 ? 0 : round1((x / total) * 100));
const labelsOf = (d: Deployment) => d.spec?.template?.metadata?.labels ?? {};

/**
 * Under Istio, each Deployment's share: the default route's weights, each split over the pods its
 * subset selects (all of the Service's when it names none). `failing` is weight sent to no ready pod.
 */
export function routeShares(
  vss: VirtualService[],
  rules: DestinationRule[],
  service: string,
  ns: string,
  behind: Deployment[],
  count: Count,
): { shares: Map<Deployment, number>; failing: number } {
  const svc = { name: service, namespace: ns };
  const subsets = rules.find((r) => namesService(r.spec?.host, r.metadata?.namespace ?? ns, svc))?.spec?.subsets ?? [];
  const shares = new Map<Deployment, number>(behind.map((d) => [d, 0]));
  let failing = 0;
  const defaults = vss.flatMap((vs) => (vs.spec?.http ?? []).filter((r) => !r.match?.length).map((r) => ({ r, at: vs.metadata?.namespace ?? ns })));
  for (const { r, at } of defaults) {
    const route = (r.route ?? []).filter((d) => namesService(d.destination?.host, at, svc));
    for (const dest of route) {
      const weight = dest.weight ?? (route.length === 1 ? 100 : 0);
      const subset = dest.destination?.subset;
      const labels = subset === undefined ? {} : subsets.find((x) => x.name === subset)?.labels;
      const pods = labels === undefined ? [] : behind.filter((d) => Object.entries(labels).every(([k, v]) => labelsOf(d)[k] === v));
      const total = pods.reduce((n, d) => n + count(d), 0);
      if (total === 0) failing += weight;
      for (const d of pods) shares.set(d, shares.get(d)! + (total === 0 ? 0 : (weight * count(d)) / total));
    }
  }
  return { shares, failing };
}

/**
 * A canary is a Deployment a replicas-mode set recorded a baseline on, one an Istio-mode set named on
 * its VirtualService, or the one asked for by name.
 */
export function canaryViews(deployments: Deployment[], services: Service[], name?: string, istio?: IstioObjects): CanaryView[] {
  const byNs = new Map<string, { deps: Deployment[]; svcs: Service[] }>();
  for (const d of deployments) {
    const ns = d.metadata?.namespace ?? '';
    if (!byNs.has(ns)) byNs.set(ns, { deps: [], svcs: [] });
    byNs.get(ns)!.deps.push(d);
  }
  for (const s of services) byNs.get(s.metadata?.namespace ?? '')?.svcs.push(s);
  const inNs = <T extends { metadata?: { namespace?: string } }>(list: T[] | undefined, ns: string) => (list ?? []).filter((x) => x.metadata?.namespace === ns);
  const views: CanaryView[] = [];
  for (const [namespace, { deps, svcs }] of [...byNs.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const vss = inNs(istio?.virtualServices, namespace);
    const rules = inNs(istio?.destinationRules, namespace);
    const named = new Set(vss.map((v) => readState(v)[CANARY]).filter((n) => n !== undefined));
    const canaries = deps.filter((d) =>
      name ? d.metadata?.name === name : readState(d)[PREVIOUS_REPLICAS] !== undefined || named.has(d.metadata?.name ?? ''),
    );
    for (const canary of canaries.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))) {
      const service = svcs.find((s) => selects(s.spec?.selector, labelsOf(canary)) && deps.some((d) => d !== canary && selects(s.spec?.selector, labelsOf(d))));
      if (!service) continue;
      const serviceName = service.metadata?.name ?? '';
      const others = deps.filter((d) => d !== canary && selects(service.spec?.selector, labelsOf(d)));
      const routing = routingVirtualServices(vss, serviceName, namespace);
      const stable = (routing.length ? stableFromRoute(routing, rules, serviceName, namespace, canary, others) : undefined) ?? others[0];
      let weights: (d: Deployment, count: Count) => number;
      let failing = 0;
      if (routing.length) {
        const behind = [canary, ...others];
        const byCount = new Map<Count, Map<Deployment, number>>();
        for (const count of [desiredOf, readyOf]) {
          const r = routeShares(routing, rules, serviceName, namespace, behind, count);
          byCount.set(count, r.shares);
          if (count === readyOf) failing = r.failing;
        }
        weights = (d, count) => round1(byCount.get(count)!.get(d) ?? 0);
      } else {
        // Replicas mode: the Service spreads over the two Deployments' pods.
        weights = (d, count) => share(count(d), count(canary) + count(stable));
      }
      const version = (d: Deployment): VersionView => ({
        deployment: d.metadata?.name ?? '',
        desired: desiredOf(d),
        ready: readyOf(d),
        weight: weights(d, desiredOf),
        effectiveWeight: weights(d, readyOf),
        health: health(d),
      });
      const cv = version(canary);
      const sv = version(stable);
      const lastAnalysis = readAnalysis(canary);
      views.push({
        namespace,
        service: serviceName,
        mode: routing.length ? 'istio' : 'replicas',
        ...(routing.length ? { virtualService: routing.map((v) => v.metadata?.name ?? '').join(',') } : {}),
        canary: cv,
        stable: sv,
        // Weight routed to a subset with no ready pod is failing requests.
        ...(failing > 0 ? { failingWeight: round1(failing) } : {}),
        health: failing > 0 ? 'Degraded' : worst(cv.health, sv.health),
        ...(lastAnalysis ? { lastAnalysis } : {}),
      });
    }
  }
  return views;
}

/** A 20-character bar for a share, e.g. "██████░░░░░░░░░░░░░░" for 30%. */
export function bar(percent: number, width = 20): string {
  const full = Math.round((percent / 100) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/** The last analysis in one line: "fail at step 1/2 (20%), 10s window, 2026-12-01T04:10:00Z: error-rate ..." */
export function analysisLine(a: RecordedAnalysis): string {
  const where = a.step ? ` at step ${a.step.index + 1}/${a.step.of} (${a.step.weight}%)` : '';
  const bad = a.checks.filter((c) => c.status !== 'pass');
  const said = (bad.length ? bad : a.checks).map((c) => c.message).join('; ');
  return `${a.verdict}${where}, ${Math.round(a.windowMs / 1000)}s window, ${a.at.replace(/\.\d+Z$/, 'Z')}: ${said}`;
}

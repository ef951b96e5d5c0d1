// The L7 canary: under Istio a VirtualService's weights decide the split. Pure: the topology, the
// VirtualService routing the Service and the DestinationRules in, the rewritten objects out. Only the
// default route (the one without match conditions) is changed; header routes and other hosts stay.
import { isDeepStrictEqual } from 'node:util';
import { CliError } from '../../shared/errors.js';
import { readState, stateAnnotations } from '../../shared/kube/ownership.js';
import type { Topology } from './topology.js';
import { namesService } from '../../shared/istio/hosts.js';
import type { Deployment } from '../../shared/kube/types.js';
import type { DestinationRule, HttpRoute, RouteDestination, Subset, VirtualService } from '../../shared/istio/types.js';

export const PREVIOUS_WEIGHTS = 'previous-weights';
/** On the VirtualService: the canary Deployment a set made (so status finds it). */
export const CANARY = 'canary';

/** The Service a route is about, in its namespace. */
export type ServiceRef = Pick<Topology, 'namespace' | 'service'>;

export interface IstioPlan {
  virtualService: VirtualService;
  /** The DestinationRule as it must be (new or with subsets added), or undefined when it already fits. */
  destinationRule?: DestinationRule;
  createRule: boolean;
  vsChanged: boolean;
  /** Our annotations to set (string) or remove (null) with the VirtualService's change. */
  state?: Record<string, string | null>;
  canarySubset: string;
  stableSubset: string;
  /** Other destinations the default route had (they get no traffic any more). */
  dropped: string[];
}

/** Does a host, written in a resource of namespace `at` (default: the Service's), name the Service? Istio's rule: hosts.ts. */
export const isServiceHost = (t: ServiceRef, host: string | undefined, at?: string): boolean =>
  namesService(host, at ?? t.namespace, { name: t.service.metadata?.name ?? '', namespace: t.namespace });
const podLabels = (d: Deployment) => {
  const { ['pod-template-hash']: _hash, ...rest } = d.spec?.template?.metadata?.labels ?? {};
  return rest;
};
const matchesAll = (want: Record<string, string> | undefined, labels: Record<string, string>) => Object.entries(want ?? {}).every(([k, v]) => labels[k] === v);

/** The labels that tell one Deployment's pods from the other's: `version` when both carry it, else every label that differs. */
export function distinguishing(d: Deployment, other: Deployment): Record<string, string> {
  const a = podLabels(d);
  const b = podLabels(other);
  if (a['version'] && b['version'] && a['version'] !== b['version']) return { version: a['version'] };
  const diff = Object.fromEntries(Object.entries(a).filter(([k, v]) => b[k] !== v));
  if (Object.keys(diff).length === 0) {
    throw new CliError(
      `the pods of "${d.metadata?.name}" and "${other.metadata?.name}" carry the same labels, so no Istio subset can tell them apart; give the canary a distinct label such as version`,
    );
  }
  return diff;
}

/** Where the default route (no match conditions, every destination the Service) is in the VirtualService. */
export function defaultRouteIndex(t: ServiceRef, vs: VirtualService): number {
  const serviceName = t.service.metadata?.name ?? '';
  const isDefault = (r: HttpRoute) =>
    !r.match?.length && (r.route ?? []).length > 0 && (r.route ?? []).every((d) => isServiceHost(t, d.destination?.host, vs.metadata?.namespace));
  const index = (vs.spec?.http ?? []).findIndex(isDefault);
  if (index < 0) {
    throw new CliError(
      `virtualservice "${vs.metadata?.name}" has no default route (one without match conditions) to service "${serviceName}"; add one so the split has a route to set`,
    );
  }
  return index;
}

/** The subsets of the Service's DestinationRule, with one added for each Deployment no subset tells apart. */
export function subsetsFor(
  t: ServiceRef,
  rules: DestinationRule[],
  deployments: { d: Deployment; others: Deployment[] }[],
): { rule?: DestinationRule; subsets: Subset[]; names: string[]; added: string[] } {
  const rule = rules.find((r) => isServiceHost(t, r.spec?.host, r.metadata?.namespace));
  const subsets: Subset[] = [...(rule?.spec?.subsets ?? [])];
  const added: string[] = [];
  // Reuse a subset that selects exactly this Deployment's pods, else add one from its distinct labels.
  const names = deployments.map(({ d, others }) => {
    const mine = podLabels(d);
    const found = subsets.find(
      (s) => Object.keys(s.labels ?? {}).length > 0 && matchesAll(s.labels, mine) && !others.some((o) => matchesAll(s.labels, podLabels(o))),
    );
    if (found) return found.name;
    const labels = distinguishingAll(d, others, t.service.metadata?.name ?? '');
    let name = (labels['version'] ?? d.metadata?.name ?? 'subset').toLowerCase().replace(/[^a-z0-9-]/g, '-');
    while (subsets.some((s) => s.name === name)) name = `${name}-x`;
    subsets.push({ name, labels });
    added.push(name);
    return name;
  });
  return { ...(rule ? { rule } : {}), subsets, names, added };
}

/** The labels telling d's pods from all of others' (`version` when it does, else every label no other shares). */
export function distinguishingAll(d: Deployment, others: Deployment[], service: string): Record<string, string> {
  if (others.length === 1) return distinguishing(d, others[0]);
  const a = podLabels(d);
  const version = a['version'];
  if (version && others.every((o) => podLabels(o)['version'] !== version)) return { version };
  const diff = Object.fromEntries(Object.entries(a).filter(([k, v]) => others.every((o) => podLabels(o)[k] !== v)));
  if (Object.keys(diff).length === 0) {
    throw new CliError(
      `no label of the pods of "${d.metadata?.name}" is unique among the Deployments behind service "${service}", so no Istio subset can select them alone; give them a distinct label such as version`,
    );
  }
  return diff;
}

/** Subsets for the stable and the canary, each telling its pods from every other Deployment's behind the Service. */
function pairSubsets(t: Topology, rules: DestinationRule[]): ReturnType<typeof subsetsFor> {
  return subsetsFor(t, rules, [
    { d: t.stable, others: [t.canary, ...t.others] },
    { d: t.canary, others: [t.stable, ...t.others] },
  ]);
}

/** The DestinationRule change for new subsets: a create (ours) or a patch of the existing rule. */
export function ruleChange(t: ServiceRef, found: ReturnType<typeof subsetsFor>): DestinationRule | undefined {
  if (found.rule && found.added.length === 0) return undefined;
  const ns = t.namespace;
  const serviceName = t.service.metadata?.name ?? '';
  return found.rule
    ? {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: found.rule.metadata?.name, namespace: ns, resourceVersion: found.rule.metadata?.resourceVersion },
        spec: { subsets: found.subsets },
      }
    : {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: serviceName, namespace: ns },
        spec: { host: serviceName, subsets: found.subsets },
      };
}

function vsPatch(vs: VirtualService, ns: string, http: HttpRoute[]): VirtualService {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: vs.metadata?.name, namespace: ns, resourceVersion: vs.metadata?.resourceVersion },
    spec: { http },
  };
}

export function planIstio(t: Topology, vs: VirtualService, rules: DestinationRule[], percent: number): IstioPlan {
  const ns = t.namespace;
  const http = vs.spec?.http ?? [];
  const index = defaultRouteIndex(t, vs);
  const found = pairSubsets(t, rules);
  const [stableSubset, canarySubset] = found.names as [string, string];
  const current = http[index];
  const host = current.route![0].destination!.host!;
  const port = current.route!.find((d) => d.destination?.port)?.destination?.port;
  const dest = (subset: string, weight: number): RouteDestination => ({ destination: { host, subset, ...(port ? { port } : {}) }, weight });
  const route = [dest(stableSubset, 100 - percent), dest(canarySubset, percent)];
  const newHttp = http.map((r, i) => (i === index ? { ...r, route } : r));
  const vsChanged = !isDeepStrictEqual(newHttp, http); // key order differs between ours and the server's
  // The route before the first change, for abort, and which Deployment is the canary, for status.
  const recorded = readState(vs)[PREVIOUS_WEIGHTS] !== undefined;
  const state =
    vsChanged && !recorded
      ? stateAnnotations({ [PREVIOUS_WEIGHTS]: JSON.stringify(current.route), [CANARY]: t.canary.metadata?.name ?? '' }).metadata.annotations
      : undefined;
  const dropped = (current.route ?? [])
    .map((d) => d.destination?.subset ?? '(no subset)')
    .filter((s) => s !== stableSubset && s !== canarySubset && (current.route ?? []).length > 1)
    .map((s) => `subset ${s}`);
  const destinationRule = ruleChange(t, found);
  return {
    virtualService: vsPatch(vs, ns, newHttp),
    ...(state ? { state } : {}),
    createRule: !found.rule,
    vsChanged,
    canarySubset,
    stableSubset,
    dropped,
    ...(destinationRule ? { destinationRule } : {}),
  };
}

/** The default route before the first set, when recorded and well-formed. */
export function readPreviousRoute(vs: VirtualService): RouteDestination[] | undefined {
  const raw = readState(vs)[PREVIOUS_WEIGHTS];
  if (!raw) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    const ok =
      Array.isArray(parsed) &&
      parsed.length > 0 &&
      parsed.every((d: unknown) => typeof d === 'object' && d !== null && typeof (d as RouteDestination).destination?.host === 'string');
    return ok ? (parsed as RouteDestination[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * All traffic back as it was: the default route recorded before the first set (else everything to the
 * stable subset), and our state removed from the VirtualService.
 */
export function planIstioRestore(t: Topology, vs: VirtualService, rules: DestinationRule[]): IstioPlan {
  const previous = readPreviousRoute(vs);
  const clear = Object.keys(readState(vs)).some((k) => k === PREVIOUS_WEIGHTS || k === CANARY)
    ? stateAnnotations<string | null>({ [PREVIOUS_WEIGHTS]: null, [CANARY]: null }).metadata.annotations
    : undefined;
  if (!previous) {
    const plan = planIstio(t, vs, rules, 0);
    const current = (vs.spec?.http ?? [])[defaultRouteIndex(t, vs)]?.route ?? [];
    const toCanary = current.some(
      (d) => (d.weight ?? (current.length === 1 ? 100 : 0)) > 0 && (d.destination?.subset === undefined || d.destination.subset === plan.canarySubset),
    );
    if (!toCanary) {
      // Already all to other versions (a second abort): the route stays as it is.
      return {
        virtualService: vsPatch(vs, t.namespace, vs.spec?.http ?? []),
        vsChanged: clear !== undefined,
        createRule: false,
        stableSubset: plan.stableSubset,
        canarySubset: plan.canarySubset,
        dropped: [],
        ...(clear ? { state: clear } : {}),
      };
    }
    const vsChanged = plan.vsChanged || clear !== undefined;
    const { state: _recorded, ...rest } = plan;
    return { ...rest, vsChanged, ...(clear ? { state: clear } : {}) };
  }
  const http = vs.spec?.http ?? [];
  const index = defaultRouteIndex(t, vs);
  const newHttp = http.map((r, i) => (i === index ? { ...r, route: previous } : r));
  const vsChanged = !isDeepStrictEqual(newHttp, http) || clear !== undefined;
  const found = pairSubsets(t, rules);
  return {
    virtualService: vsPatch(vs, t.namespace, newHttp),
    ...(clear ? { state: clear } : {}),
    createRule: false,
    vsChanged,
    stableSubset: found.names[0],
    canarySubset: found.names[1],
    dropped: [],
  };
}

// The L7 canary: under Istio a VirtualService's weights decide the split. Pure: the topology, the
// VirtualService routing the Service and the DestinationRules in, the rewritten objects out. Only the
// default route (the one without match conditions) is changed; header routes and other hosts stay.
import { isDeepStrictEqual } from 'node:util';
import { CliError } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/kube/client.js';
import { readState, stateAnnotations } from '../../shared/kube/ownership.js';
import type { DeploymentLike, Topology } from './topology.js';

export const PREVIOUS_WEIGHTS = 'previous-weights';

interface Destination {
  host?: string;
  subset?: string;
  port?: { number?: number };
}
interface RouteDestination {
  destination?: Destination;
  weight?: number;
}
interface HttpRoute {
  match?: unknown[];
  route?: RouteDestination[];
  [k: string]: unknown;
}
export interface VirtualService extends KubeObject {
  spec?: { hosts?: string[]; http?: HttpRoute[]; [k: string]: unknown };
}
interface Subset {
  name: string;
  labels?: Record<string, string>;
  [k: string]: unknown;
}
export interface DestinationRule extends KubeObject {
  spec?: { host?: string; subsets?: Subset[]; [k: string]: unknown };
}

export interface IstioPlan {
  virtualService: VirtualService;
  /** The DestinationRule as it must be (new or with subsets added), or undefined when it already fits. */
  destinationRule?: DestinationRule;
  createRule: boolean;
  vsChanged: boolean;
  canarySubset: string;
  stableSubset: string;
  /** Other destinations the default route had (they get no traffic any more). */
  dropped: string[];
}

const fqdn = (host: string, ns: string) => {
  const parts = host.split('.');
  return parts.length === 1 ? `${host}.${ns}.svc.cluster.local` : parts.length === 2 ? `${host}.svc.cluster.local` : parts.length === 3 ? `${host}.cluster.local` : host;
};
const podLabels = (d: DeploymentLike) => {
  const { ['pod-template-hash']: _hash, ...rest } = d.spec?.template?.metadata?.labels ?? {};
  return rest;
};
const matchesAll = (want: Record<string, string> | undefined, labels: Record<string, string>) => Object.entries(want ?? {}).every(([k, v]) => labels[k] === v);

/** The labels that tell one Deployment's pods from the other's: `version` when both carry it, else every label that differs. */
export function distinguishing(d: DeploymentLike, other: DeploymentLike): Record<string, string> {
  const a = podLabels(d);
  const b = podLabels(other);
  if (a['version'] && b['version'] && a['version'] !== b['version']) return { version: a['version'] };
  const diff = Object.fromEntries(Object.entries(a).filter(([k, v]) => b[k] !== v));
  if (Object.keys(diff).length === 0) {
    throw new CliError(`the pods of "${d.metadata?.name}" and "${other.metadata?.name}" carry the same labels, so no Istio subset can tell them apart; give the canary a distinct label such as version`);
  }
  return diff;
}

export function planIstio(t: Topology, vs: VirtualService, rules: DestinationRule[], percent: number): IstioPlan {
  const ns = t.namespace;
  const serviceName = t.service.metadata?.name ?? '';
  const serviceFqdn = fqdn(serviceName, ns);
  const http = vs.spec?.http ?? [];
  const isDefault = (r: HttpRoute) => !r.match?.length && (r.route ?? []).length > 0 && (r.route ?? []).every((d) => fqdn(d.destination?.host ?? '', ns) === serviceFqdn);
  const index = http.findIndex(isDefault);
  if (index < 0) {
    throw new CliError(`virtualservice "${vs.metadata?.name}" has no default route (one without match conditions) to service "${serviceName}"; add one so the split has a route to set`);
  }
  // Subsets: reuse one that selects exactly this Deployment's pods, else add one from its distinct labels.
  const rule = rules.find((r) => fqdn(r.spec?.host ?? '', r.metadata?.namespace ?? ns) === serviceFqdn);
  const subsets: Subset[] = [...(rule?.spec?.subsets ?? [])];
  const subsetFor = (d: DeploymentLike, other: DeploymentLike): string => {
    const mine = podLabels(d);
    const theirs = podLabels(other);
    const found = subsets.find((s) => Object.keys(s.labels ?? {}).length > 0 && matchesAll(s.labels, mine) && !matchesAll(s.labels, theirs));
    if (found) return found.name;
    const labels = distinguishing(d, other);
    let name = (labels['version'] ?? d.metadata?.name ?? 'subset').toLowerCase().replace(/[^a-z0-9-]/g, '-');
    while (subsets.some((s) => s.name === name)) name = `${name}-x`;
    subsets.push({ name, labels });
    return name;
  };
  const stableSubset = subsetFor(t.stable, t.canary);
  const canarySubset = subsetFor(t.canary, t.stable);
  const ruleChanged = !rule || subsets.length !== (rule.spec?.subsets ?? []).length;

  const current = http[index]!;
  const host = current.route![0]!.destination!.host!;
  const port = current.route!.find((d) => d.destination?.port)?.destination?.port;
  const dest = (subset: string, weight: number): RouteDestination => ({ destination: { host, subset, ...(port ? { port } : {}) }, weight });
  const route = [dest(stableSubset, 100 - percent), dest(canarySubset, percent)];
  const newHttp = http.map((r, i) => (i === index ? { ...r, route } : r));
  const vsChanged = !isDeepStrictEqual(newHttp, http); // key order differs between ours and the server's
  const recorded = readState(vs)[PREVIOUS_WEIGHTS] !== undefined;
  const virtualService: VirtualService = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: {
      name: vs.metadata?.name,
      namespace: ns,
      resourceVersion: vs.metadata?.resourceVersion,
      ...(vsChanged && !recorded ? stateAnnotations({ [PREVIOUS_WEIGHTS]: JSON.stringify(current.route) }).metadata : {}),
    },
    spec: { http: newHttp },
  };
  const dropped = (current.route ?? [])
    .map((d) => d.destination?.subset ?? '(no subset)')
    .filter((s) => s !== stableSubset && s !== canarySubset && (current.route ?? []).length > 1)
    .map((s) => `subset ${s}`);
  const plan: IstioPlan = { virtualService, createRule: !rule, vsChanged, canarySubset, stableSubset, dropped };
  if (ruleChanged) {
    plan.destinationRule = rule
      ? { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: rule.metadata?.name, namespace: ns, resourceVersion: rule.metadata?.resourceVersion }, spec: { subsets } }
      : { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: serviceName, namespace: ns }, spec: { host: serviceName, subsets } };
  }
  return plan;
}

// Which objects a canary involves, found from the cluster the way a person would: the Service(s)
// selecting the canary's pods, and the other Deployment(s) that Service selects (the stable version).
// Pure: observed objects in, the topology (or one clear error) out.
import { CliError, UsageError } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/kube/object.js';
import { namesService } from '../../shared/istio/hosts.js';
import type { DestinationRule, VirtualService } from '../../shared/istio/types.js';
import type { Deployment, HorizontalPodAutoscaler, Service } from '../../shared/kube/types.js';

/** VirtualServices that send the Service's traffic somewhere (then replica counts do not set the split). */
export function routingVirtualServices(vss: VirtualService[], service: string, ns: string): VirtualService[] {
  const svc = { name: service, namespace: ns };
  return vss.filter((v) =>
    [...(v.spec?.http ?? []), ...(v.spec?.tcp ?? [])].some((r) =>
      (r.route ?? []).some((d) => namesService(d.destination?.host, v.metadata?.namespace ?? ns, svc)),
    ),
  );
}

export interface Topology {
  namespace: string;
  service: Service;
  canary: Deployment;
  stable: Deployment;
  /** Autoscalers targeting either Deployment (they would undo replica changes). */
  autoscalers: HorizontalPodAutoscaler[];
  /** VirtualServices routing the Service: with one, traffic follows its weights, not replicas. */
  virtualServices: VirtualService[];
  /** Other Deployments behind the Service (when --stable picked one of several). */
  others: Deployment[];
  /** The namespace's DestinationRules, when they were read to find the stable version. */
  destinationRules?: DestinationRule[];
}

/** The Service selects several Deployments besides the canary and none was chosen. */
export class SeveralStablesError extends UsageError {
  static override readonly kind: string = 'SeveralStablesError';
}

/** The Service selects only the canary: no stable version (also what a finished promote --delete-stable leaves). */
export class NoStableError extends CliError {
  static override readonly kind: string = 'NoStableError';
}

const name = (o: KubeObject) => o.metadata?.name ?? '';
const podLabels = (d: Deployment) => d.spec?.template?.metadata?.labels ?? {};

export function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

function describeLabels(labels: Record<string, string>): string {
  return (
    Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || '(none)'
  );
}

/**
 * Under Istio, the stable version is the one the default route sends most traffic to besides the
 * canary: the subset with the largest weight, mapped to the one candidate Deployment its labels select.
 */
export function stableFromRoute(
  vss: VirtualService[],
  rules: DestinationRule[],
  service: string,
  ns: string,
  canary: Deployment,
  candidates: Deployment[],
): Deployment | undefined {
  const svc = { name: service, namespace: ns };
  const weights = new Map<string, number>();
  for (const v of vss) {
    for (const r of (v.spec?.http ?? []).filter((r) => !r.match?.length)) {
      for (const d of r.route ?? []) {
        const subset = d.destination?.subset;
        if (subset && namesService(d.destination?.host, v.metadata?.namespace ?? ns, svc)) weights.set(subset, (weights.get(subset) ?? 0) + (d.weight ?? 100));
      }
    }
  }
  const rule = rules.find((r) => namesService(r.spec?.host, r.metadata?.namespace ?? ns, svc));
  const labelsOf = (subset: string) => rule?.spec?.subsets?.find((s) => s.name === subset)?.labels;
  // The canary's own subset does not count (after a promote it has all the weight).
  const ranked = [...weights.entries()].filter(([s]) => !selects(labelsOf(s), podLabels(canary))).sort((a, b) => b[1] - a[1]);
  if (!rule || !ranked.length || (ranked[1] && ranked[1][1] === ranked[0][1])) return undefined;
  const selected = candidates.filter((d) => selects(labelsOf(ranked[0][0]), podLabels(d)));
  return selected.length === 1 ? selected[0] : undefined;
}

export function findTopology(o: {
  namespace: string;
  canaryName: string;
  serviceName?: string | undefined;
  /** The stable Deployment, when the Service selects several besides the canary. */
  stableName?: string | undefined;
  deployments: Deployment[];
  services: Service[];
  autoscalers: HorizontalPodAutoscaler[];
  virtualServices?: VirtualService[];
  /** Read only when several Deployments could be the stable one (to infer it from the route). */
  destinationRules?: DestinationRule[];
}): Topology {
  const canary = o.deployments.find((d) => name(d) === o.canaryName);
  if (!canary) {
    const near = o.deployments
      .map(name)
      .filter((n) => n.includes(o.canaryName) || o.canaryName.includes(n))
      .slice(0, 3);
    throw new CliError(`deployment "${o.canaryName}" not found in namespace "${o.namespace}"${near.length ? `; did you mean ${near.join(', ')}?` : ''}`);
  }
  const labels = podLabels(canary);
  const selecting = o.services.filter((s) => selects(s.spec?.selector, labels));
  let service: Service;
  if (o.serviceName) {
    const named = o.services.find((s) => name(s) === o.serviceName);
    if (!named) throw new CliError(`service "${o.serviceName}" not found in namespace "${o.namespace}"`);
    if (!selecting.includes(named)) {
      throw new CliError(
        `service "${o.serviceName}" (selector ${describeLabels(named.spec?.selector ?? {})}) does not select the pods of deployment "${o.canaryName}" (labels ${describeLabels(labels)})`,
      );
    }
    service = named;
  } else if (selecting.length === 0) {
    throw new CliError(
      `no Service in namespace "${o.namespace}" selects the pods of deployment "${o.canaryName}" (labels ${describeLabels(labels)}); the canary must share a Service with the stable version`,
    );
  } else if (selecting.length > 1) {
    throw new UsageError(`several Services select the pods of deployment "${o.canaryName}": ${selecting.map(name).join(', ')}; choose one with --service`);
  } else {
    service = selecting[0]!;
  }
  const behind = o.deployments.filter((d) => d !== canary && selects(service.spec?.selector, podLabels(d)));
  let stables = behind;
  if (o.stableName) {
    const chosen = stables.find((d) => name(d) === o.stableName);
    if (!chosen)
      throw new CliError(
        `deployment "${o.stableName}" is not behind service "${name(service)}" with "${o.canaryName}"${stables.length ? `; the Deployments there are ${stables.map(name).join(', ')}` : ''}`,
      );
    stables = [chosen];
  }
  if (stables.length === 0) {
    throw new NoStableError(`service "${name(service)}" selects no Deployment other than "${o.canaryName}": there is no stable version to shift traffic from`);
  }
  const virtualServices = routingVirtualServices(o.virtualServices ?? [], name(service), o.namespace);
  if (stables.length > 1) {
    const inferred = stableFromRoute(virtualServices, o.destinationRules ?? [], name(service), o.namespace, canary, stables);
    if (inferred) stables = [inferred];
  }
  if (stables.length > 1) {
    throw new SeveralStablesError(
      `service "${name(service)}" selects several Deployments besides "${o.canaryName}" (${stables.map(name).join(', ')}); choose the stable one with --stable`,
    );
  }
  const targets = new Set([o.canaryName, name(stables[0])]);
  const autoscalers = o.autoscalers.filter((h) => h.spec?.scaleTargetRef?.kind === 'Deployment' && targets.has(h.spec.scaleTargetRef.name ?? ''));
  return {
    namespace: o.namespace,
    service,
    canary,
    stable: stables[0],
    autoscalers,
    virtualServices,
    others: behind.filter((d) => d !== stables[0]),
    ...(o.destinationRules ? { destinationRules: o.destinationRules } : {}),
  };
}

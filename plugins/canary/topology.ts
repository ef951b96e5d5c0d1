// Which objects a canary involves, found from the cluster the way a person would: the Service(s)
// selecting the canary's pods, and the other Deployment(s) that Service selects (the stable version).
// Pure: observed objects in, the topology (or one clear error) out.
import { CliError, UsageError } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/kube/client.js';

export interface DeploymentLike extends KubeObject {
  spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> }; template?: { metadata?: { labels?: Record<string, string> } } };
  status?: { replicas?: number; readyReplicas?: number; updatedReplicas?: number; availableReplicas?: number };
}

export interface ServiceLike extends KubeObject {
  spec?: { selector?: Record<string, string>; type?: string };
}

export interface HpaLike extends KubeObject {
  spec?: { scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string } };
}

export interface VirtualServiceLike extends KubeObject {
  spec?: { hosts?: string[]; http?: { route?: { destination?: { host?: string } }[] }[]; tcp?: { route?: { destination?: { host?: string } }[] }[] };
}

/** The names a Service is reached by inside the mesh, from namespace ns. */
function serviceHosts(service: string, ns: string): string[] {
  return [service, `${service}.${ns}`, `${service}.${ns}.svc`, `${service}.${ns}.svc.cluster.local`];
}

/** VirtualServices that send the Service's traffic somewhere (then replica counts do not set the split). */
export function routingVirtualServices(vss: VirtualServiceLike[], service: string, ns: string): VirtualServiceLike[] {
  const names = new Set(serviceHosts(service, ns));
  return vss.filter((v) =>
    [...(v.spec?.http ?? []), ...(v.spec?.tcp ?? [])].some((r) => (r.route ?? []).some((d) => names.has(d.destination?.host ?? ''))),
  );
}

export interface Topology {
  namespace: string;
  service: ServiceLike;
  canary: DeploymentLike;
  stable: DeploymentLike;
  /** Autoscalers targeting either Deployment (they would undo replica changes). */
  autoscalers: HpaLike[];
  /** VirtualServices routing the Service: with one, traffic follows its weights, not replicas. */
  virtualServices: VirtualServiceLike[];
  /** Other Deployments behind the Service (when --stable picked one of several). */
  others: DeploymentLike[];
}

/** The Service selects only the canary: no stable version (also what a finished promote --delete-stable leaves). */
export class NoStableError extends CliError {
  static override readonly kind: string = 'NoStableError';
}

const name = (o: KubeObject) => o.metadata?.name ?? '';
const podLabels = (d: DeploymentLike) => d.spec?.template?.metadata?.labels ?? {};

export function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

function describeLabels(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',') || '(none)';
}

export function findTopology(o: {
  namespace: string;
  canaryName: string;
  serviceName?: string | undefined;
  /** The stable Deployment, when the Service selects several besides the canary. */
  stableName?: string | undefined;
  deployments: DeploymentLike[];
  services: ServiceLike[];
  autoscalers: HpaLike[];
  virtualServices?: VirtualServiceLike[];
}): Topology {
  const canary = o.deployments.find((d) => name(d) === o.canaryName);
  if (!canary) {
    const near = o.deployments.map(name).filter((n) => n.includes(o.canaryName) || o.canaryName.includes(n)).slice(0, 3);
    throw new CliError(`deployment "${o.canaryName}" not found in namespace "${o.namespace}"${near.length ? `; did you mean ${near.join(', ')}?` : ''}`);
  }
  const labels = podLabels(canary);
  const selecting = o.services.filter((s) => selects(s.spec?.selector, labels));
  let service: ServiceLike;
  if (o.serviceName) {
    const named = o.services.find((s) => name(s) === o.serviceName);
    if (!named) throw new CliError(`service "${o.serviceName}" not found in namespace "${o.namespace}"`);
    if (!selecting.includes(named)) {
      throw new CliError(`service "${o.serviceName}" (selector ${describeLabels(named.spec?.selector ?? {})}) does not select the pods of deployment "${o.canaryName}" (labels ${describeLabels(labels)})`);
    }
    service = named;
  } else if (selecting.length === 0) {
    throw new CliError(`no Service in namespace "${o.namespace}" selects the pods of deployment "${o.canaryName}" (labels ${describeLabels(labels)}); the canary must share a Service with the stable version`);
  } else if (selecting.length > 1) {
    throw new UsageError(`several Services select the pods of deployment "${o.canaryName}": ${selecting.map(name).join(', ')}; choose one with --service`);
  } else {
    service = selecting[0]!;
  }
  const behind = o.deployments.filter((d) => d !== canary && selects(service.spec?.selector, podLabels(d)));
  let stables = behind;
  if (o.stableName) {
    const chosen = stables.find((d) => name(d) === o.stableName);
    if (!chosen) throw new CliError(`deployment "${o.stableName}" is not behind service "${name(service)}" with "${o.canaryName}"${stables.length ? `; the Deployments there are ${stables.map(name).join(', ')}` : ''}`);
    stables = [chosen];
  }
  if (stables.length === 0) {
    throw new NoStableError(`service "${name(service)}" selects no Deployment other than "${o.canaryName}": there is no stable version to shift traffic from`);
  }
  if (stables.length > 1) {
    throw new UsageError(`service "${name(service)}" selects several Deployments besides "${o.canaryName}" (${stables.map(name).join(', ')}); choose the stable one with --stable`);
  }
  const targets = new Set([o.canaryName, name(stables[0]!)]);
  const autoscalers = o.autoscalers.filter((h) => h.spec?.scaleTargetRef?.kind === 'Deployment' && targets.has(h.spec.scaleTargetRef.name ?? ''));
  const virtualServices = routingVirtualServices(o.virtualServices ?? [], name(service), o.namespace);
  return { namespace: o.namespace, service, canary, stable: stables[0]!, autoscalers, virtualServices, others: behind.filter((d) => d !== stables[0]) };
}

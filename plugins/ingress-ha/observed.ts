// The parts of observed objects the ingress-ha commands read, and small pure readers over them.
import type { KubeObject } from '../../shared/kube/object.js';
import { CONTROL_PLANE_LABELS, INGRESS_LABEL, INGRESS_LABEL_VALUE, INGRESS_TAINT, ZONE_LABEL } from './options.js';
import type { Node, Pod, Service } from '../../shared/kube/types.js';

export const nameOf = (o: KubeObject): string => o.metadata?.name ?? '';

export function isIngressNode(n: Node): boolean {
  return n.metadata?.labels?.[INGRESS_LABEL] === INGRESS_LABEL_VALUE;
}

export function zoneOf(n: Node): string | undefined {
  return n.metadata?.labels?.[ZONE_LABEL];
}

export function isReady(o: Node | Pod): boolean {
  return o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function hasIngressTaint(n: Node): boolean {
  return n.spec?.taints?.some((t) => t.key === INGRESS_TAINT.key && t.effect === INGRESS_TAINT.effect) ?? false;
}

export function isControlPlane(n: Node): boolean {
  return CONTROL_PLANE_LABELS.some((l) => n.metadata?.labels?.[l] !== undefined);
}

export function restarts(p: Pod): number {
  return (p.status?.containerStatuses ?? []).reduce((sum, c) => sum + (c.restartCount ?? 0), 0);
}

/** Does a matchLabels-style selector select these labels? An empty selector selects nothing here. */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels?.[k] === v);
}

/** Pods owned by a DaemonSet (node agents: they belong on every node, ingress nodes included). */
export function isDaemonPod(p: Pod): boolean {
  return p.metadata?.ownerReferences?.some((r) => r.kind === 'DaemonSet') ?? false;
}

/** The Service in front of the controller: one whose selector picks the DaemonSet's pods (LoadBalancer first). */
export function findService(services: Service[], podLabels: Record<string, string> | undefined): Service | undefined {
  const matching = services.filter((s) => selects(s.spec?.selector, podLabels));
  return matching.find((s) => s.spec?.type === 'LoadBalancer') ?? matching[0];
}

// The parts of observed objects the ingress-ha commands read, and small pure readers over them.
import type { KubeObject } from '../../shared/kube/client.js';
import { CONTROL_PLANE_LABELS, INGRESS_LABEL, INGRESS_LABEL_VALUE, INGRESS_TAINT, ZONE_LABEL } from './options.js';

type Condition = { type: string; status: string };
export interface Taint {
  key: string;
  value?: string;
  effect: string;
}
export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

export interface NodeLike extends KubeObject {
  spec?: { taints?: Taint[]; unschedulable?: boolean };
  status?: { conditions?: Condition[] };
}

export interface ContainerLike {
  name: string;
  image?: string;
  livenessProbe?: unknown;
  readinessProbe?: unknown;
}

export interface PodSpecLike {
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  containers: ContainerLike[];
}

export interface PodLike extends KubeObject {
  spec?: PodSpecLike & { nodeName?: string };
  status?: { phase?: string; conditions?: Condition[]; containerStatuses?: { restartCount?: number }[] };
}

export interface DaemonSetLike extends KubeObject {
  spec?: { selector?: { matchLabels?: Record<string, string> }; template?: { metadata?: { labels?: Record<string, string> }; spec?: PodSpecLike } };
  status?: {
    desiredNumberScheduled?: number;
    currentNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberReady?: number;
    numberAvailable?: number;
    observedGeneration?: number;
  };
}

export interface DeploymentLike extends KubeObject {
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: { metadata?: { labels?: Record<string, string> }; spec?: PodSpecLike };
  };
  status?: { readyReplicas?: number; availableReplicas?: number };
}

export interface PdbLike extends KubeObject {
  spec?: { minAvailable?: number | string; maxUnavailable?: number | string; selector?: { matchLabels?: Record<string, string> } };
}

export interface ServiceLike extends KubeObject {
  spec?: { type?: string; externalTrafficPolicy?: string; selector?: Record<string, string>; ports?: { name?: string; port: number; nodePort?: number }[] };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export const nameOf = (o: KubeObject): string => o.metadata?.name ?? '';

export function isIngressNode(n: NodeLike): boolean {
  return n.metadata?.labels?.[INGRESS_LABEL] === INGRESS_LABEL_VALUE;
}

export function zoneOf(n: NodeLike): string | undefined {
  return n.metadata?.labels?.[ZONE_LABEL];
}

export function isReady(o: NodeLike | PodLike): boolean {
  return o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function hasIngressTaint(n: NodeLike): boolean {
  return n.spec?.taints?.some((t) => t.key === INGRESS_TAINT.key && t.effect === INGRESS_TAINT.effect) ?? false;
}

export function isControlPlane(n: NodeLike): boolean {
  return CONTROL_PLANE_LABELS.some((l) => n.metadata?.labels?.[l] !== undefined);
}

export function restarts(p: PodLike): number {
  return (p.status?.containerStatuses ?? []).reduce((sum, c) => sum + (c.restartCount ?? 0), 0);
}

/** Does a matchLabels-style selector select these labels? An empty selector selects nothing here. */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels?.[k] === v);
}

/** Pods owned by a DaemonSet (node agents: they belong on every node, ingress nodes included). */
export function isDaemonPod(p: PodLike): boolean {
  return p.metadata?.ownerReferences?.some((r) => r.kind === 'DaemonSet') ?? false;
}

/** The Service in front of the controller: one whose selector picks the DaemonSet's pods (LoadBalancer first). */
export function findService(services: ServiceLike[], podLabels: Record<string, string> | undefined): ServiceLike | undefined {
  const matching = services.filter((s) => selects(s.spec?.selector, podLabels));
  return matching.find((s) => s.spec?.type === 'LoadBalancer') ?? matching[0];
}

// The Kubernetes objects the plugins read, once: the fields they use, named and typed as the API sends
// them (JSON: timestamps are strings), every one optional unless the API always sends it.
// test/unit/kube-types.test.ts checks each shape against @kubernetes/client-node's models, so a field
// name that the API does not have fails to compile.
import type { KubeObject } from './object.js';

export type Labels = Record<string, string>;

/** A label selector as Deployments, DaemonSets and PodDisruptionBudgets carry it (matchLabels only). */
export interface LabelSelector {
  matchLabels?: Labels;
}

/** A status condition (Node, Pod, Deployment). */
export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

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

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

export interface Container {
  name: string;
  image?: string;
  env?: EnvVar[];
  livenessProbe?: unknown;
  readinessProbe?: unknown;
}

export interface PodSpec {
  containers: Container[];
  nodeSelector?: Labels;
  tolerations?: Toleration[];
  nodeName?: string;
  hostNetwork?: boolean;
}

export interface PodTemplate {
  metadata?: { labels?: Labels; annotations?: Record<string, string> };
  spec?: PodSpec;
}

export interface Pod extends KubeObject {
  spec?: PodSpec;
  status?: { phase?: string; conditions?: Condition[]; containerStatuses?: { restartCount?: number }[]; podIP?: string; podIPs?: { ip: string }[] };
}

export interface Deployment extends KubeObject {
  spec?: { replicas?: number; selector?: LabelSelector; template?: PodTemplate };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: Condition[];
  };
}

export interface DaemonSet extends KubeObject {
  spec?: { selector?: LabelSelector; template?: PodTemplate };
  status?: {
    observedGeneration?: number;
    desiredNumberScheduled?: number;
    currentNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberReady?: number;
    numberAvailable?: number;
  };
}

/** What runs pods from a template: the workloads the plugins read. */
export type Workload = Deployment | DaemonSet;

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
  nodePort?: number;
}

export interface LoadBalancerStatus {
  ingress?: { ip?: string; hostname?: string }[];
}

export interface Service extends KubeObject {
  spec?: {
    type?: string;
    selector?: Labels;
    ports?: ServicePort[];
    clusterIP?: string;
    externalIPs?: string[];
    externalTrafficPolicy?: string;
  };
  status?: { loadBalancer?: LoadBalancerStatus };
}

export interface SliceEndpoint {
  addresses: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  targetRef?: { kind?: string; name?: string };
  nodeName?: string;
  zone?: string;
}

export interface EndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?: SliceEndpoint[];
  ports?: { name?: string; port?: number; protocol?: string }[];
}

export interface HorizontalPodAutoscaler extends KubeObject {
  spec?: { scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string } };
}

export interface Node extends KubeObject {
  spec?: { taints?: Taint[]; unschedulable?: boolean; podCIDR?: string; podCIDRs?: string[] };
  status?: { conditions?: Condition[] };
}

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

export interface PodDisruptionBudget extends KubeObject {
  spec?: { minAvailable?: number | string; maxUnavailable?: number | string; selector?: LabelSelector };
}

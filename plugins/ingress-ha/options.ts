// What an ingress layer is made of, as options the builders turn into objects, and the names and
// labels every command agrees on (the node label of seed 001 chapter 3 ties nodes, pods and the LB).
import { ValidationError } from '../../shared/errors.js';

/** Nodes carrying this label run the controller, and only they are attached to the load balancer. */
export const INGRESS_LABEL = 'node-role.kubernetes.io/ingress';
export const INGRESS_LABEL_VALUE = 'true';
/** The label as a selector string (what the cloud annotations and `kubectl -l` take). */
export const INGRESS_SELECTOR = `${INGRESS_LABEL}=${INGRESS_LABEL_VALUE}`;
/** --exclusive: the taint that keeps ordinary workloads off ingress nodes (the controller tolerates it). */
export const INGRESS_TAINT = { key: INGRESS_LABEL, value: INGRESS_LABEL_VALUE, effect: 'NoSchedule' } as const;
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const CONTROL_PLANE_LABELS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];

export const CONTROLLERS = ['ingress-nginx', 'istio-gateway'] as const;
export type Controller = (typeof CONTROLLERS)[number];

export const CLOUDS = ['alibaba', 'aws', 'azure', 'gcp', 'none'] as const;
export type Cloud = (typeof CLOUDS)[number];

/** Pinned releases; --image overrides. The Istio gateway's "auto" is filled in by istiod's injector. */
export const DEFAULT_IMAGES: Record<Controller, string> = {
  'ingress-nginx': 'registry.k8s.io/ingress-nginx/controller:v1.13.3',
  'istio-gateway': 'auto',
};

export const DEFAULT_NAMES: Record<Controller, string> = { 'ingress-nginx': 'ingress-nginx', 'istio-gateway': 'istio-ingressgateway' };
export const DEFAULT_CLASSES: Record<Controller, string> = { 'ingress-nginx': 'nginx', 'istio-gateway': 'istio' };

export interface IngressOptions {
  namespace: string;
  controller: Controller;
  cloud: Cloud;
  image: string;
  /** Ingress nodes are tainted: the controller tolerates the taint. */
  exclusive: boolean;
  /** Base name of the objects (ServiceAccount, DaemonSet "<name>-controller", ...). */
  name: string;
  /** The LoadBalancer Service's name (an adopted Service keeps its own). */
  serviceName: string;
  /** The IngressClass the controller serves. */
  ingressClass: string;
  /** The PodDisruptionBudget's minAvailable (a whole number: DaemonSets have no scale to compute percentages from). */
  minAvailable: number;
  /** The plugin, for the managed-by label. */
  plugin: string;
}

export function parseController(value: string | undefined): Controller {
  const v = value ?? 'ingress-nginx';
  if (!(CONTROLLERS as readonly string[]).includes(v)) throw new ValidationError(`unknown controller "${v}": use ${CONTROLLERS.join(' or ')}`);
  return v as Controller;
}

export function parseCloud(value: string | undefined): Cloud {
  const v = value ?? 'none';
  if (!(CLOUDS as readonly string[]).includes(v)) throw new ValidationError(`unknown cloud "${v}": use one of ${CLOUDS.join(', ')}`);
  return v as Cloud;
}

/** Defaults for everything but namespace, controller and cloud. */
export function ingressOptions(o: Pick<IngressOptions, 'namespace' | 'controller' | 'cloud' | 'plugin'> & Partial<IngressOptions>): IngressOptions {
  const name = o.name ?? DEFAULT_NAMES[o.controller];
  return {
    namespace: o.namespace,
    controller: o.controller,
    cloud: o.cloud,
    plugin: o.plugin,
    image: o.image ?? DEFAULT_IMAGES[o.controller],
    exclusive: o.exclusive ?? false,
    name,
    serviceName: o.serviceName ?? controllerName(name),
    ingressClass: o.ingressClass ?? DEFAULT_CLASSES[o.controller],
    minAvailable: o.minAvailable ?? 1,
  };
}

/** The DaemonSet, PDB and (by default) Service are "<name>-controller". */
export function controllerName(name: string): string {
  return `${name}-controller`;
}

/** Cluster-scoped objects (ClusterRole, ClusterRoleBinding) carry the namespace so two installs do not collide. */
export function clusterScopedName(o: Pick<IngressOptions, 'name' | 'namespace'>): string {
  return `${o.name}-${o.namespace}`;
}

/** The labels that select the controller's pods (DaemonSet selector, Service selector, PDB). */
export function podSelector(o: Pick<IngressOptions, 'controller' | 'name'>): Record<string, string> {
  return {
    'app.kubernetes.io/name': o.controller === 'ingress-nginx' ? 'ingress-nginx' : 'istio-ingressgateway',
    'app.kubernetes.io/instance': o.name,
    'app.kubernetes.io/component': 'controller',
  };
}

/** A label selector string from matchLabels. */
export function selectorString(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

// Kinds to REST resources. Common kinds are known here so a command needs no discovery request;
// any other kind (a CRD) is looked up once per run through the API group's discovery document.

export interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

const K = (plural: string, namespaced = true): ResourceInfo => ({ plural, namespaced });

/** "group/version/Kind" -> resource; core group written as "v1". */
export const KNOWN: Record<string, ResourceInfo> = {
  'v1/Namespace': K('namespaces', false),
  'v1/Node': K('nodes', false),
  'v1/Pod': K('pods'),
  'v1/Service': K('services'),
  'v1/Endpoints': K('endpoints'),
  'v1/ConfigMap': K('configmaps'),
  'v1/Secret': K('secrets'),
  'v1/ServiceAccount': K('serviceaccounts'),
  'v1/Event': K('events'),
  'apps/v1/Deployment': K('deployments'),
  'apps/v1/ReplicaSet': K('replicasets'),
  'apps/v1/DaemonSet': K('daemonsets'),
  'apps/v1/StatefulSet': K('statefulsets'),
  'autoscaling/v2/HorizontalPodAutoscaler': K('horizontalpodautoscalers'),
  'autoscaling/v1/HorizontalPodAutoscaler': K('horizontalpodautoscalers'),
  'policy/v1/PodDisruptionBudget': K('poddisruptionbudgets'),
  'discovery.k8s.io/v1/EndpointSlice': K('endpointslices'),
  'networking.k8s.io/v1/Ingress': K('ingresses'),
  'networking.k8s.io/v1/IngressClass': K('ingressclasses', false),
  'rbac.authorization.k8s.io/v1/Role': K('roles'),
  'rbac.authorization.k8s.io/v1/RoleBinding': K('rolebindings'),
  'rbac.authorization.k8s.io/v1/ClusterRole': K('clusterroles', false),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': K('clusterrolebindings', false),
  'apiextensions.k8s.io/v1/CustomResourceDefinition': K('customresourcedefinitions', false),
  'coordination.k8s.io/v1/Lease': K('leases'),
  'gateway.networking.k8s.io/v1/Gateway': K('gateways'),
  'gateway.networking.k8s.io/v1/HTTPRoute': K('httproutes'),
  'gateway.networking.k8s.io/v1/GatewayClass': K('gatewayclasses', false),
  'networking.istio.io/v1/VirtualService': K('virtualservices'),
  'networking.istio.io/v1/DestinationRule': K('destinationrules'),
  'networking.istio.io/v1/Gateway': K('gateways'),
  'networking.istio.io/v1/ServiceEntry': K('serviceentries'),
  'networking.istio.io/v1/WorkloadEntry': K('workloadentries'),
  'networking.istio.io/v1/WorkloadGroup': K('workloadgroups'),
  'networking.istio.io/v1/Sidecar': K('sidecars'),
  'telemetry.istio.io/v1/Telemetry': K('telemetries'),
  'security.istio.io/v1/PeerAuthentication': K('peerauthentications'),
  'security.istio.io/v1/AuthorizationPolicy': K('authorizationpolicies'),
};

/** The URL path of a collection or one object. */
export function resourcePath(apiVersion: string, info: ResourceInfo, namespace?: string, name?: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${info.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** Pick a kind out of a discovery document (GET /api/v1 or /apis/<group>/<version>). */
export function fromDiscovery(doc: { resources?: { name: string; kind: string; namespaced: boolean }[] }, kind: string): ResourceInfo | undefined {
  const r = doc.resources?.find((x) => x.kind === kind && !x.name.includes('/'));
  return r ? { plural: r.name, namespaced: r.namespaced } : undefined;
}

/** The plural resource name kubectl prints for a kind (for messages; requests use the real mapping). */
export function resourceName(apiVersion: string, kind: string): string {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  const known = KNOWN[`${apiVersion}/${kind}`]?.plural;
  const lower = kind.toLowerCase();
  const plural = known ?? (lower.endsWith('s') ? `${lower}es` : lower.endsWith('y') ? `${lower.slice(0, -1)}ies` : `${lower}s`);
  return group ? `${plural}.${group}` : plural;
}

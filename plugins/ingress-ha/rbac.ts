// The controller's identity and permissions, least privilege: what the controller reads and writes,
// nothing more (the seed ran it as "admin"). Cluster-wide watches go in a ClusterRole; what only its
// own namespace needs (its configuration, its leader-election Lease) in a Role there.
import type { KubeObject } from '../../shared/kube/object.js';
import { clusterScopedName, controllerName, type IngressOptions } from './options.js';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

const READ = ['list', 'watch'];

/** The Lease ingress-nginx elects its leader with (--election-id). */
export function electionId(o: Pick<IngressOptions, 'name'>): string {
  return `${o.name}-leader`;
}

/** ingress-nginx watches Ingresses, classes, Services, EndpointSlices and Secrets in every namespace. */
export function nginxClusterRules(): PolicyRule[] {
  return [
    { apiGroups: [''], resources: ['configmaps', 'endpoints', 'nodes', 'pods', 'secrets', 'namespaces'], verbs: READ },
    { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
    { apiGroups: [''], resources: ['services'], verbs: ['get', ...READ] },
    { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingressclasses'], verbs: ['get', ...READ] },
    // It writes the load balancer's address into each Ingress's status (--publish-service).
    { apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['update'] },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', ...READ] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: READ },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  ];
}

/** In its own namespace: read its ConfigMaps and pod, and hold its leader-election Lease (only that one). */
export function nginxNamespaceRules(o: Pick<IngressOptions, 'name'>): PolicyRule[] {
  return [
    // A get of a Namespace is authorised as a request inside it, so a Role can allow its own.
    { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] },
    { apiGroups: [''], resources: ['configmaps', 'pods', 'secrets', 'endpoints'], verbs: ['get'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [electionId(o)], verbs: ['get', 'update'] },
    // create cannot be limited by name (the name is not known before the object exists).
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
  ];
}

/** The Istio gateway gets its configuration from istiod; it only reads TLS Secrets (credentialName) here. */
export function istioGatewayRules(): PolicyRule[] {
  return [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'watch', 'list'] }];
}

function binding(kind: 'ClusterRoleBinding' | 'RoleBinding', name: string, o: IngressOptions, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, ...(kind === 'RoleBinding' ? { namespace: o.namespace } : {}), labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: kind === 'RoleBinding' ? 'Role' : 'ClusterRole', name },
    subjects: [{ kind: 'ServiceAccount', name: o.name, namespace: o.namespace }],
  };
}

/** ServiceAccount, roles and bindings for the chosen controller. */
export function rbacObjects(o: IngressOptions, labels: Record<string, string>): KubeObject[] {
  const sa: KubeObject = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: o.name, namespace: o.namespace, labels },
    automountServiceAccountToken: true,
  };
  const role = (rules: PolicyRule[]): KubeObject => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: o.name, namespace: o.namespace, labels },
    rules,
  });
  if (o.controller === 'istio-gateway') return [sa, role(istioGatewayRules()), binding('RoleBinding', o.name, o, labels)];
  const cluster = clusterScopedName(o);
  return [
    sa,
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: cluster, labels }, rules: nginxClusterRules() },
    binding('ClusterRoleBinding', cluster, o, labels),
    role(nginxNamespaceRules(o)),
    binding('RoleBinding', o.name, o, labels),
  ];
}

/** The names of the ConfigMaps ingress-nginx is pointed at (the seed's nginx-configuration, tcp-services, udp-services). */
export function nginxConfigMaps(o: Pick<IngressOptions, 'name'>): { configuration: string; tcp: string; udp: string } {
  return { configuration: controllerName(o.name), tcp: `${o.name}-tcp-services`, udp: `${o.name}-udp-services` };
}

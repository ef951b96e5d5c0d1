// Istio's reader role: what istiod may do in a cluster it reads through a remote secret, as the
// istio-discovery chart renders istio-reader-clusterrole-<ns>
// (manifests/charts/istio-control/istio-discovery/templates/reader-clusterrole.yaml).

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

const READ = ['get', 'list', 'watch'];

/** The chart's ClusterRole name for a release namespace (and revision). */
export function istioReaderClusterRoleName(namespace: string, revision = ''): string {
  return `istio-reader-clusterrole${revision ? `-${revision}` : ''}-${namespace}`;
}

/** The reader rules as the chart renders them (MCS_API_GROUP at its default). */
export const ISTIO_READER_RULES: readonly PolicyRule[] = [
  {
    apiGroups: [
      'config.istio.io',
      'security.istio.io',
      'networking.istio.io',
      'authentication.istio.io',
      'rbac.istio.io',
      'telemetry.istio.io',
      'extensions.istio.io',
    ],
    resources: ['*'],
    verbs: READ,
  },
  { apiGroups: [''], resources: ['endpoints', 'pods', 'services', 'nodes', 'replicationcontrollers', 'namespaces', 'secrets', 'configmaps'], verbs: READ },
  { apiGroups: ['networking.istio.io'], resources: ['workloadentries'], verbs: READ },
  { apiGroups: ['networking.x-k8s.io', 'gateway.networking.k8s.io'], resources: ['gateways'], verbs: READ },
  { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: READ },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
  { apiGroups: ['multicluster.x-k8s.io'], resources: ['serviceexports'], verbs: [...READ, 'create', 'delete'] },
  { apiGroups: ['multicluster.x-k8s.io'], resources: ['serviceimports'], verbs: READ },
  { apiGroups: ['apps'], resources: ['replicasets'], verbs: READ },
  { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
  { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
];

/**
 * What the chart adds with istiodRemote.enabled (the remote profile): istiod of the primary that
 * controls the cluster (topology.istio.io/controlPlaneClusters) publishes istio-ca-root-cert into its
 * namespaces and patches its webhooks' CA bundles, with the remote secret's credentials.
 */
export const EXTERNAL_CONTROL_PLANE_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'list', 'watch', 'update'] },
  { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
  { apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], verbs: ['get', 'list', 'watch', 'update'] },
];

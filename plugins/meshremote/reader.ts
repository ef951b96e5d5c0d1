// The reader account istiod uses in a remote cluster: which rules it gets, and the objects that make
// it. `istio` is Istio's own reader role; `minimal` is what istiod's service registry reads from a
// remote (kube registry controller, EndpointSlices, network gateways, cross-cluster WorkloadEntries,
// the CRD watcher) plus token reviews for the remote's proxies; what it leaves out is said in COSTS.
import type { KubeObject } from '../../shared/kube/object.js';
import { EXTERNAL_CONTROL_PLANE_RULES, ISTIO_READER_RULES, type PolicyRule } from '../../shared/istio/reader-rbac.js';
import { linkLabels, readerName, PURPOSE_ANNOTATION, READER_LABEL } from './names.js';

export const READERS = ['istio', 'minimal'] as const;
export type Reader = (typeof READERS)[number];

const READ = ['get', 'list', 'watch'];

export const MINIMAL_READER_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['services', 'endpoints', 'pods', 'nodes', 'namespaces'], verbs: READ },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
  { apiGroups: ['networking.istio.io'], resources: ['workloadentries'], verbs: READ },
  { apiGroups: ['gateway.networking.k8s.io'], resources: ['gateways'], verbs: READ },
  { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: READ },
  // Sidecars of a remote without istiod present its tokens to the primary's istiod, which asks the
  // remote's API server to review them.
  { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
];

/** istiod's switch for reading a remote's Secrets (gateways' credentialName); on by default. */
export const REMOTE_CREDENTIALS_ENV = 'PILOT_ENABLE_REMOTE_CREDENTIALS_CONTROLLER';

/** What `--reader minimal` gives up, compared with Istio's reader role. */
export const MINIMAL_COSTS = [
  `istiod in the primary must run with ${REMOTE_CREDENTIALS_ENV}=false: otherwise it lists the remote's Secrets and never finishes syncing it`,
  // Seen with the istiod this suite runs: Component.clusterAdded hands the multicluster controller a typed nil.
  `and istiod must survive that setting: Istio at eed52ebb66ad (2026-08-27) panics as it adds the remote (nil credentials controller); try it on a test cluster first`,
  'no Secrets: gateways and DestinationRules in the remote cannot use credentialName (TLS keys istiod reads there)',
  'no Istio configuration stored in the remote (istiod reads configuration from its own cluster; WorkloadEntries are still read)',
  'no MCS ServiceExports/ServiceImports (used only with ENABLE_MCS_SERVICE_DISCOVERY), ReplicaSets, ReplicationControllers or SubjectAccessReviews',
];

/** The costs of --reader minimal, as printed on stderr by the commands that make a reader. */
export function minimalCostsText(): string {
  return `--reader minimal costs:\n${MINIMAL_COSTS.map((c) => `  - ${c}\n`).join('')}`;
}

export function readerRules(reader: Reader, controlPlaneWrites: boolean): PolicyRule[] {
  return [...(reader === 'istio' ? ISTIO_READER_RULES : MINIMAL_READER_RULES), ...(controlPlaneWrites ? EXTERNAL_CONTROL_PLANE_RULES : [])];
}

export interface ReaderSpec {
  link: string;
  namespace: string;
  reader: Reader;
  controlPlaneWrites: boolean;
}

/** The ServiceAccount, ClusterRole and ClusterRoleBinding of a link's reader. */
export function readerObjects(s: ReaderSpec): KubeObject[] {
  const name = readerName(s.link);
  const labels = linkLabels(s.link);
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: s.namespace, labels } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name, labels: { ...labels, [READER_LABEL]: s.reader } },
      rules: readerRules(s.reader, s.controlPlaneWrites),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: s.namespace }],
    },
  ];
}

/**
 * A Secret a link's tokens are bound to. For TokenRequest tokens an empty Opaque Secret (the token is
 * valid while it exists); for a legacy token the service-account-token Secret the token controller
 * fills, as istioctl creates it.
 */
export function tokenSecret(link: string, namespace: string, name: string, legacy: boolean): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      labels: linkLabels(link),
      annotations: {
        [PURPOSE_ANNOTATION]: legacy
          ? 'a non-expiring token of the reader account; deleting this Secret revokes it'
          : 'tokens of the reader account are bound to this Secret; deleting it revokes them',
        ...(legacy ? { 'kubernetes.io/service-account.name': readerName(link) } : {}),
      },
    },
    type: legacy ? 'kubernetes.io/service-account-token' : 'Opaque',
  };
}

/** The reader kind a ClusterRole was made for (our label), if it is ours. */
export function readerOf(role: KubeObject | undefined): Reader | undefined {
  const v = role?.metadata?.labels?.[READER_LABEL];
  return (READERS as readonly string[]).includes(v ?? '') ? (v as Reader) : undefined;
}

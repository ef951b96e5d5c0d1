// What the settings commands read from the cluster, each kind with one (paginated) list: the mesh
// config of each control-plane revision, istiod's PILOT_TRACE_SAMPLING, revision tags, Telemetries,
// namespaces and the pod templates of workloads.
import { KubeApiError } from '../../../shared/errors.js';
import { type Kube } from '../../../shared/kube/client.js';
import { ALL_NAMESPACES } from '../../../shared/kube/object.js';
import { optionalList } from '../../../shared/kube/api-errors.js';
import { MESH_CONFIG_KEY, parseMeshConfig, type ConfigMapMeta, type MeshConfig } from '../../../shared/istio/mesh-config.js';
import { REVISION_LABEL, TELEMETRY_API_VERSION, TELEMETRY_KIND, type Telemetry } from '../../../shared/istio/telemetry.js';
import type { ConfigMap, Deployment } from '../../../shared/kube/types.js';

export interface ControlPlane {
  /** "default" for the ConfigMap `istio`. */
  revision: string;
  configMap: { name: string; namespace: string; resourceVersion?: string; meta: ConfigMapMeta; data: Record<string, string> };
  mesh: MeshConfig;
  istiod?: { name: string; traceSampling?: string; traceSamplingFromRef?: boolean; sharedMeshConfig?: string };
}

export interface PodTemplateOwner {
  kind: string;
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
}

export interface Observed {
  istioNamespace: string;
  planes: ControlPlane[];
  /** Revision tags: tag -> revision (MutatingWebhookConfigurations labelled istio.io/tag). */
  tags: Record<string, string>;
  telemetries: Telemetry[];
  namespaces: NamespaceInfo[];
  workloads: PodTemplateOwner[];
}

/** The ConfigMaps istiod revisions read: `istio` and `istio-<rev>` with a `mesh` key. */
export function controlPlanes(configMaps: ConfigMap[], istiods: Deployment[]): ControlPlane[] {
  const planes: ControlPlane[] = [];
  for (const cm of configMaps) {
    const name = cm.metadata?.name ?? '';
    if (!/^istio(-.+)?$/.test(name) || cm.data?.[MESH_CONFIG_KEY] === undefined) continue;
    const revision = cm.metadata?.labels?.[REVISION_LABEL] ?? (name === 'istio' ? 'default' : name.slice('istio-'.length));
    const namespace = cm.metadata?.namespace ?? '';
    const where = `ConfigMap ${namespace}/${name}`;
    const istiod = istiods.find((d) => (d.metadata?.labels?.[REVISION_LABEL] ?? 'default') === revision);
    const env = istiod?.spec?.template?.spec?.containers?.find((c) => c.name === 'discovery')?.env ?? istiod?.spec?.template?.spec?.containers?.[0]?.env ?? [];
    const sampling = env.find((e) => e.name === 'PILOT_TRACE_SAMPLING');
    const shared = env.find((e) => e.name === 'SHARED_MESH_CONFIG');
    planes.push({
      revision,
      configMap: {
        name,
        namespace,
        ...(cm.metadata?.resourceVersion ? { resourceVersion: cm.metadata.resourceVersion } : {}),
        meta: { labels: cm.metadata?.labels, annotations: cm.metadata?.annotations },
        data: cm.data ?? {},
      },
      mesh: parseMeshConfig(cm.data?.[MESH_CONFIG_KEY], where),
      ...(istiod
        ? {
            istiod: {
              name: istiod.metadata?.name ?? '',
              ...(sampling?.value !== undefined ? { traceSampling: sampling.value } : {}),
              ...(sampling?.valueFrom ? { traceSamplingFromRef: true } : {}),
              ...(shared?.value ? { sharedMeshConfig: shared.value } : {}),
            },
          }
        : {}),
    });
  }
  return planes.sort((a, b) => (a.revision === 'default' ? -1 : b.revision === 'default' ? 1 : a.revision < b.revision ? -1 : 1));
}

export async function observeControlPlanes(kube: Kube, istioNamespace: string): Promise<{ planes: ControlPlane[]; tags: Record<string, string> }> {
  const [configMaps, istiods, webhooks] = await Promise.all([
    kube.list<ConfigMap>('v1', 'ConfigMap', { namespace: istioNamespace }),
    kube.list<Deployment>('apps/v1', 'Deployment', { namespace: istioNamespace, labelSelector: 'app=istiod' }),
    optionalList(kube.list('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', { labelSelector: 'istio.io/tag' }), true),
  ]);
  const tags: Record<string, string> = {};
  for (const w of webhooks) {
    const tag = w.metadata?.labels?.['istio.io/tag'];
    const rev = w.metadata?.labels?.[REVISION_LABEL];
    if (tag && rev) tags[tag] = rev;
  }
  return { planes: controlPlanes(configMaps, istiods), tags };
}

function podTemplates(kind: string, items: Deployment[]): PodTemplateOwner[] {
  return items.map((d) => ({
    kind,
    name: d.metadata?.name ?? '',
    namespace: d.metadata?.namespace ?? '',
    labels: d.spec?.template?.metadata?.labels ?? {},
    annotations: d.spec?.template?.metadata?.annotations ?? {},
  }));
}

/** The pod templates of a namespace's (or every namespace's) Deployments, StatefulSets and DaemonSets. */
export async function listPodTemplates(kube: Kube, namespace: string): Promise<PodTemplateOwner[]> {
  const [deployments, statefulSets, daemonSets] = await Promise.all([
    kube.list<Deployment>('apps/v1', 'Deployment', { namespace }),
    kube.list<Deployment>('apps/v1', 'StatefulSet', { namespace }),
    kube.list<Deployment>('apps/v1', 'DaemonSet', { namespace }),
  ]);
  return [...podTemplates('deployment', deployments), ...podTemplates('statefulset', statefulSets), ...podTemplates('daemonset', daemonSets)];
}

/** Telemetries everywhere, or (without cluster-wide list permission) in the namespaces that matter. */
export async function listTelemetries(kube: Kube, namespaces: string[], warn: (m: string) => void): Promise<Telemetry[]> {
  try {
    return await optionalList(kube.list<Telemetry>(TELEMETRY_API_VERSION, TELEMETRY_KIND, { namespace: ALL_NAMESPACES }));
  } catch (err) {
    if (!(err instanceof KubeApiError && err.status === 403)) throw err;
    warn('cannot list Telemetries in every namespace (RBAC); reading only the scope and root namespaces');
    const lists = await Promise.all(
      [...new Set(namespaces)].map((ns) => optionalList(kube.list<Telemetry>(TELEMETRY_API_VERSION, TELEMETRY_KIND, { namespace: ns }))),
    );
    return lists.flat();
  }
}

/** Everything status needs: namespaces (one, or all with -A), their Telemetries, the root namespace's and the workloads. */
export async function observe(kube: Kube, istioNamespace: string, namespace: string, warn: (m: string) => void): Promise<Observed> {
  const all = namespace === ALL_NAMESPACES;
  const [cp, telemetries, namespaces, workloads] = await Promise.all([
    observeControlPlanes(kube, istioNamespace),
    // Every namespace's Telemetries: the root namespace's apply everywhere, and it is named only in the mesh config.
    listTelemetries(kube, all ? [istioNamespace] : [istioNamespace, namespace], warn),
    all
      ? kube.list('v1', 'Namespace')
      : kube.find({ apiVersion: 'v1', kind: 'Namespace', name: namespace }).then((n) => (n ? [n] : [{ metadata: { name: namespace, labels: {} } }])),
    listPodTemplates(kube, namespace),
  ]);
  return {
    istioNamespace,
    ...cp,
    telemetries,
    namespaces: namespaces.map((n) => ({ name: n.metadata?.name ?? '', labels: n.metadata?.labels ?? {} })),
    workloads,
  };
}

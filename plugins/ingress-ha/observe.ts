// Reading the ingress layer from the cluster: one list per kind (no request per object), shared by
// nodes list, check and status.
import type { Kube } from '../../shared/kube/client.js';
import { ALL_NAMESPACES } from '../../shared/kube/object.js';
import { CliError, KubeApiError } from '../../shared/errors.js';
import { MANAGED_BY, managerName } from '../../shared/kube/ownership.js';
import { VIEW_METADATA, type Fields } from '../../shared/kube/lean.js';
import { mapBounded } from '../../shared/bounded.js';
import { INGRESS_LABEL, INGRESS_SELECTOR, controllerName, selectorString } from './options.js';
import { hasIngressTaint, isIngressNode, nameOf } from './observed.js';
import type { DaemonSet, Node, Pod, PodDisruptionBudget, Service } from '../../shared/kube/types.js';

export interface Layer {
  namespace: string;
  nodes: Node[];
  daemonSet?: DaemonSet | undefined;
  controllerPods: Pod[];
  pdbs: PodDisruptionBudget[];
  services: Service[];
}

/** The controller DaemonSet among a namespace's: the one named, else ours, else one pinned to ingress nodes. */
export function pickDaemonSet(all: DaemonSet[], plugin: string, name?: string): DaemonSet | undefined {
  if (name) return all.find((d) => nameOf(d) === name);
  const ours = all.filter((d) => d.metadata?.labels?.[MANAGED_BY] === managerName(plugin));
  if (ours.length > 1)
    throw new CliError(
      `${ours.length} ingress controllers in namespace "${ours[0].metadata?.namespace}" (${ours.map(nameOf).join(', ')}); name one with --name`,
    );
  return ours[0] ?? all.find((d) => d.spec?.template?.spec?.nodeSelector?.[INGRESS_LABEL] !== undefined);
}

/** Pods of a DaemonSet, by its selector (one list). */
export async function podsOf(kube: Kube, ds: DaemonSet | undefined): Promise<Pod[]> {
  const sel = ds?.spec?.selector?.matchLabels;
  if (!ds || !sel || Object.keys(sel).length === 0) return [];
  return kube.list<Pod>('v1', 'Pod', { namespace: ds.metadata?.namespace, labelSelector: selectorString(sel) });
}

/** Nodes, the controller and what is in front of it, in one namespace: five lists, run together. */
export async function readLayer(kube: Kube, namespace: string, plugin: string, name?: string, purpose = 'read'): Promise<Layer> {
  const [found, nodes, daemonSets, pdbs, services] = await Promise.all([
    // Lists in a namespace that does not exist come back empty: an audit of them would only FAIL.
    // Without the right to read namespaces, the lists alone decide.
    kube.find({ apiVersion: 'v1', kind: 'Namespace', name: namespace }).catch((err: unknown) => {
      if (err instanceof KubeApiError && err.status === 403) return {};
      throw err;
    }),
    kube.list<Node>('v1', 'Node'),
    kube.list<DaemonSet>('apps/v1', 'DaemonSet', { namespace }),
    kube.list<PodDisruptionBudget>('policy/v1', 'PodDisruptionBudget', { namespace }),
    kube.list<Service>('v1', 'Service', { namespace }),
  ]);
  if (!found)
    throw new CliError(
      `could not ${purpose} the ingress layer in namespace "${namespace}": namespace not found (context "${kube.config.contextName}"); choose the controller's namespace with -n, e.g. -n kube-system`,
    );
  const daemonSet = pickDaemonSet(daemonSets, plugin, name ? controllerName(name) : undefined);
  return { namespace, nodes, daemonSet, controllerPods: await podsOf(kube, daemonSet), pdbs, services };
}

/** What the exclusive-nodes rule reads of the pods on those nodes: the lists keep only this as they are read. */
const POD_FIELDS: Fields = { metadata: VIEW_METADATA, spec: { nodeName: true }, status: { phase: true } };

/**
 * Every pod on the exclusive (tainted) ingress nodes: one field-selected list per such node, a few at a
 * time (thousands of pods are read a page after another, not all at once).
 */
export async function podsOnExclusiveNodes(kube: Kube, nodes: Node[]): Promise<Pod[]> {
  const exclusive = nodes.filter((n) => isIngressNode(n) && hasIngressTaint(n));
  const lists = await mapBounded(exclusive, 4, (n) =>
    kube.list<Pod>('v1', 'Pod', { namespace: ALL_NAMESPACES, fieldSelector: `spec.nodeName=${nameOf(n)}`, fields: POD_FIELDS }),
  );
  return lists.flat();
}

/** Ingress nodes and the controllers we deployed anywhere (for `nodes list`, which needs no -n). */
export async function readIngressNodes(kube: Kube, plugin: string): Promise<{ nodes: Node[]; controllerPods: Pod[] }> {
  const [nodes, daemonSets] = await Promise.all([
    kube.list<Node>('v1', 'Node', { labelSelector: INGRESS_SELECTOR }),
    kube.list<DaemonSet>('apps/v1', 'DaemonSet', { namespace: ALL_NAMESPACES, labelSelector: `${MANAGED_BY}=${managerName(plugin)}` }),
  ]);
  const pods = await Promise.all(daemonSets.map((d) => podsOf(kube, d)));
  return { nodes, controllerPods: pods.flat() };
}

// Pure planners for `nodes add|remove` (label, and with --exclusive taint) and the rows of `nodes list`.
import type { Change } from '../../shared/kube/plan.js';
import { INGRESS_LABEL, INGRESS_LABEL_VALUE, INGRESS_TAINT } from './options.js';
import { hasIngressTaint, isIngressNode, isReady, nameOf, restarts, zoneOf } from './observed.js';
import type { Node, Pod, Taint } from '../../shared/kube/types.js';

export interface NodesPlan {
  changes: Change[];
  /** Nodes already as asked: said, not written. */
  unchanged: string[];
}

const ref = (name: string) => ({ apiVersion: 'v1', kind: 'Node', name });

/** A merge patch replaces the whole taints list, so it carries the resourceVersion it was computed from. */
function taintsPatch(n: Node, taints: Taint[]): Record<string, unknown> {
  return { metadata: { resourceVersion: n.metadata?.resourceVersion }, spec: { taints } };
}

export function planAdd(nodes: Node[], exclusive: boolean): NodesPlan {
  const out: NodesPlan = { changes: [], unchanged: [] };
  for (const n of nodes) {
    const label = !isIngressNode(n);
    const taint = exclusive && !hasIngressTaint(n);
    if (!label && !taint) {
      out.unchanged.push(`node/${nameOf(n)} unchanged (already an ingress node${hasIngressTaint(n) ? ', exclusive' : ''})`);
      continue;
    }
    const patch: Record<string, unknown> = taint ? taintsPatch(n, [...(n.spec?.taints ?? []), { ...INGRESS_TAINT }]) : {};
    if (label) patch['metadata'] = { ...(patch['metadata'] as object), labels: { [INGRESS_LABEL]: INGRESS_LABEL_VALUE } };
    const verb = label && taint ? 'labeled and tainted' : label ? 'labeled' : 'tainted';
    out.changes.push({ action: 'patch', ref: ref(nameOf(n)), patch, verb, undo: `kubectl ingress-ha nodes remove ${nameOf(n)}` });
  }
  return out;
}

export function planRemove(nodes: Node[]): NodesPlan {
  const out: NodesPlan = { changes: [], unchanged: [] };
  for (const n of nodes) {
    const label = isIngressNode(n) || n.metadata?.labels?.[INGRESS_LABEL] !== undefined;
    const taint = hasIngressTaint(n);
    if (!label && !taint) {
      out.unchanged.push(`node/${nameOf(n)} unchanged (not an ingress node)`);
      continue;
    }
    const kept = (n.spec?.taints ?? []).filter((t) => !(t.key === INGRESS_TAINT.key && t.effect === INGRESS_TAINT.effect));
    const patch: Record<string, unknown> = taint ? taintsPatch(n, kept) : {};
    if (label) patch['metadata'] = { ...(patch['metadata'] as object), labels: { [INGRESS_LABEL]: null } };
    const verb = label && taint ? 'unlabeled and untainted' : label ? 'unlabeled' : 'untainted';
    out.changes.push({ action: 'patch', ref: ref(nameOf(n)), patch, verb, undo: `kubectl ingress-ha nodes add ${nameOf(n)}${taint ? ' --exclusive' : ''}` });
  }
  return out;
}

export interface NodeRow {
  node: string;
  zone: string;
  ready: boolean;
  exclusive: boolean;
  /** The controller pod on the node ("" when none), its readiness and restarts. */
  pod: string;
  podNamespace: string;
  podReady: boolean;
  restarts: number;
}

/** One row per ingress node (sorted by zone, then name), with the controller pod running there. */
export function nodeRows(nodes: Node[], controllerPods: Pod[]): NodeRow[] {
  return nodes
    .filter(isIngressNode)
    .map((n) => {
      const p = controllerPods.find((x) => x.spec?.nodeName === nameOf(n) && !x.metadata?.deletionTimestamp);
      return {
        node: nameOf(n),
        zone: zoneOf(n) ?? '',
        ready: isReady(n),
        exclusive: hasIngressTaint(n),
        pod: p ? nameOf(p) : '',
        podNamespace: p?.metadata?.namespace ?? '',
        podReady: p ? isReady(p) : false,
        restarts: p ? restarts(p) : 0,
      };
    })
    .sort((a, b) => a.zone.localeCompare(b.zone) || a.node.localeCompare(b.node));
}

/** Two worker nodes to suggest labelling, from different zones when there are several. */
export function suggestNodes(nodes: Node[]): string[] {
  const workers = nodes.filter(
    (n) => !Object.keys(n.metadata?.labels ?? {}).some((l) => l === 'node-role.kubernetes.io/control-plane' || l === 'node-role.kubernetes.io/master'),
  );
  const picked: Node[] = [];
  for (const n of [...workers].sort((a, b) => nameOf(a).localeCompare(nameOf(b)))) {
    if (picked.length === 2) break;
    if (picked.length === 0 || zoneOf(n) !== zoneOf(picked[0]) || workers.every((w) => zoneOf(w) === zoneOf(picked[0]))) picked.push(n);
  }
  return picked.map(nameOf);
}

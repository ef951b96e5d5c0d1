// `check` as a pure function: observed nodes, pods, DaemonSet, PDB and Service in, one verdict per rule
// out (PASS, WARN or FAIL), each with the reason and, when not PASS, the fix.
import { ExitCode } from '../../shared/exit-codes.js';
import { INGRESS_SELECTOR, INGRESS_TAINT } from './options.js';
import { findService, hasIngressTaint, isControlPlane, isDaemonPod, isIngressNode, isReady, nameOf, selects, zoneOf } from './observed.js';
import { LEGACY_NODE_SELECTION_ANNOTATIONS, NODE_SELECTION_ANNOTATIONS } from './service.js';
import { counted } from '../../shared/output/plural.js';
import type { DaemonSet, Node, Pod, PodDisruptionBudget, Service } from '../../shared/kube/types.js';

export type Status = 'PASS' | 'WARN' | 'FAIL';

export interface Verdict {
  rule: string;
  status: Status;
  reason: string;
  fix: string;
}

export interface AuditInput {
  namespace: string;
  /** Every node of the cluster. */
  nodes: Node[];
  /** The controller DaemonSet, if found. */
  daemonSet?: DaemonSet | undefined;
  /** The controller's pods (selected by the DaemonSet's selector), wherever they run. */
  controllerPods: Pod[];
  /** Every pod on the ingress nodes (for the exclusive-nodes rule). */
  podsOnIngressNodes: Pod[];
  /** PodDisruptionBudgets in the namespace. */
  pdbs: PodDisruptionBudget[];
  /** Services in the namespace. */
  services: Service[];
}

/** What each rule checks, for --help and the README. */
export const RULES: Record<string, string> = {
  'ingress-nodes': 'at least 2 nodes labelled node-role.kubernetes.io/ingress=true',
  'ingress-nodes-ready': 'every ingress node is Ready and schedulable',
  'zone-spread': 'ingress nodes span at least 2 zones when the cluster has several',
  'control-plane': 'no ingress node is a control-plane node',
  daemonset: 'the controller DaemonSet exists and is pinned to ingress nodes',
  probes: 'the controller has liveness and readiness probes',
  'pods-ready': 'one Ready controller pod on every ingress node',
  'pods-placement': 'no controller pod on a node without the ingress label',
  pdb: 'a PodDisruptionBudget with a whole-number minAvailable covers the controller',
  'service-type': 'a LoadBalancer Service selects the controller pods',
  'service-policy': 'the Service has externalTrafficPolicy Local',
  'service-node-selection': "the cloud's node-selection annotation matches the ingress label",
  'exclusive-nodes': 'tainted (exclusive) ingress nodes run no ordinary workloads',
};

const pass = (rule: string, reason: string): Verdict => ({ rule, status: 'PASS', reason, fix: '' });
const warn = (rule: string, reason: string, fix: string): Verdict => ({ rule, status: 'WARN', reason, fix });
const fail = (rule: string, reason: string, fix: string): Verdict => ({ rule, status: 'FAIL', reason, fix });
const list = (names: string[], max = 3) => (names.length > max ? `${names.slice(0, max).join(', ')} and ${names.length - max} more` : names.join(', '));

function nodeRules(nodes: Node[]): Verdict[] {
  const ingress = nodes.filter(isIngressNode);
  const names = ingress.map(nameOf);
  const out: Verdict[] = [];
  const addFix = `kubectl ingress-ha nodes add <node>...`;
  if (ingress.length === 0) out.push(fail('ingress-nodes', `no node is labelled ${INGRESS_SELECTOR}`, addFix));
  else if (ingress.length === 1)
    out.push(fail('ingress-nodes', `only ${names[0]} is an ingress node: a single point of failure`, `${addFix} (one more at least)`));
  else out.push(pass('ingress-nodes', `${ingress.length} ingress nodes: ${list(names)}`));

  const down = ingress.filter((n) => !isReady(n) || n.spec?.unschedulable).map(nameOf);
  if (ingress.length === 0) out.push(warn('ingress-nodes-ready', 'no ingress nodes to check', addFix));
  else if (down.length)
    out.push(
      fail(
        'ingress-nodes-ready',
        `not Ready or cordoned: ${list(down)}`,
        `bring the node back (kubectl describe node ${down[0]}; kubectl uncordon), or label another node`,
      ),
    );
  else out.push(pass('ingress-nodes-ready', 'all ingress nodes are Ready and schedulable'));

  const clusterZones = new Set(nodes.map(zoneOf).filter((z): z is string => Boolean(z)));
  const ingressZones = new Set(ingress.map(zoneOf).filter((z): z is string => Boolean(z)));
  if (clusterZones.size < 2)
    out.push(pass('zone-spread', clusterZones.size ? `the cluster has one zone (${[...clusterZones][0]})` : 'the nodes carry no zone label'));
  else if (ingressZones.size >= 2) out.push(pass('zone-spread', `ingress nodes in ${ingressZones.size} zones: ${[...ingressZones].sort().join(', ')}`));
  else {
    const others = [...clusterZones].filter((z) => !ingressZones.has(z)).sort();
    const where =
      ingress.length === 0
        ? 'there are no ingress nodes'
        : ingressZones.size
          ? `ingress nodes are all in zone ${[...ingressZones][0]}`
          : 'ingress nodes carry no zone label';
    out.push(
      fail(
        'zone-spread',
        `${where} while the cluster spans ${clusterZones.size} zones`,
        `label nodes in ${others.length > 1 ? 'two of ' : ''}${others.join(', ')}: ${addFix}`,
      ),
    );
  }

  const cp = ingress.filter(isControlPlane).map(nameOf);
  if (cp.length)
    out.push(
      warn(
        'control-plane',
        `control-plane nodes carry ingress traffic: ${list(cp)}`,
        `kubectl ingress-ha nodes remove ${cp.join(' ')} (after labelling worker nodes)`,
      ),
    );
  else out.push(pass('control-plane', 'no ingress node is a control-plane node'));
  return out;
}

function workloadRules(i: AuditInput, ingress: Node[]): Verdict[] {
  const ds = i.daemonSet;
  const deployFix = `kubectl ingress-ha deploy -n ${i.namespace}`;
  if (!ds) {
    const missing = `no controller DaemonSet in namespace "${i.namespace}"`;
    return [
      fail('daemonset', missing, deployFix),
      fail('probes', missing, deployFix),
      fail('pods-ready', missing, deployFix),
      pass('pods-placement', 'no controller pods'),
    ];
  }
  const out: Verdict[] = [];
  const dsName = `daemonset.apps/${nameOf(ds)}`;
  const podSpec = ds.spec?.template?.spec;
  if (podSpec?.nodeSelector?.[INGRESS_TAINT.key] !== INGRESS_TAINT.value)
    out.push(fail('daemonset', `${dsName} has no nodeSelector ${INGRESS_SELECTOR}: its pods may run on any node`, deployFix));
  else out.push(pass('daemonset', `${dsName} is pinned to ingress nodes`));

  const unprobed = (podSpec?.containers ?? [])
    .filter((c) => !c.livenessProbe || !c.readinessProbe)
    .map((c) => `${c.name} (${[!c.livenessProbe && 'liveness', !c.readinessProbe && 'readiness'].filter(Boolean).join(', ')})`);
  if (unprobed.length) out.push(fail('probes', `${dsName} lacks probes: ${unprobed.join('; ')}`, deployFix));
  else out.push(pass('probes', `${dsName} has liveness and readiness probes`));

  const ingressNames = new Set(ingress.map(nameOf));
  const readyOn = new Set(i.controllerPods.filter((p) => isReady(p) && !p.metadata?.deletionTimestamp).map((p) => p.spec?.nodeName ?? ''));
  const without = [...ingressNames].filter((n) => !readyOn.has(n)).sort();
  if (ingressNames.size === 0) out.push(fail('pods-ready', 'no ingress nodes, so no controller pods', 'kubectl ingress-ha nodes add <node>...'));
  else if (without.length)
    out.push(
      fail(
        'pods-ready',
        `no Ready controller pod on ${list(without)}`,
        `kubectl -n ${i.namespace} get pods -o wide -l ${Object.entries(ds.spec?.selector?.matchLabels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}; kubectl describe node ${without[0]}`,
      ),
    );
  else out.push(pass('pods-ready', `a Ready controller pod on each of the ${ingressNames.size} ingress nodes`));

  // A pod being deleted (its node just lost the label) is on its way out.
  const stray = i.controllerPods
    .filter((p) => p.spec?.nodeName && !ingressNames.has(p.spec.nodeName) && !p.metadata?.deletionTimestamp)
    .map((p) => `${nameOf(p)} on ${p.spec?.nodeName}`);
  if (stray.length)
    out.push(
      fail(
        'pods-placement',
        `controller pods off the ingress nodes: ${list(stray)}`,
        `${deployFix} (pins the DaemonSet), or label those nodes with kubectl ingress-ha nodes add`,
      ),
    );
  else out.push(pass('pods-placement', 'controller pods run only on ingress nodes'));
  return out;
}

function pdbRule(i: AuditInput, ingressCount: number): Verdict {
  const podLabels = i.daemonSet?.spec?.template?.metadata?.labels;
  const pdb = i.pdbs.find((p) => podLabels && selects(p.spec?.selector?.matchLabels, podLabels));
  const fix = `kubectl ingress-ha deploy -n ${i.namespace}`;
  if (!pdb) return warn('pdb', 'no PodDisruptionBudget covers the controller pods: an eviction may take them all at once', fix);
  const name = `poddisruptionbudget.policy/${nameOf(pdb)}`;
  const min = pdb.spec?.minAvailable;
  if (typeof min !== 'number') {
    return warn(
      'pdb',
      `${name} uses ${min === undefined ? 'maxUnavailable' : `minAvailable ${min}`}, which the disruption controller cannot compute for DaemonSet pods`,
      `${fix} (sets a whole-number minAvailable)`,
    );
  }
  if (ingressCount > 0 && min >= ingressCount)
    return warn(
      'pdb',
      `${name} needs ${min} of ${ingressCount} controller pods available: no node can be drained`,
      `${fix} (sets minAvailable to one less than the ingress nodes)`,
    );
  return pass('pdb', `${name} keeps ${counted(min, 'controller pod')} available`);
}

function serviceRules(i: AuditInput): Verdict[] {
  const podLabels = i.daemonSet?.spec?.template?.metadata?.labels;
  const svc = podLabels ? findService(i.services, podLabels) : undefined;
  const fix = `kubectl ingress-ha deploy -n ${i.namespace}`;
  if (!svc) {
    const reason = `no Service in namespace "${i.namespace}" selects the controller pods`;
    return [fail('service-type', reason, fix), fail('service-policy', reason, fix), fail('service-node-selection', reason, fix)];
  }
  const name = `service/${nameOf(svc)}`;
  const out: Verdict[] = [];
  const patch = (p: string) => `kubectl -n ${i.namespace} patch service ${nameOf(svc)} -p '${p}' (or ${fix})`;
  if (svc.spec?.type !== 'LoadBalancer')
    out.push(fail('service-type', `${name} is of type ${svc.spec?.type ?? 'ClusterIP'}, not LoadBalancer`, patch('{"spec":{"type":"LoadBalancer"}}')));
  else out.push(pass('service-type', `${name} is a LoadBalancer`));
  if (svc.spec?.externalTrafficPolicy !== 'Local') {
    out.push(
      fail(
        'service-policy',
        `${name} has externalTrafficPolicy ${svc.spec?.externalTrafficPolicy ?? 'Cluster'}: traffic hops through other nodes and client addresses are lost`,
        patch('{"spec":{"externalTrafficPolicy":"Local"}}'),
      ),
    );
  } else out.push(pass('service-policy', `${name} has externalTrafficPolicy Local`));

  const annotations = svc.metadata?.annotations ?? {};
  const keys = [...Object.values(NODE_SELECTION_ANNOTATIONS), ...LEGACY_NODE_SELECTION_ANNOTATIONS].filter((k) => annotations[k] !== undefined);
  const wrong = keys.filter((k) => annotations[k] !== INGRESS_SELECTOR);
  if (wrong.length) {
    out.push(
      fail(
        'service-node-selection',
        `${name} attaches nodes by ${wrong.map((k) => `${k}="${annotations[k]}"`).join(', ')}, not ${INGRESS_SELECTOR}`,
        `kubectl -n ${i.namespace} annotate service ${nameOf(svc)} --overwrite ${wrong[0]}=${INGRESS_SELECTOR}`,
      ),
    );
  } else if (keys.length) out.push(pass('service-node-selection', `${name} attaches only ingress nodes (${keys[0]})`));
  else {
    out.push(
      warn(
        'service-node-selection',
        `${name} has no node-selection annotation: the load balancer attaches every node (only Alibaba and AWS can select by label)`,
        `on Alibaba or AWS: kubectl ingress-ha deploy -n ${i.namespace} --cloud alibaba|aws`,
      ),
    );
  }
  return out;
}

function exclusiveRule(i: AuditInput, ingress: Node[]): Verdict {
  const exclusive = new Set(ingress.filter(hasIngressTaint).map(nameOf));
  if (exclusive.size === 0) return pass('exclusive-nodes', 'ingress nodes are shared with other workloads (not --exclusive)');
  const controller = new Set(i.controllerPods.map((p) => p.metadata?.uid ?? nameOf(p)));
  const ordinary = i.podsOnIngressNodes.filter(
    (p) =>
      exclusive.has(p.spec?.nodeName ?? '') &&
      !controller.has(p.metadata?.uid ?? nameOf(p)) &&
      !isDaemonPod(p) &&
      !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''),
  );
  if (ordinary.length) {
    const names = ordinary.map((p) => `${p.metadata?.namespace}/${nameOf(p)} on ${p.spec?.nodeName}`);
    return warn(
      'exclusive-nodes',
      `ordinary pods on exclusive ingress nodes: ${list(names)}`,
      `the taint keeps new pods off but does not evict running ones: kubectl -n ${ordinary[0].metadata?.namespace} delete pod ${nameOf(ordinary[0])} (its controller reschedules it elsewhere)`,
    );
  }
  return pass(
    'exclusive-nodes',
    `${counted(exclusive.size, 'exclusive ingress node')} ${exclusive.size === 1 ? 'runs' : 'run'} only the controller and node agents`,
  );
}

/** Every rule, in the order of RULES. */
export function audit(i: AuditInput): Verdict[] {
  const ingress = i.nodes.filter(isIngressNode);
  const all = [...nodeRules(i.nodes), ...workloadRules(i, ingress), pdbRule(i, ingress.length), ...serviceRules(i), exclusiveRule(i, ingress)];
  const order = Object.keys(RULES);
  return all.sort((a, b) => order.indexOf(a.rule) - order.indexOf(b.rule));
}

/** Exit code of `check`: 0 nothing failed, 3 a FAIL (with --strict a WARN too). */

export function checkExitCode(verdicts: Verdict[], strict: boolean): number {
  return verdicts.some((v) => v.status === 'FAIL' || (strict && v.status === 'WARN')) ? ExitCode.gateFailed : ExitCode.ok;
}

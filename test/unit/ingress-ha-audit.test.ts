// `kubectl ingress-ha check` rules as a table: a healthy layer passes every rule; each case breaks one
// thing and expects exactly that rule's verdict to change.
import assert from 'node:assert/strict';
import { audit, checkExitCode, RULES, type AuditInput, type Status } from '../../plugins/ingress-ha/audit.js';
import { buildManifests } from '../../plugins/ingress-ha/manifests.js';
import { ingressOptions } from '../../plugins/ingress-ha/options.js';
import type { DaemonSet, Node, Pod, PodDisruptionBudget, Service } from '../../shared/kube/types.js';

const ready = { conditions: [{ type: 'Ready', status: 'True' }] };
const node = (name: string, zone: string, ingress: boolean, extra: Partial<Node> = {}): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'topology.kubernetes.io/zone': zone, ...(ingress ? { 'node-role.kubernetes.io/ingress': 'true' } : {}) } },
  status: ready,
  ...extra,
});

const built = buildManifests(
  ingressOptions({ namespace: 'kube-system', controller: 'ingress-nginx', cloud: 'alibaba', plugin: 'ingress-ha', exclusive: true }),
);
const of = <T>(kind: string) => structuredClone(built.objects.find((o) => o.kind === kind)) as T;
const podLabels = of<DaemonSet>('DaemonSet').spec?.template?.metadata?.labels ?? {};
const pod = (name: string, nodeName: string, extra: Partial<Pod> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'kube-system',
    uid: `uid-${name}`,
    labels: podLabels,
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ingress-nginx-controller', uid: 'ds' }],
  },
  spec: { nodeName, containers: [{ name: 'controller' }] },
  status: { phase: 'Running', ...ready },
  ...extra,
});

function healthy(): AuditInput {
  const taint = { spec: { taints: [{ key: 'node-role.kubernetes.io/ingress', value: 'true', effect: 'NoSchedule' }] } };
  return {
    namespace: 'kube-system',
    nodes: [node('a1', 'zone-a', true, taint), node('b1', 'zone-b', true, taint), node('a2', 'zone-a', false), node('b2', 'zone-b', false)],
    daemonSet: of<DaemonSet>('DaemonSet'),
    controllerPods: [pod('c-a1', 'a1'), pod('c-b1', 'b1')],
    podsOnIngressNodes: [
      pod('c-a1', 'a1'),
      pod('c-b1', 'b1'),
      {
        ...pod('kube-proxy-x', 'a1'),
        metadata: {
          name: 'kube-proxy-x',
          namespace: 'kube-system',
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kube-proxy', uid: 'kp' }],
        },
      },
    ],
    pdbs: [of<PodDisruptionBudget>('PodDisruptionBudget')],
    services: [of<Service>('Service')],
  };
}

const verdicts = (i: AuditInput) => Object.fromEntries(audit(i).map((v) => [v.rule, v]));

describe('ingress-ha check rules', () => {
  it('a healthy layer passes every rule, in the documented order, with no fix to give', () => {
    const v = audit(healthy());
    assert.deepEqual(
      v.map((x) => x.rule),
      Object.keys(RULES),
    );
    for (const x of v) assert.equal(x.status, 'PASS', `${x.rule}: ${x.reason}`);
    assert.ok(v.every((x) => x.fix === ''));
    assert.equal(checkExitCode(v, true), 0);
  });

  const cases: [string, (i: AuditInput) => void, string, Status, RegExp][] = [
    [
      'no ingress nodes',
      (i) => i.nodes.forEach((n) => delete n.metadata!.labels!['node-role.kubernetes.io/ingress']),
      'ingress-nodes',
      'FAIL',
      /no node is labelled node-role.kubernetes.io\/ingress=true/,
    ],
    [
      'one ingress node',
      (i) => delete i.nodes[1].metadata!.labels!['node-role.kubernetes.io/ingress'],
      'ingress-nodes',
      'FAIL',
      /only a1 is an ingress node: a single point of failure/,
    ],
    [
      'an ingress node NotReady',
      (i) => (i.nodes[1].status = { conditions: [{ type: 'Ready', status: 'False' }] }),
      'ingress-nodes-ready',
      'FAIL',
      /not Ready or cordoned: b1/,
    ],
    ['an ingress node cordoned', (i) => (i.nodes[0].spec = { ...i.nodes[0].spec, unschedulable: true }), 'ingress-nodes-ready', 'FAIL', /cordoned: a1/],
    [
      'ingress nodes in one zone of two',
      (i) => (i.nodes[1].metadata!.labels!['topology.kubernetes.io/zone'] = 'zone-a'),
      'zone-spread',
      'FAIL',
      /ingress nodes are all in zone zone-a while the cluster spans 2 zones/,
    ],
    [
      'a control-plane node carries ingress',
      (i) => (i.nodes[0].metadata!.labels!['node-role.kubernetes.io/control-plane'] = ''),
      'control-plane',
      'WARN',
      /control-plane nodes carry ingress traffic: a1/,
    ],
    ['no DaemonSet', (i) => (i.daemonSet = undefined), 'daemonset', 'FAIL', /no controller DaemonSet in namespace "kube-system"/],
    [
      'DaemonSet not pinned',
      (i) => delete i.daemonSet!.spec!.template!.spec!.nodeSelector,
      'daemonset',
      'FAIL',
      /has no nodeSelector node-role.kubernetes.io\/ingress=true/,
    ],
    [
      'no readiness probe',
      (i) => delete i.daemonSet!.spec!.template!.spec!.containers[0].readinessProbe,
      'probes',
      'FAIL',
      /lacks probes: controller \(readiness\)/,
    ],
    [
      'a controller pod not Ready',
      (i) => (i.controllerPods[1].status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] }),
      'pods-ready',
      'FAIL',
      /no Ready controller pod on b1/,
    ],
    [
      'a controller pod off the ingress nodes',
      (i) => i.controllerPods.push(pod('c-a2', 'a2')),
      'pods-placement',
      'FAIL',
      /controller pods off the ingress nodes: c-a2 on a2/,
    ],
    ['no PDB', (i) => (i.pdbs = []), 'pdb', 'WARN', /no PodDisruptionBudget covers the controller pods/],
    [
      'PDB with maxUnavailable',
      (i) => (i.pdbs[0].spec = { maxUnavailable: 1, selector: i.pdbs[0].spec!.selector! }),
      'pdb',
      'WARN',
      /uses maxUnavailable, which the disruption controller cannot compute/,
    ],
    ['PDB that blocks every drain', (i) => (i.pdbs[0].spec!.minAvailable = 2), 'pdb', 'WARN', /needs 2 of 2 controller pods available: no node can be drained/],
    ['Service not a LoadBalancer', (i) => (i.services[0].spec!.type = 'NodePort'), 'service-type', 'FAIL', /is of type NodePort, not LoadBalancer/],
    ['no Service', (i) => (i.services = []), 'service-type', 'FAIL', /no Service in namespace "kube-system" selects the controller pods/],
    ['Cluster traffic policy', (i) => (i.services[0].spec!.externalTrafficPolicy = 'Cluster'), 'service-policy', 'FAIL', /externalTrafficPolicy Cluster/],
    [
      'annotation with another label',
      (i) => (i.services[0].metadata!.annotations = { 'service.beta.kubernetes.io/alibaba-cloud-loadbalancer-backend-label': 'pool=web' }),
      'service-node-selection',
      'FAIL',
      /alibaba-cloud-loadbalancer-backend-label="pool=web", not node-role/,
    ],
    ['no node-selection annotation', (i) => delete i.services[0].metadata!.annotations, 'service-node-selection', 'WARN', /no node-selection annotation/],
    [
      'ordinary pod on an exclusive node',
      (i) =>
        i.podsOnIngressNodes.push({
          ...pod('web-1', 'b1'),
          metadata: { name: 'web-1', namespace: 'shop', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs' }] },
        }),
      'exclusive-nodes',
      'WARN',
      /ordinary pods on exclusive ingress nodes: shop\/web-1 on b1/,
    ],
  ];
  for (const [what, breakIt, rule, status, reason] of cases) {
    it(`${what}: ${rule} ${status}`, () => {
      const i = healthy();
      breakIt(i);
      const v = verdicts(i);
      assert.equal(v[rule].status, status, v[rule].reason);
      assert.match(v[rule].reason, reason);
      assert.notEqual(v[rule].fix, '', 'a verdict other than PASS says what to do');
      assert.equal(checkExitCode(Object.values(v), false), status === 'FAIL' ? 3 : 0);
      assert.equal(checkExitCode(Object.values(v), true), 3);
    });
  }

  it('no ingress nodes at all: zone-spread says so and names the zones to pick from', () => {
    const i = healthy();
    i.nodes.forEach((n) => delete n.metadata!.labels!['node-role.kubernetes.io/ingress']);
    const v = verdicts(i)['zone-spread'];
    assert.deepEqual(
      [v.status, v.reason, v.fix],
      ['FAIL', 'there are no ingress nodes while the cluster spans 2 zones', 'label nodes in two of zone-a, zone-b: kubectl ingress-ha nodes add <node>...'],
    );
  });

  it('the legacy alicloud- annotation with the right label passes', () => {
    const i = healthy();
    i.services[0].metadata!.annotations = { 'service.beta.kubernetes.io/alicloud-loadbalancer-backend-label': 'node-role.kubernetes.io/ingress=true' };
    assert.equal(verdicts(i)['service-node-selection'].status, 'PASS');
  });

  it('a single-zone cluster passes zone-spread; shared (untainted) ingress nodes pass exclusive-nodes', () => {
    const i = healthy();
    for (const n of i.nodes) {
      n.metadata!.labels!['topology.kubernetes.io/zone'] = 'z';
      delete n.spec;
    }
    i.podsOnIngressNodes.push(pod('web-1', 'a1', { metadata: { name: 'web-1', namespace: 'shop' } }));
    const v = verdicts(i);
    assert.deepEqual([v['zone-spread'].status, v['zone-spread'].reason], ['PASS', 'the cluster has one zone (z)']);
    assert.deepEqual([v['exclusive-nodes'].status, v['exclusive-nodes'].reason], ['PASS', 'ingress nodes are shared with other workloads (not --exclusive)']);
  });
});

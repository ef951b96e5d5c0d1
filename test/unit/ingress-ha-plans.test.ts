// Pure planners behind the ingress-ha commands: node labelling, names and settings deploy derives
// from what it observed, kubectl apply's words, and the adoption's three steps.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../shared/kube/object.js';
import { CliError } from '../../shared/errors.js';
import { planAdd, planRemove, suggestNodes, nodeRows } from '../../plugins/ingress-ha/nodes.js';
import { minAvailableFor, needsToleration, noIngressNodesMessage, outcome, resolveService, withState } from '../../plugins/ingress-ha/deploy.js';
import { planAdoption } from '../../plugins/ingress-ha/adopt.js';
import { buildManifests } from '../../plugins/ingress-ha/manifests.js';
import { ingressOptions } from '../../plugins/ingress-ha/options.js';
import type { Deployment, Node, Pod, Service } from '../../shared/kube/types.js';

const taint = { key: 'node-role.kubernetes.io/ingress', value: 'true', effect: 'NoSchedule' };
const node = (name: string, zone: string, opts: { ingress?: boolean; tainted?: boolean; cp?: boolean; taints?: Node['spec'] } = {}): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name,
    resourceVersion: '7',
    labels: {
      'topology.kubernetes.io/zone': zone,
      ...(opts.ingress ? { 'node-role.kubernetes.io/ingress': 'true' } : {}),
      ...(opts.cp ? { 'node-role.kubernetes.io/control-plane': '' } : {}),
    },
  },
  spec: { taints: [...(opts.taints?.taints ?? []), ...(opts.tainted ? [taint] : [])] },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});

describe('ingress-ha nodes add/remove plans', () => {
  it('labels a plain node; a labelled one is unchanged and said so', () => {
    const p = planAdd([node('a1', 'a'), node('b1', 'b', { ingress: true })], false);
    assert.deepEqual(p.unchanged, ['node/b1 unchanged (already an ingress node)']);
    assert.equal(p.changes.length, 1);
    assert.deepEqual(p.changes[0], {
      action: 'patch',
      ref: { apiVersion: 'v1', kind: 'Node', name: 'a1' },
      patch: { metadata: { labels: { 'node-role.kubernetes.io/ingress': 'true' } } },
      verb: 'labeled',
      undo: 'kubectl ingress-ha nodes remove a1',
    });
  });

  it('--exclusive adds the taint to the ones already there, guarded by the resourceVersion read', () => {
    const other = { key: 'gpu', value: 'yes', effect: 'NoSchedule' };
    const p = planAdd([node('a1', 'a', { ingress: true, taints: { taints: [other] } })], true);
    assert.deepEqual(p.changes[0], {
      action: 'patch',
      ref: { apiVersion: 'v1', kind: 'Node', name: 'a1' },
      patch: { metadata: { resourceVersion: '7' }, spec: { taints: [other, taint] } },
      verb: 'tainted',
      undo: 'kubectl ingress-ha nodes remove a1',
    });
    assert.deepEqual(planAdd([node('a1', 'a', { ingress: true, tainted: true })], true).unchanged, ['node/a1 unchanged (already an ingress node, exclusive)']);
  });

  it('remove takes off the label and only our taint', () => {
    const other = { key: 'gpu', value: 'yes', effect: 'NoSchedule' };
    const p = planRemove([node('a1', 'a', { ingress: true, tainted: true, taints: { taints: [other] } }), node('x', 'a')]);
    assert.deepEqual(p.changes[0].action === 'patch' && p.changes[0].patch, {
      metadata: { resourceVersion: '7', labels: { 'node-role.kubernetes.io/ingress': null } },
      spec: { taints: [other] },
    });
    assert.equal(p.changes[0].action === 'patch' && p.changes[0].verb, 'unlabeled and untainted');
    assert.deepEqual(p.unchanged, ['node/x unchanged (not an ingress node)']);
  });

  it('suggests two workers in different zones, never a control-plane node', () => {
    assert.deepEqual(suggestNodes([node('cp', 'a', { cp: true }), node('a1', 'a'), node('a2', 'a'), node('b1', 'b')]), ['a1', 'b1']);
    assert.deepEqual(suggestNodes([node('a1', 'a'), node('a2', 'a')]), ['a1', 'a2']);
    assert.equal(
      noIngressNodesMessage([node('a1', 'a'), node('b1', 'b')]),
      'no node is labelled node-role.kubernetes.io/ingress=true, so the controller would run nowhere; label two or more first (one per zone): kubectl ingress-ha nodes add a1 b1',
    );
  });

  it('list rows: ingress nodes by zone, with the controller pod on each', () => {
    const pod: Pod = {
      metadata: { name: 'c-1', namespace: 'kube-system' },
      spec: { nodeName: 'b1', containers: [] },
      status: { conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ restartCount: 2 }] },
    };
    assert.deepEqual(nodeRows([node('b1', 'b', { ingress: true }), node('a1', 'a', { ingress: true, tainted: true }), node('x', 'a')], [pod]), [
      { node: 'a1', zone: 'a', ready: true, exclusive: true, pod: '', podNamespace: '', podReady: false, restarts: 0 },
      { node: 'b1', zone: 'b', ready: true, exclusive: false, pod: 'c-1', podNamespace: 'kube-system', podReady: true, restarts: 2 },
    ]);
  });
});

describe('ingress-ha deploy decisions', () => {
  const base = ingressOptions({ namespace: 'kube-system', controller: 'ingress-nginx', cloud: 'alibaba', plugin: 'ingress-ha' });
  const svc = (name: string, selector: Record<string, string>, type = 'LoadBalancer', annotations?: Record<string, string>): Service => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'kube-system', uid: `uid-${name}`, ...(annotations ? { annotations } : {}) },
    spec: { type, selector },
  });
  const old: Deployment = {
    metadata: { name: 'nginx-ingress-controller', namespace: 'kube-system' },
    spec: { template: { metadata: { labels: { app: 'ingress-nginx' } } } },
  };

  it('the Service: the one named, the one in front of the adopted Deployment, ours, or a new one', () => {
    const services = [svc('nginx-ingress-lb', { app: 'ingress-nginx' }), svc('other', { app: 'web' })];
    assert.equal(resolveService(services, base, undefined, 'edge'), 'edge');
    assert.equal((resolveService(services, base, { name: 'nginx-ingress-controller', deployment: old }) as Service).metadata?.name, 'nginx-ingress-lb');
    assert.equal(resolveService(services, base), 'ingress-nginx-controller');
    const ours = svc('edge', {
      'app.kubernetes.io/name': 'ingress-nginx',
      'app.kubernetes.io/instance': 'ingress-nginx',
      'app.kubernetes.io/component': 'controller',
    });
    assert.equal((resolveService([...services, ours], base) as Service).metadata?.name, 'edge');
    assert.throws(
      () => resolveService([services[1]], base, { name: 'nginx-ingress-controller', deployment: old }),
      (e: unknown) =>
        e instanceof CliError && /no Service in namespace "kube-system" selects the pods of deployment "nginx-ingress-controller"/.test(e.message),
    );
    assert.throws(
      () => resolveService(services, base, { name: 'nope' }),
      (e: unknown) => e instanceof CliError && e.message === 'deployment "nope" not found in namespace "kube-system"',
    );
  });

  it('after the switch, a rerun finds the adopted Service by what it recorded', () => {
    const switched = svc('nginx-ingress-lb', { 'app.kubernetes.io/name': 'ingress-nginx' }, 'LoadBalancer', {
      'traffic.kubectl-plugins.io/adopted-from': 'deployment.apps/nginx-ingress-controller',
    });
    assert.equal((resolveService([switched], base, { name: 'nginx-ingress-controller', deployment: old }) as Service).metadata?.name, 'nginx-ingress-lb');
  });

  it('toleration and PDB follow the nodes', () => {
    const nodes = [node('a1', 'a', { ingress: true }), node('b1', 'b', { ingress: true, tainted: true }), node('c1', 'c', { ingress: true })];
    assert.equal(needsToleration(false, nodes), true, 'a tainted ingress node needs it');
    assert.equal(needsToleration(false, [node('a1', 'a', { ingress: true })]), false);
    assert.equal(minAvailableFor(nodes), 2);
    assert.equal(minAvailableFor([node('a1', 'a', { ingress: true })]), 1);
  });

  it("kubectl apply's words from the object before and after", () => {
    const o = (rv: string, data: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', resourceVersion: rv },
      data: { k: data },
    });
    assert.equal(outcome(undefined, o('1', 'a')), 'created');
    assert.equal(outcome(o('1', 'a'), o('1', 'a')), 'unchanged');
    assert.equal(outcome(o('1', 'a'), o('2', 'b')), 'configured');
    assert.equal(outcome(o('1', 'a'), o('1', 'b')), 'configured', 'a server dry run keeps the resourceVersion');
  });

  it('withState keeps our undo annotations on the Service', () => {
    const desired: KubeObject = { kind: 'Service', metadata: { name: 's', annotations: { a: '1' } } };
    const existing = svc('s', {}, 'LoadBalancer', { 'traffic.kubectl-plugins.io/previous-selector': '{"app":"x"}', other: 'kept by its owner' });
    assert.deepEqual(withState(desired, existing).metadata?.annotations, { a: '1', 'traffic.kubectl-plugins.io/previous-selector': '{"app":"x"}' });
    assert.equal(withState(desired, undefined), desired);
  });

  it('adoption: controller first, then the same Service with the old selector recorded, then the Deployment', () => {
    const existing = svc('nginx-ingress-lb', { app: 'ingress-nginx' });
    const { objects } = buildManifests({ ...base, serviceName: 'nginx-ingress-lb' });
    const p = planAdoption(objects, existing, 'nginx-ingress-controller', 'kube-system');
    assert.equal(p.controller.length, objects.length - 1);
    assert.ok(!p.controller.some((o) => o.kind === 'Service'));
    assert.equal(p.service.metadata?.name, 'nginx-ingress-lb');
    assert.deepEqual(p.service.metadata?.annotations, {
      'service.beta.kubernetes.io/alibaba-cloud-loadbalancer-backend-label': 'node-role.kubernetes.io/ingress=true',
      'traffic.kubectl-plugins.io/adopted-from': 'deployment.apps/nginx-ingress-controller',
      'traffic.kubectl-plugins.io/previous-selector': '{"app":"ingress-nginx"}',
    });
    assert.deepEqual(p.remove, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nginx-ingress-controller', namespace: 'kube-system' });
    // The selector switch keeps the old traffic policy; Local comes after, once the new pods are the endpoints.
    const policy = (o: KubeObject | undefined) => (o as { spec?: { externalTrafficPolicy?: string } } | undefined)?.spec?.externalTrafficPolicy;
    assert.deepEqual([policy(p.switchFirst), policy(p.service)], ['Cluster', 'Local']);
    assert.equal(
      planAdoption(objects, { ...existing, spec: { ...existing.spec, externalTrafficPolicy: 'Local' } }, 'nginx-ingress-controller', 'kube-system').switchFirst,
      undefined,
      'already Local: one write',
    );
    assert.equal(
      p.undoService,
      `kubectl -n kube-system patch service nginx-ingress-lb --type json -p '[{"op":"replace","path":"/spec/selector","value":{"app":"ingress-nginx"}}]'`,
    );
    // Rerun after the switch: the selector recorded first is kept, not the new one.
    const again = planAdoption(
      objects,
      { ...existing, metadata: { ...existing.metadata, annotations: p.service.metadata?.annotations ?? {} }, spec: { selector: { new: 'x' } } },
      'nginx-ingress-controller',
      'kube-system',
    );
    assert.equal(again.service.metadata?.annotations?.['traffic.kubectl-plugins.io/previous-selector'], '{"app":"ingress-nginx"}');
  });
});

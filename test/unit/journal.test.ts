// The pure parts of crash safety and no-op runs: the command lines a half-done change prints, the
// canary baseline a journal keeps (and abort plans from), when a server-side apply would change
// nothing, and a rollback with nothing to roll back.
import assert from 'node:assert/strict';
import { connectionArgv } from '../../shared/cli/flags.js';
import { needsJournal } from '../../shared/kube/carry-out.js';
import { commandLine, journalRef, pendingMessage, sibling } from '../../shared/kube/journal.js';
import { applyChanges, holds, ownsMore } from '../../shared/kube/applied.js';
import { canaryBaseline, withBaseline } from '../../plugins/canary/scale.js';
import { planAbort, readPrevious } from '../../plugins/canary/plan-set.js';
import { scaleSteps } from '../../plugins/canary/scale-steps.js';
import type { Topology } from '../../plugins/canary/topology.js';
import { planOperation } from '../../plugins/bluegreen/operations.js';
import { providerNamed } from '../../plugins/bluegreen/detect.js';

describe('journal command lines', () => {
  it('the finish command is the one typed, every flag kept and quoted for a shell', () => {
    const argv = ['deploy', '--adopt', 'nginx-ingress-controller', '--cloud', 'alibaba', '-n', 'kube-system', '--image', 'a b'];
    assert.equal(commandLine('ingress-ha', argv), "kubectl ingress-ha deploy --adopt nginx-ingress-controller --cloud alibaba -n kube-system --image 'a b'");
  });

  it('the undo command reaches the same cluster and namespace: the connection flags as typed, in both forms', () => {
    const argv = ['set', 'new-nginx', '50', '--total', '10', '-n', 'shop', '--context=prod', '--kubeconfig', '/k/c', '--insecure-skip-tls-verify', '-v'];
    assert.deepEqual(connectionArgv(argv), ['-n', 'shop', '--context=prod', '--kubeconfig', '/k/c', '--insecure-skip-tls-verify']);
    assert.equal(
      sibling('canary', argv, ['abort', 'new-nginx']),
      'kubectl canary abort new-nginx -n shop --context=prod --kubeconfig /k/c --insecure-skip-tls-verify',
    );
  });

  it('names the journal after the traffic target, and says how to finish or undo a pending one', () => {
    const ref = journalRef('ingress-ha', 'kube-system', 'Service', 'nginx-ingress-lb');
    assert.deepEqual(ref, { namespace: 'kube-system', name: 'kubectl-ingress-ha.journal.service.nginx-ingress-lb' });
    const msg = pendingMessage(
      {
        intent: '{}',
        command: 'kubectl canary set a 50',
        undo: 'kubectl canary abort a',
        baseline: {},
        steps: [{ changes: [] }, { changes: [] }],
        done: 1,
        startedAt: '',
      },
      ref,
    );
    assert.equal(
      msg,
      "a change is half done here (1 of 2 steps of 'kubectl canary set a 50', recorded in configmap/kubectl-ingress-ha.journal.service.nginx-ingress-lb); finish it: kubectl canary set a 50; or undo it: kubectl canary abort a",
    );
    assert.equal(needsJournal([{ changes: [] }]), false, 'one write is done or not: no journal');
  });
});

describe('the canary baseline a journal keeps', () => {
  const deploy = (name: string, replicas: number, annotations: Record<string, string> = {}) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'web', resourceVersion: '7', annotations },
    spec: { replicas },
  });
  const topo = (canary: number, stable: number, annotations: Record<string, string> = {}): Topology => ({
    namespace: 'web',
    service: { metadata: { name: 'nginx' } },
    canary: deploy('new-nginx', canary, annotations),
    stable: deploy('old-nginx', stable),
    autoscalers: [],
    virtualServices: [],
    others: [],
  });

  it('is the recorded baseline when there is one, else the replicas now', () => {
    assert.deepEqual(canaryBaseline(topo(0, 4)), { replicas: { 'old-nginx': 4, 'new-nginx': 0 } });
    const recorded = topo(3, 4, { 'traffic.kubectl-plugins.io/previous-replicas': '{"old-nginx":4,"new-nginx":0}' });
    assert.deepEqual(canaryBaseline(recorded), { replicas: { 'old-nginx': 4, 'new-nginx': 0 } });
  });

  it('abort after an interrupted promote plans from it, not from the half-changed replicas', () => {
    // promote of 4+0 stopped after the canary went to 4 and before the baseline annotation was read back.
    const half = withBaseline(topo(4, 4), { replicas: { 'old-nginx': 4, 'new-nginx': 0 } });
    assert.deepEqual(readPrevious(half.canary), { 'old-nginx': 4, 'new-nginx': 0 });
    const plan = planAbort(half);
    assert.deepEqual([plan.canary, plan.stable], [0, 4], 'not 8: the capacity from before');
    assert.deepEqual(
      scaleSteps(plan.steps, false).map((s) => s.changes.map((c) => (c.action === 'patch' ? c.patch : c.action))),
      [[{ metadata: { resourceVersion: '7', annotations: { 'traffic.kubectl-plugins.io/previous-replicas': null } }, spec: { replicas: 0 } }]],
    );
  });

  it('a scale-up is waited for before the scale-down after it', () => {
    const plan = planAbort(topo(3, 1, { 'traffic.kubectl-plugins.io/previous-replicas': '{"old-nginx":4,"new-nginx":0}' }));
    assert.deepEqual(
      scaleSteps(plan.steps, false).map((s) => s.wait ?? ''),
      ['ready:old-nginx:4:scale-down', ''],
    );
  });
});

describe('a server-side apply that would change nothing', () => {
  const want = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'lb', namespace: 'ns', annotations: { a: '1' } },
    spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80 }] },
  };
  const live = (fields: unknown, extra: Record<string, unknown> = {}) => ({
    ...want,
    metadata: {
      ...want.metadata,
      uid: 'u',
      resourceVersion: '9',
      managedFields: [{ manager: 'kubectl-ingress_ha', operation: 'Apply', fieldsV1: fields }],
    },
    spec: { ...want.spec, clusterIP: '10.0.0.1', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 80 }], ...extra },
  });
  const ours = {
    'f:metadata': { 'f:annotations': { 'f:a': {} } },
    'f:spec': { 'f:type': {}, 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:name': {}, 'f:port': {} } } },
  };

  it('is not sent when every field is there with its value and we own nothing more', () => {
    assert.equal(applyChanges(want, live(ours), 'kubectl-ingress_ha'), false);
  });

  it('is sent when a value differs, a field we own is no longer wanted, or we never applied it', () => {
    assert.equal(applyChanges({ ...want, spec: { ...want.spec, type: 'NodePort' } }, live(ours), 'kubectl-ingress_ha'), true);
    const dropped = { ...want, metadata: { ...want.metadata, annotations: {} } };
    assert.equal(holds(dropped, live(ours)), true);
    assert.equal(ownsMore(ours, dropped, live(ours)), true, 'the apply would remove annotation a');
    assert.equal(applyChanges(dropped, live(ours), 'kubectl-ingress_ha'), true);
    assert.equal(applyChanges(want, live(ours), 'someone-else'), true);
    assert.equal(applyChanges(want, undefined, 'kubectl-ingress_ha'), true);
  });

  it('an empty map or list we send is held by its absence (the server does not keep them)', () => {
    assert.equal(holds({ data: {}, items: [] }, {}), true);
    assert.equal(holds({ data: { a: '1' } }, {}), false);
  });
});

describe('bluegreen rollback with nothing recorded', () => {
  it('changes nothing (already rolled back) instead of asking for a --service it does not have', () => {
    const p = providerNamed('aliyun');
    const slots = [{ host: 'mini-echo.io', path: '/', backends: [{ service: 'old-nginx', percent: 100 }] }];
    const plan = planOperation(p, slots, {}, { kind: 'rollback' }, {}, { what: 'ingress/echo', namespace: 'x', services: [] });
    assert.deepEqual(plan.desired, slots);
    assert.deepEqual(plan.state, {});
  });
});

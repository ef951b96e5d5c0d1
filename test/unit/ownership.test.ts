import assert from 'node:assert/strict';
import { ANNOTATION_PREFIX, isManagedBy, markManaged, readState, stateAnnotations } from '../../shared/kube/ownership.js';

describe('ownership marks', () => {
  it('labels created objects with managed-by kubectl-<plugin>, keeping other labels', () => {
    const o = markManaged({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { app: 'a' } } }, 'ingress-ha');
    assert.deepEqual(o.metadata?.labels, { app: 'a', 'app.kubernetes.io/managed-by': 'kubectl-ingress_ha' });
    assert.equal(isManagedBy(o, 'ingress-ha'), true);
    assert.equal(isManagedBy(o, 'canary'), false);
  });

  it('keeps undo state under one annotation prefix, and removes it with null', () => {
    assert.equal(ANNOTATION_PREFIX, 'traffic.kubectl-plugins.io/');
    assert.deepEqual(stateAnnotations({ 'previous-replicas': '3', weight: null }), {
      metadata: { annotations: { 'traffic.kubectl-plugins.io/previous-replicas': '3', 'traffic.kubectl-plugins.io/weight': null } },
    });
    const obj = { metadata: { annotations: { 'traffic.kubectl-plugins.io/previous-replicas': '3', 'deployment.kubernetes.io/revision': '2' } } };
    assert.deepEqual(readState(obj), { 'previous-replicas': '3' });
  });
});

describe('lease lock timing', () => {
  it('writes MicroTime with six decimals and knows when a lease has expired', async () => {
    const { microTime, leaseExpired } = await import('../../shared/kube/lock.js');
    assert.equal(microTime(new Date('2026-11-22T10:00:00.123Z')), '2026-11-22T10:00:00.123000Z');
    const lease = { spec: { renewTime: '2026-11-22T10:00:00.000000Z', leaseDurationSeconds: 30 } };
    assert.equal(leaseExpired(lease, new Date('2026-11-22T10:00:29Z')), false);
    assert.equal(leaseExpired(lease, new Date('2026-11-22T10:00:30Z')), true);
    assert.equal(leaseExpired({ spec: {} }, new Date()), true);
  });
});

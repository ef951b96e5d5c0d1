import assert from 'node:assert/strict';
import { deploymentRollout, formatDuration, waitFor } from '../../shared/kube/wait.js';
import { plannedObjects, changeName, type Change } from '../../shared/kube/plan.js';
import { TimeoutError } from '../../shared/errors.js';
import type { Clock } from '../../shared/context.js';

function fakeClock(): Clock & { slept: number[] } {
  let t = Date.parse('2026-11-22T00:00:00Z');
  const slept: number[] = [];
  return { now: () => new Date(t), sleep: async (ms) => void (slept.push(ms), (t += ms)), slept };
}

describe('rollout status (kubectl rollout status rules)', () => {
  const dep = (spec: number, status: Record<string, number>, generation = 2, observed = 2) => ({
    metadata: { name: 'web', generation },
    spec: { replicas: spec },
    status: { observedGeneration: observed, ...status },
  });
  const cases: [string, ReturnType<typeof dep>, boolean, string][] = [
    ['spec not observed', dep(3, {}, 3, 2), false, 'waiting for the deployment spec update to be observed'],
    ['updating', dep(3, { replicas: 3, updatedReplicas: 1, availableReplicas: 3 }), false, '1 of 3 new replicas have been updated'],
    ['old pods terminating', dep(3, { replicas: 4, updatedReplicas: 3, availableReplicas: 3 }), false, '1 old replicas are pending termination'],
    ['not yet available', dep(3, { replicas: 3, updatedReplicas: 3, availableReplicas: 2 }), false, '2 of 3 updated replicas are available'],
    ['done', dep(3, { replicas: 3, updatedReplicas: 3, availableReplicas: 3 }), true, '3 of 3 replicas available'],
    ['scaled to zero', dep(0, {}), true, 'scaled to 0'],
    ['scaling to zero, pods still there', dep(0, { replicas: 3, availableReplicas: 3 }), false, '3 replicas are pending termination'],
  ];
  for (const [name, d, done, message] of cases) {
    it(name, () => assert.deepEqual(deploymentRollout(d), { done, message }));
  }
  it('a progress deadline is a failure', () => {
    const d = {
      metadata: { name: 'web', generation: 1 },
      spec: { replicas: 1 },
      status: {
        observedGeneration: 1,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-1" has timed out progressing.' }],
      },
    };
    assert.match(deploymentRollout(d).failed ?? '', /exceeded its progress deadline/);
  });
});

describe('waitFor', () => {
  it('polls until done, reporting each new state once', async () => {
    const clock = fakeClock();
    const states = ['0 of 2', '0 of 2', '1 of 2', '2 of 2'];
    const seen: string[] = [];
    const r = await waitFor('x', async () => ({ done: states[0] === '2 of 2', message: states.shift()! }), {
      timeoutMs: 10_000,
      intervalMs: 500,
      clock,
      onProgress: (m) => seen.push(m),
    });
    assert.equal(r.done, true);
    assert.deepEqual(seen, ['0 of 2', '1 of 2', '2 of 2']);
    assert.deepEqual(clock.slept, [500, 500, 500]);
  });

  it('times out with what it waited for and the last state', async () => {
    const clock = fakeClock();
    await assert.rejects(
      waitFor('deployment.apps/web to roll out', async () => ({ done: false, message: '1 of 3 updated replicas are available' }), {
        timeoutMs: 90_000,
        intervalMs: 1000,
        clock,
      }),
      (e: Error) =>
        e instanceof TimeoutError &&
        e.message ===
          'timed out after 1m30s waiting for deployment.apps/web to roll out: 1 of 3 updated replicas are available; raise --timeout or check the pods (kubectl get pods)',
    );
    assert.equal(formatDuration(500), '500ms');
  });

  it('a check that never answers still ends at the deadline', async () => {
    const t = Date.now();
    await assert.rejects(
      waitFor('x', () => new Promise(() => {}), { timeoutMs: 200, clock: { now: () => new Date(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) } }),
      (e: Error) => e instanceof TimeoutError && /timed out after 200ms waiting for x: no answer yet/.test(e.message),
    );
    assert.ok(Date.now() - t < 3000);
    assert.equal(formatDuration(120_000), '2m');
  });
});

describe('plans', () => {
  const changes: Change[] = [
    { action: 'apply', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' }, data: { k: 'v' } } },
    { action: 'patch', ref: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'ns' }, patch: { spec: { replicas: 2 } }, verb: 'scaled' },
    { action: 'delete', ref: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', name: 'r', namespace: 'ns' } },
  ];
  it('names changes as kubectl prints them', () => {
    assert.deepEqual(changes.map(changeName), ['configmap/a', 'deployment.apps/web', 'virtualservice.networking.istio.io/r']);
  });
  it('--dry-run=client shows each object as it would be sent', () => {
    assert.deepEqual(plannedObjects(changes), [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' }, data: { k: 'v' } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'ns' }, spec: { replicas: 2 } },
      { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'r', namespace: 'ns' }, '# action': 'delete' },
    ]);
  });
});

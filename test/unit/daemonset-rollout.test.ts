import assert from 'node:assert/strict';
import { daemonSetRollout } from '../../shared/kube/wait.js';

describe('daemonSetRollout (kubectl rollout status daemonset)', () => {
  const cases: [string, Parameters<typeof daemonSetRollout>[0], boolean, string][] = [
    [
      'spec not observed yet',
      { metadata: { generation: 2 }, status: { observedGeneration: 1 } },
      false,
      'waiting for the daemon set spec update to be observed',
    ],
    [
      'pods not all updated',
      { metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 1, numberAvailable: 3 } },
      false,
      '1 of 3 updated pods have been scheduled',
    ],
    [
      'updated, not all available',
      { metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2 } },
      false,
      '2 of 3 updated pods are available',
    ],
    [
      'done',
      { metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2 } },
      true,
      '2 of 2 pods available',
    ],
    [
      'no node to run on is done (nothing to wait for)',
      { metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 0 } },
      true,
      '0 of 0 pods available',
    ],
  ];
  for (const [what, ds, done, message] of cases) {
    it(what, () => assert.deepEqual(daemonSetRollout(ds), { done, message }));
  }
});

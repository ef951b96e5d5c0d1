// The pure parts of kubectl canary run: steps, recorded progress, and the verdict after a step.
import assert from 'node:assert/strict';
import { parseSteps, readRun, runPatch, verdict } from '../../plugins/canary/progressive.js';
import { summarize, type Sample } from '../../shared/probe/stats.js';
import { UsageError } from '../../shared/errors.js';

describe('canary run steps and verdicts', () => {
  it('steps are rising whole percentages from 1 to 100', () => {
    assert.deepEqual(parseSteps('10, 25,50,100'), [10, 25, 50, 100]);
    assert.deepEqual(parseSteps('100'), [100]);
    for (const bad of ['', '0,50', '10,101', '10,,20', '10.5', '50,50', '50,20', 'x']) assert.throws(() => parseSteps(bad), UsageError, bad);
  });

  it('the recorded progress reads back, and a hand-edited one is ignored', () => {
    const annotated = (value: string) => ({ metadata: { annotations: { 'traffic.kubectl-plugins.io/run': value } } });
    const patch = runPatch({ steps: [10, 50], step: 1 }) as { metadata: { annotations: Record<string, string> } };
    assert.deepEqual(readRun({ metadata: patch.metadata }), { steps: [10, 50], step: 1 });
    assert.deepEqual(runPatch(null), { metadata: { annotations: { 'traffic.kubectl-plugins.io/run': null } } });
    for (const bad of ['{', '{"steps":[10],"step":1}', '{"steps":[0],"step":0}', '{"steps":"10","step":0}'])
      assert.equal(readRun(annotated(bad)), undefined, bad);
  });

  it('a step passes with all canary pods ready and the probe within its limits', () => {
    const ready = { metadata: { name: 'new' }, spec: { replicas: 2 }, status: { readyReplicas: 2 } };
    const samples = (errors: number, ms: number): Sample[] =>
      Array.from({ length: 100 }, (_, i) => (i < errors ? { status: 503, ms } : { status: 200, version: 'v2', ms }));
    assert.deepEqual(verdict(ready, undefined, {}), { ok: true, reasons: [] });
    assert.deepEqual(verdict(ready, summarize(samples(1, 20)), { maxErrorRate: 1, maxP99Ms: 50 }), { ok: true, reasons: [] }, 'at the limit is within it');
    assert.deepEqual(verdict(ready, summarize(samples(2, 80)), { maxErrorRate: 1, maxP99Ms: 50 }).reasons, [
      'error rate 2% is above 1%',
      'p99 latency 80 ms is above 50 ms',
    ]);
    assert.deepEqual(verdict({ ...ready, status: { readyReplicas: 1 } }, undefined, {}).reasons, ['deployment new has 1 of 2 pods ready']);
    assert.deepEqual(
      verdict({ ...ready, spec: { replicas: 0 }, status: {} }, undefined, {}).reasons,
      ['deployment new has no replicas'],
      'scaled away by another command: not a pass',
    );
    assert.deepEqual(verdict(ready, summarize(Array.from({ length: 5 }, () => ({ error: 'ECONNREFUSED', ms: 1 }))), {}).reasons, [
      'none of 5 probe requests was answered',
    ]);
  });
});

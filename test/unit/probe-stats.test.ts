import assert from 'node:assert/strict';
import { consistent, percentile, summarize, wilson } from '../../shared/probe/stats.js';

describe('probe statistics', () => {
  it('Wilson intervals: wide for 10 samples, narrow for 1,000', () => {
    assert.deepEqual(wilson(5, 10), { low: 23.7, high: 76.3 });
    assert.deepEqual(wilson(500, 1000), { low: 46.9, high: 53.1 });
    assert.deepEqual(wilson(0, 20), { low: 0, high: 16.1 });
    assert.deepEqual(wilson(0, 0), { low: 0, high: 100 });
    assert.equal(consistent(20, wilson(3, 10)), true, '3 of 10 does not contradict 20%');
    assert.equal(consistent(20, wilson(300, 1000)), false, '300 of 1000 does');
  });

  it('nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.deepEqual([percentile(xs, 50), percentile(xs, 95), percentile(xs, 99), percentile([7], 99), percentile([], 50)], [50, 95, 99, 7, 0]);
  });

  it('summary: versions by count, errors by kind, latency', () => {
    const s = summarize([
      { version: 'old', status: 200, ms: 10 },
      { version: 'new', status: 200, ms: 20 },
      { version: 'old', status: 200, ms: 30 },
      { status: 503, ms: 5 },
      { error: 'ECONNREFUSED', ms: 1 },
    ]);
    assert.equal(s.requests, 5);
    assert.equal(s.ok, 3);
    assert.equal(s.errorRate, 40);
    assert.deepEqual(s.errorKinds, { 'HTTP 503': 1, ECONNREFUSED: 1 });
    assert.deepEqual(
      s.versions.map((v) => [v.version, v.count, v.percent]),
      [
        ['old', 2, 66.7],
        ['new', 1, 33.3],
      ],
    );
    assert.deepEqual(s.latencyMs, { p50: 10, p95: 30, p99: 30, max: 30 });
  });
});

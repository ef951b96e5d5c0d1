// Probe shares are random (the data plane picks a backend per request, as kube-proxy and Envoy do), so
// a test must not demand that a 95% interval hold: that fails one run in twenty. This allows 4.5
// standard deviations of the binomial share instead (a false failure about once in 150,000 runs).
import assert from 'node:assert/strict';

export function assertShare(observedPercent: number, expectedPercent: number, requests: number, what = ''): void {
  const p = expectedPercent / 100;
  const sd = Math.sqrt((p * (1 - p)) / requests) * 100;
  const tolerance = Math.max(4.5 * sd, 0.5);
  assert.ok(
    Math.abs(observedPercent - expectedPercent) <= tolerance,
    `${what} observed ${observedPercent}% of ${requests} requests, expected ${expectedPercent}% ± ${tolerance.toFixed(1)}%`,
  );
}

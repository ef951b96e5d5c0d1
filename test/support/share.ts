// Probe shares are random (the data plane picks a backend per request, as kube-proxy and Envoy do), so
// a test must not demand that a 95% interval hold: that fails one run in twenty. This allows 4.5
// standard deviations of the binomial share instead (a false failure about once in 150,000 runs).
import assert from 'node:assert/strict';

function tolerance(expectedPercent: number, requests: number): number {
  const p = expectedPercent / 100;
  return Math.max(4.5 * Math.sqrt((p * (1 - p)) / requests) * 100, 0.5);
}

export function shareWithin(observedPercent: number, expectedPercent: number, requests: number): boolean {
  return Math.abs(observedPercent - expectedPercent) <= tolerance(expectedPercent, requests);
}

export function assertShare(observedPercent: number, expectedPercent: number, requests: number, what = ''): void {
  assert.ok(
    shareWithin(observedPercent, expectedPercent, requests),
    `${what} observed ${observedPercent}% of ${requests} requests, expected ${expectedPercent}% ± ${tolerance(expectedPercent, requests).toFixed(1)}%`,
  );
}

// Progressive delivery without a controller (kubectl canary run): the steps, the progress recorded on
// the canary Deployment (so an interrupted run can resume), and the verdict after each step. Pure.
import { UsageError } from '../../shared/errors.js';
import { readState, stateAnnotations } from '../../shared/kube/ownership.js';
import type { Summary } from '../../shared/probe/stats.js';
import { counted } from '../../shared/output/plural.js';
import type { Deployment } from '../../shared/kube/types.js';

/** On the canary Deployment while a run is under way: its steps and the one in progress. */
export const RUN = 'run';

export interface RunState {
  steps: number[];
  /** Index of the step in progress (redone on resume: setting a weight twice changes nothing). */
  step: number;
}

/** "10,25,50,100": whole percentages from 1 to 100, rising. */
export function parseSteps(raw: string): number[] {
  const parts = raw.split(',').map((s) => s.trim());
  // Plain decimal digits: Number() would also take 1e1 and 0x10.
  const steps = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  if (steps.some((n) => !Number.isInteger(n) || n < 1 || n > 100)) {
    throw new UsageError(`--steps "${raw}" must be whole percentages from 1 to 100 separated by commas, e.g. 10,25,50,100`);
  }
  if (steps.some((n, i) => i > 0 && n <= steps[i - 1]))
    throw new UsageError(`--steps "${raw}" must rise: each step gives the canary more traffic than the one before`);
  return steps;
}

export function readRun(d: Deployment): RunState | undefined {
  const raw = readState(d)[RUN];
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<RunState>;
    const steps = parsed.steps;
    if (!Array.isArray(steps) || !steps.every((n) => Number.isInteger(n) && n >= 1 && n <= 100)) return undefined;
    if (!Number.isInteger(parsed.step) || parsed.step! < 0 || parsed.step! >= steps.length) return undefined;
    return { steps, step: parsed.step! };
  } catch {
    return undefined;
  }
}

/** A merge patch recording the run's progress (or removing it, with null). */
export function runPatch(state: RunState | null): Record<string, unknown> {
  return stateAnnotations({ [RUN]: state === null ? null : JSON.stringify(state) });
}

export interface Limits {
  /** Highest error rate allowed, in percent of requests. */
  maxErrorRate?: number | undefined;
  maxP99Ms?: number | undefined;
}

/** Whether a step may go on: the canary's pods all ready, and the probe (when there is one) within the limits. */
export function verdict(canary: Deployment, summary: Summary | undefined, limits: Limits): { ok: boolean; reasons: string[] } {
  const reasons: string[] = [];
  const desired = canary.spec?.replicas ?? 1;
  const ready = canary.status?.readyReplicas ?? 0;
  if (desired === 0) reasons.push(`deployment ${canary.metadata?.name} has no replicas`);
  else if (ready < desired) reasons.push(`deployment ${canary.metadata?.name} has ${ready} of ${counted(desired, 'pod')} ready`);
  if (summary) {
    if (summary.ok === 0) reasons.push(`none of ${counted(summary.requests, 'probe request')} was answered`);
    else {
      if (limits.maxErrorRate !== undefined && summary.errorRate > limits.maxErrorRate)
        reasons.push(`error rate ${summary.errorRate}% is above ${limits.maxErrorRate}%`);
      if (limits.maxP99Ms !== undefined && summary.latencyMs.p99 > limits.maxP99Ms)
        reasons.push(`p99 latency ${summary.latencyMs.p99} ms is above ${limits.maxP99Ms} ms`);
    }
  }
  return { ok: reasons.length === 0, reasons };
}

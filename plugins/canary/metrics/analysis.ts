// One analysis round: every check's query sent at once (one request each), the answers read as one
// value per workload (built-in checks) or one value (a --query), and judged. Also the round as kept on
// the canary Deployment, so `canary status` shows the last step's analysis.
import { CliError } from '../../../shared/errors.js';
import { readState, stateAnnotations } from '../../../shared/kube/ownership.js';
import { judge, planChecks, type Answer, type CheckResult, type MetricLimits, type PlannedCheck, type Verdict } from './judge.js';
import type { PrometheusClient, Sample } from './prometheus.js';
import type { QueryTarget } from './promql.js';
import type { Deployment } from '../../../shared/kube/types.js';

export const ANALYSIS = 'analysis';

export interface Analysis {
  /** When the round was judged (ISO time). */
  at: string;
  canary: string;
  stable?: string | undefined;
  windowMs: number;
  verdict: Verdict;
  checks: CheckResult[];
  /** Where the numbers came from, and the round's cost. */
  source: string;
  requests: number;
  elapsedMs: number;
  /** Set by `canary run`: the step judged. */
  step?: { index: number; of: number; weight: number } | undefined;
}

/** The samples of one query read as a check's answer; several series for a --query is the user's query to fix. */
export function toAnswer(c: PlannedCheck, samples: Sample[]): Answer {
  if (c.kind !== 'query') {
    const byWorkload: Record<string, number> = {};
    for (const s of samples) if (s.labels['destination_workload']) byWorkload[s.labels['destination_workload']] = s.value;
    return { byWorkload };
  }
  if (samples.length > 1) {
    const shown = samples
      .slice(0, 3)
      .map(
        (s) =>
          `{${Object.entries(s.labels)
            .map(([k, v]) => `${k}="${v}"`)
            .join(',')}}`,
      )
      .join(', ');
    throw new CliError(
      `--query ${c.name} returned ${samples.length} series (${shown}${samples.length > 3 ? ', ...' : ''}); a check needs one value: aggregate it, e.g. sum(...) or max(...)`,
    );
  }
  return { value: samples[0]?.value };
}

export async function analyze(prom: PrometheusClient, t: QueryTarget, limits: MetricLimits, now: () => Date): Promise<Analysis> {
  const planned = planChecks(t, limits);
  const before = prom.requests;
  const started = performance.now();
  const answers = await Promise.all(planned.map(async (c) => toAnswer(c, await prom.query(c.query))));
  const judged = judge(planned, answers, t);
  return {
    at: now().toISOString(),
    canary: t.canary,
    ...(t.stable !== undefined ? { stable: t.stable } : {}),
    windowMs: t.windowMs,
    verdict: judged.verdict,
    checks: judged.checks,
    source: prom.where,
    requests: prom.requests - before,
    elapsedMs: Math.round(performance.now() - started),
  };
}

/** The reasons a round did not pass, one clause each. */
export function reasons(a: Analysis, status: 'fail' | 'unknown'): string[] {
  return a.checks.filter((c) => c.status === status).map((c) => c.message);
}

/** A merge patch keeping the round on the canary (the queries are left out: they follow from the options). */
export function analysisPatch(a: Analysis): Record<string, unknown> {
  const kept = { ...a, checks: a.checks.map(({ query: _query, ...c }) => c) };
  return stateAnnotations({ [ANALYSIS]: JSON.stringify(kept) });
}

export type RecordedAnalysis = Omit<Analysis, 'checks'> & { checks: Omit<CheckResult, 'query'>[] };

export function readAnalysis(d: Deployment): RecordedAnalysis | undefined {
  const raw = readState(d)[ANALYSIS];
  if (!raw) return undefined;
  try {
    const a = JSON.parse(raw) as Partial<RecordedAnalysis>;
    if (typeof a.at !== 'string' || !['pass', 'fail', 'unknown'].includes(a.verdict ?? '') || !Array.isArray(a.checks)) return undefined;
    return a as RecordedAnalysis;
  } catch {
    return undefined;
  }
}

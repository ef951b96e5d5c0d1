// The checks of one analysis and their judgement. Pure: the options say which checks there are (each
// one PromQL query), the answers come back as numbers per workload, and each check passes, fails or
// is unknown (too little traffic to say: never "healthy" by default).
import { errorRateQuery, fillTemplate, p99Query, requestsQuery, type QueryTarget } from './promql.js';

export type CheckStatus = 'pass' | 'fail' | 'unknown';
export type Verdict = 'pass' | 'fail' | 'unknown';

/** --query NAME=PROMQL<=THRESHOLD (or >=): a custom check of one value. */
export interface CustomQuery {
  name: string;
  query: string;
  op: '<=' | '>=';
  threshold: number;
}

export interface MetricLimits {
  /** Highest 5xx share of the canary's requests, in percent (with relative: points above stable's). */
  maxErrorRate?: number | undefined;
  /** Highest p99 in milliseconds (with relative: milliseconds above stable's). */
  maxP99Ms?: number | undefined;
  /** Fewer requests than this to the canary (or, relative, to the stable version) in the window: unknown. */
  minRequests: number;
  queries: CustomQuery[];
  relative: boolean;
}

export type CheckKind = 'requests' | 'error-rate' | 'p99' | 'query';

/** One check and the query that answers it. */
export interface PlannedCheck {
  name: string;
  kind: CheckKind;
  query: string;
  unit: '' | '%' | 'ms';
  op: '<=' | '>=';
  limit: number;
  relative: boolean;
}

export function planChecks(t: QueryTarget, l: MetricLimits): PlannedCheck[] {
  const rel = l.relative && t.stable !== undefined;
  const checks: PlannedCheck[] = [{ name: 'requests', kind: 'requests', query: requestsQuery(t), unit: '', op: '>=', limit: l.minRequests, relative: false }];
  if (l.maxErrorRate !== undefined)
    checks.push({ name: 'error-rate', kind: 'error-rate', query: errorRateQuery(t), unit: '%', op: '<=', limit: l.maxErrorRate, relative: rel });
  if (l.maxP99Ms !== undefined) checks.push({ name: 'p99', kind: 'p99', query: p99Query(t), unit: 'ms', op: '<=', limit: l.maxP99Ms, relative: rel });
  for (const q of l.queries)
    checks.push({ name: q.name, kind: 'query', query: fillTemplate(q.query, t), unit: '', op: q.op, limit: q.threshold, relative: false });
  return checks;
}

/** What a query answered: one value per destination_workload (built-in checks), or one value (custom). */
export type Answer = { byWorkload: Record<string, number> } | { value: number | undefined };

export interface CheckResult {
  name: string;
  query: string;
  status: CheckStatus;
  /** The canary's value (undefined: no data). */
  value?: number | undefined;
  /** With --relative: the stable version's value. */
  stable?: number | undefined;
  op: '<=' | '>=';
  /** The threshold the value was held to (with --relative: stable's value plus the margin). */
  limit: number;
  unit: string;
  relative: boolean;
  /** One line a person reads: the measured value and why it passed, failed or is unknown. */
  message: string;
}

const round = (x: number) => (Math.abs(x) >= 100 ? Math.round(x) : Math.round(x * 100) / 100);
const fmt = (x: number, unit: string) => `${round(x)}${unit === '%' ? '%' : unit === 'ms' ? ' ms' : ''}`;
const known = (x: number | undefined): x is number => x !== undefined && Number.isFinite(x);

export interface Judged {
  verdict: Verdict;
  checks: CheckResult[];
}

/**
 * Judge each check from its answer. The requests check gates the built-in ones: with fewer requests
 * than --min-requests, an error rate or a p99 says nothing and is unknown.
 */
export function judge(planned: PlannedCheck[], answers: Answer[], t: { canary: string; stable?: string | undefined; windowMs: number }): Judged {
  const window = `${Math.round(t.windowMs / 1000)}s`;
  const of = (a: Answer, w: string | undefined) => (w === undefined ? undefined : 'byWorkload' in a ? a.byWorkload[w] : a.value);
  let gate: string | undefined;
  const checks = planned.map((p, i): CheckResult => {
    const a = answers[i];
    const base = { name: p.name, query: p.query, op: p.op, unit: p.unit, relative: p.relative };
    if (p.kind === 'requests') {
      const canaryN = Math.round(of(a, t.canary) ?? 0);
      const stableN = t.stable !== undefined && planned.some((c) => c.relative) ? Math.round(of(a, t.stable) ?? 0) : undefined;
      const few = [canaryN < p.limit ? `${canaryN} requests to ${t.canary}` : '', stableN !== undefined && stableN < p.limit ? `${stableN} to ${t.stable}` : '']
        .filter(Boolean)
        .join(' and ');
      if (few) gate = `${few} in the last ${window}, fewer than --min-requests ${p.limit}`;
      return {
        ...base,
        value: canaryN,
        ...(stableN !== undefined ? { stable: stableN } : {}),
        limit: p.limit,
        status: few ? 'unknown' : 'pass',
        message: few
          ? `no data: ${gate}`
          : `${canaryN} requests to ${t.canary} in the last ${window}${stableN !== undefined ? ` (${stableN} to ${t.stable})` : ''}`,
      };
    }
    const value = of(a, t.canary);
    const stable = p.relative ? of(a, t.stable) : undefined;
    const limit = p.relative && known(stable) ? stable + p.limit : p.limit;
    const result = { ...base, ...(known(value) ? { value } : {}), ...(known(stable) ? { stable } : {}), limit };
    const subject = p.kind === 'query' ? p.name : `${p.name} of ${t.canary}`;
    if (p.kind !== 'query' && gate) return { ...result, status: 'unknown', message: `${subject} unknown: ${gate}` };
    if (!known(value))
      return {
        ...result,
        status: 'unknown',
        message: `${subject} unknown: ${p.kind === 'query' ? 'the query returned nothing' : `no requests to ${t.canary} in the last ${window}`}`,
      };
    if (p.relative && !known(stable))
      return { ...result, status: 'unknown', message: `${subject} is ${fmt(value, p.unit)}, but ${t.stable} has no data to compare with` };
    const ok = p.op === '<=' ? value <= limit : value >= limit;
    const bound = p.relative ? `${fmt(limit, p.unit)} (${t.stable}'s ${fmt(stable!, p.unit)} + ${fmt(p.limit, p.unit)})` : fmt(limit, p.unit);
    const word = p.op === '<=' ? (ok ? 'within' : 'above') : ok ? 'at least' : 'below';
    return { ...result, status: ok ? 'pass' : 'fail', message: `${subject} is ${fmt(value, p.unit)}, ${word} ${bound}` };
  });
  const verdict: Verdict = checks.some((c) => c.status === 'fail') ? 'fail' : checks.some((c) => c.status === 'unknown') ? 'unknown' : 'pass';
  return { verdict, checks };
}

/** --query "NAME=PROMQL<=THRESHOLD": the last <= or >= splits the query from its threshold. */
export function parseCustomQuery(raw: string): CustomQuery | string {
  const eq = raw.indexOf('=');
  const name = eq > 0 ? raw.slice(0, eq).trim() : '';
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(name))
    return `--query "${raw}" must start with a name (lower case, digits, dashes) and '=', e.g. --query 'restarts=sum(...)<=0'`;
  const rest = raw.slice(eq + 1);
  const m = /^(.*\S)\s*(<=|>=)\s*(-?\d+(?:\.\d+)?)\s*$/s.exec(rest);
  if (!m) return `--query "${raw}" must end with <= or >= and a number, e.g. ${name}=sum(rate(...[{{interval}}]))<=0.5`;
  if (['requests', 'error-rate', 'p99'].includes(name)) return `--query name "${name}" is a built-in check's; choose another`;
  return { name, query: m[1].trim(), op: m[2] as '<=' | '>=', threshold: Number(m[3]) };
}

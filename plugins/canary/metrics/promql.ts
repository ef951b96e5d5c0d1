// The PromQL of the built-in checks, on Istio's standard metrics as the server-side proxy reports them
// (reporter="destination", as Flagger's request-success-rate and request-duration checks read them):
// each one query, summed by destination_workload so that one request answers for the canary and, with
// --relative, the stable version too. Pure.

export const REQUESTS_METRIC = 'istio_requests_total';
export const DURATION_METRIC = 'istio_request_duration_milliseconds';

export interface QueryTarget {
  namespace: string;
  canary: string;
  /** With --relative: the stable Deployment, queried in the same request. */
  stable?: string | undefined;
  /** The range the rates are taken over, in milliseconds (the step's interval, or --since). */
  windowMs: number;
}

/** A range for PromQL: whole seconds when it is, else milliseconds ("30s", "1500ms"). */
export function promDuration(ms: number): string {
  const whole = Math.max(1, Math.round(ms));
  return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}

/** RE2 with every metacharacter escaped (Deployment names may hold dots). */
const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&');

/** The label matchers of the workloads asked about (names are DNS subdomains: nothing to quote). */
export function selector(t: QueryTarget, extra = ''): string {
  const workload = t.stable ? `destination_workload=~"${reEscape(t.canary)}|${reEscape(t.stable)}"` : `destination_workload="${t.canary}"`;
  return `{reporter="destination",destination_workload_namespace="${t.namespace}",${workload}${extra}}`;
}

/** Requests answered over the window, per workload (for --min-requests). */
export function requestsQuery(t: QueryTarget): string {
  return `sum by (destination_workload) (increase(${REQUESTS_METRIC}${selector(t)}[${promDuration(t.windowMs)}]))`;
}

/**
 * Percent of requests answered 5xx, per workload. A workload with requests but no 5xx series gets 0
 * (the `or`), and one with no requests in the window gets NaN (0/0): no data, not healthy.
 */
export function errorRateQuery(t: QueryTarget): string {
  const w = promDuration(t.windowMs);
  const all = `sum by (destination_workload) (rate(${REQUESTS_METRIC}${selector(t)}[${w}]))`;
  const errors = `sum by (destination_workload) (rate(${REQUESTS_METRIC}${selector(t, ',response_code=~"5.."')}[${w}]))`;
  return `(${errors} or 0 * ${all}) / ${all} * 100`;
}

/** The 99th percentile of request durations in milliseconds, per workload, from Istio's histogram. */
export function p99Query(t: QueryTarget): string {
  return `histogram_quantile(0.99, sum by (destination_workload, le) (rate(${DURATION_METRIC}_bucket${selector(t)}[${promDuration(t.windowMs)}])))`;
}

/** {{namespace}}, {{canary}}, {{stable}}, {{interval}} in a --query, as Flagger's metric templates take them. */
export function fillTemplate(query: string, t: QueryTarget): string {
  const values: Record<string, string | undefined> = {
    namespace: t.namespace,
    canary: t.canary,
    target: t.canary,
    stable: t.stable,
    interval: promDuration(t.windowMs),
  };
  return query.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);
}

/** Placeholders a --query uses that have no value (unknown names, or {{stable}} without a stable version). */
export function unfilled(query: string, t: QueryTarget): string[] {
  return [...fillTemplate(query, t).matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]);
}

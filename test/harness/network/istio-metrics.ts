// What an Istio sidecar would report for the requests the responder answers: istio_requests_total and
// the istio_request_duration_milliseconds histogram with Istio's metric names, labels (reporter
// "destination": the server side's proxy) and default buckets, per pod, as Envoy serves them on
// :15090/stats/prometheus. And the faults a test asks a pod for, from its annotations: a share of
// answers with 500, or a delay on each answer. Pure (the agent feeds it requests).

/** Envoy's Prometheus stats port, where Istio's Prometheus scrapes each sidecar. */
export const ISTIO_STATS_PORT = 15090;
export const ISTIO_STATS_PATH = '/stats/prometheus';
/** On the same port at any address of the namespace: the pods to scrape, in Prometheus's http_sd format. */
export const ISTIO_TARGETS_PATH = '/targets';

/** Pod annotations a test sets in a Deployment's template: "20" answers 500 to 20% of requests. */
export const FAULT_ERROR_PERCENT = 'test.kplugins.io/error-percent';
/** Milliseconds each answer waits before it is sent. */
export const FAULT_DELAY_MS = 'test.kplugins.io/delay-ms';

/** Istio's default buckets for istio_request_duration_milliseconds (its stats filter). */
export const ISTIO_DURATION_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

export interface Fault {
  errorPercent: number;
  delayMs: number;
}

export function faultOf(annotations: Record<string, string> | undefined): Fault {
  const num = (v: string | undefined, max: number) => {
    const n = Number(v ?? '0');
    return Number.isFinite(n) && n > 0 ? Math.min(n, max) : 0;
  };
  return { errorPercent: num(annotations?.[FAULT_ERROR_PERCENT], 100), delayMs: num(annotations?.[FAULT_DELAY_MS], 60_000) };
}

/** Whether the nth request (1-based) of a pod fails: exactly errorPercent of every hundred, spread evenly. */
export function failsAt(n: number, errorPercent: number): boolean {
  return Math.floor((n * errorPercent) / 100) > Math.floor(((n - 1) * errorPercent) / 100);
}

export interface Workload {
  namespace: string;
  pod: string;
  labels: Record<string, string>;
}

/**
 * The workload name Istio reports: a Deployment's pod is named <deployment>-<pod-template-hash>-<5>,
 * and Istio names the Deployment (as its injector does from the owner ReplicaSet).
 */
export function workloadName(w: Workload): string {
  const hash = w.labels['pod-template-hash'];
  if (hash) {
    const m = new RegExp(`^(.+)-${hash}-[a-z0-9]+$`).exec(w.pod);
    if (m) return m[1];
  }
  return w.pod;
}

interface Series {
  labels: string;
  count: number;
  buckets: number[];
  sum: number;
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** The Istio labels of requests answered by one pod (reporter=destination). */
export function istioLabels(w: Workload, code: number): string {
  const workload = workloadName(w);
  const app = w.labels['app'] ?? w.labels['app.kubernetes.io/name'] ?? workload;
  const version = w.labels['version'] ?? w.labels['app.kubernetes.io/version'] ?? 'unknown';
  const pairs: [string, string][] = [
    ['reporter', 'destination'],
    ['source_workload', 'unknown'],
    ['source_workload_namespace', 'unknown'],
    ['source_app', 'unknown'],
    ['destination_workload', workload],
    ['destination_workload_namespace', w.namespace],
    ['destination_app', app],
    ['destination_version', version],
    ['destination_canonical_service', w.labels['service.istio.io/canonical-name'] ?? app],
    ['destination_canonical_revision', w.labels['service.istio.io/canonical-revision'] ?? (version === 'unknown' ? 'latest' : version)],
    ['request_protocol', 'http'],
    ['response_code', String(code)],
    ['response_flags', '-'],
    ['connection_security_policy', 'none'],
  ];
  return pairs.map(([k, v]) => `${k}="${esc(v)}"`).join(',');
}

/** Per pod (by IP): its request counter and duration histogram series. */
export class IstioMetrics {
  private readonly byPod = new Map<string, Map<string, Series>>();
  private readonly answered = new Map<string, number>();

  /** The number of the next request a pod answers (1-based), for failsAt. */
  next(ip: string): number {
    const n = (this.answered.get(ip) ?? 0) + 1;
    this.answered.set(ip, n);
    return n;
  }

  record(ip: string, w: Workload, code: number, durationMs: number): void {
    const labels = istioLabels(w, code);
    let pod = this.byPod.get(ip);
    if (!pod) this.byPod.set(ip, (pod = new Map<string, Series>()));
    let s = pod.get(labels);
    if (!s) pod.set(labels, (s = { labels, count: 0, buckets: ISTIO_DURATION_BUCKETS.map(() => 0), sum: 0 }));
    s.count++;
    s.sum += durationMs;
    ISTIO_DURATION_BUCKETS.forEach((le, i) => {
      if (durationMs <= le) s.buckets[i]++;
    });
  }

  /** A pod's address was given to another pod: its counters start again, as a new sidecar's do. */
  forget(ip: string): void {
    this.byPod.delete(ip);
    this.answered.delete(ip);
  }

  /** Prometheus text of one pod's series (empty families until it answered something). */
  render(ip: string): string {
    const series = [...(this.byPod.get(ip)?.values() ?? [])];
    const out = [
      '# TYPE istio_requests_total counter',
      ...series.map((s) => `istio_requests_total{${s.labels}} ${s.count}`),
      '# TYPE istio_request_duration_milliseconds histogram',
    ];
    for (const s of series) {
      ISTIO_DURATION_BUCKETS.forEach((le, i) => out.push(`istio_request_duration_milliseconds_bucket{${s.labels},le="${le}"} ${s.buckets[i]}`));
      out.push(`istio_request_duration_milliseconds_bucket{${s.labels},le="+Inf"} ${s.count}`);
      out.push(`istio_request_duration_milliseconds_sum{${s.labels}} ${s.sum}`);
      out.push(`istio_request_duration_milliseconds_count{${s.labels}} ${s.count}`);
    }
    return out.join('\n') + '\n';
  }
}

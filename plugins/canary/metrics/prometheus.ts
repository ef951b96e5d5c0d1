// Asking Prometheus an instant query: through the API server's service proxy (Istio's addon Service
// istio-system/prometheus:9090 by default; any kubeconfig allowed to `get services/proxy` works, no
// port-forward), or at --metrics-url. One HTTP request per query; failures become one line that says
// what to do (no Prometheus there, a query it rejects, an answer that is not its API).
import { CliError } from '../../../shared/errors.js';
import { networkCode } from '../../../shared/kube/api-errors.js';
import type { Kube } from '../../../shared/kube/client.js';

export interface ServiceRef {
  namespace: string;
  service: string;
  port: string;
}

export type PrometheusSource = { kind: 'service'; ref: ServiceRef } | { kind: 'url'; url: URL; headers: Record<string, string>; timeoutMs: number };

export const DEFAULT_PROMETHEUS: ServiceRef = { namespace: 'istio-system', service: 'prometheus', port: '9090' };

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface PrometheusClient {
  /** Where it is, for messages: "service istio-system/prometheus:9090" or the URL. */
  where: string;
  /** An instant query (evaluated at Prometheus's now); one HTTP request. */
  query(promql: string): Promise<Sample[]>;
  /** Requests sent so far. */
  readonly requests: number;
}

interface Raw {
  status: number;
  body: string;
}

interface PromAnswer {
  status?: string;
  error?: string;
  errorType?: string;
  data?: { resultType?: string; result?: unknown };
}

const firstLine = (s: string) => s.trim().split('\n')[0].slice(0, 200);

/** The samples of an answer (vector or scalar); throws on anything that is not Prometheus's API. */
export function parseAnswer(raw: Raw, where: string, promql: string): Sample[] {
  let doc: PromAnswer;
  try {
    doc = JSON.parse(raw.body) as PromAnswer;
  } catch {
    throw new CliError(
      `${where} answered ${raw.status} with something that is not Prometheus's query API: ${firstLine(raw.body) || '(empty body)'}; is it Prometheus?`,
    );
  }
  if (doc.status === 'error') throw new CliError(`Prometheus at ${where} rejected the query ${promql}: ${doc.error ?? doc.errorType ?? raw.status}`);
  if (raw.status !== 200 || doc.status !== 'success' || !doc.data)
    throw new CliError(`${where} answered ${raw.status} to a query, not as Prometheus's API does: ${firstLine(raw.body)}`);
  const num = (v: unknown) => (Array.isArray(v) && typeof v[1] === 'string' ? Number(v[1]) : NaN);
  if (doc.data.resultType === 'scalar') return [{ labels: {}, value: num(doc.data.result) }];
  if (doc.data.resultType !== 'vector' || !Array.isArray(doc.data.result))
    throw new CliError(`the query ${promql} returned a ${doc.data.resultType ?? 'strange'} result; a check needs an instant vector or a scalar`);
  return (doc.data.result as { metric?: Record<string, string>; value?: unknown }[]).map((r) => ({ labels: r.metric ?? {}, value: num(r.value) }));
}

interface ApiStatus {
  kind?: string;
  reason?: string;
  message?: string;
}

function apiStatus(body: string): ApiStatus | undefined {
  try {
    const s = JSON.parse(body) as ApiStatus;
    return s.kind === 'Status' ? s : undefined;
  } catch {
    return undefined;
  }
}

function proxyError(kube: Kube, r: ServiceRef, status: number, st: ApiStatus): CliError {
  const svc = `${r.namespace}/${r.service}`;
  const where = `(context "${kube.config.contextName}")`;
  const other = 'name it with --prometheus NAMESPACE/SERVICE:PORT, or use --metrics-url';
  if (status === 404 && st.reason === 'NotFound') return new CliError(`no Prometheus: service ${svc} not found ${where}; ${other}`);
  if (status === 403)
    return new CliError(
      `forbidden: ${st.message ?? `cannot get services/proxy for ${svc}`} ${where}; reading metrics through the API server needs permission to get services/proxy on ${svc}, or use --metrics-url`,
    );
  if (status === 401) return new CliError(`unauthorized: the cluster rejected the credentials of user "${kube.config.userName}" ${where}`);
  if (status === 502 || status === 503)
    return new CliError(
      `the API server could not reach Prometheus at service ${svc}:${r.port}: ${st.message ?? status}; is its pod running and ready? (kubectl get endpointslices -n ${r.namespace} -l kubernetes.io/service-name=${r.service})`,
    );
  return new CliError(`the API server answered ${status} when proxying to Prometheus at service ${svc}:${r.port}: ${st.message ?? ''} ${where}`.trim());
}

function viaService(kube: Kube, r: ServiceRef): PrometheusClient {
  const where = `service ${r.namespace}/${r.service}:${r.port}`;
  const path = `/api/v1/namespaces/${encodeURIComponent(r.namespace)}/services/${encodeURIComponent(r.service)}:${encodeURIComponent(r.port)}/proxy/api/v1/query`;
  let sent = 0;
  return {
    where,
    get requests() {
      return sent;
    },
    async query(promql) {
      sent++;
      const raw = await kube.getRaw({ verb: 'get', resource: 'services/proxy', name: r.service, namespace: r.namespace }, path, { query: promql });
      const st = raw.status >= 400 ? apiStatus(raw.body) : undefined;
      if (st) throw proxyError(kube, r, raw.status, st);
      return parseAnswer(raw, where, promql);
    },
  };
}

function viaUrl(source: Extract<PrometheusSource, { kind: 'url' }>): PrometheusClient {
  const base = source.url.href.replace(/\/+$/, '');
  let sent = 0;
  return {
    where: base,
    get requests() {
      return sent;
    },
    async query(promql) {
      sent++;
      let raw: Raw;
      try {
        const res = await fetch(`${base}/api/v1/query?${new URLSearchParams({ query: promql }).toString()}`, {
          headers: { accept: 'application/json', ...source.headers },
          signal: AbortSignal.timeout(source.timeoutMs),
        });
        raw = { status: res.status, body: await res.text() };
      } catch (err) {
        const code = networkCode((err as { cause?: unknown }).cause ?? err) ?? (err as { name?: string }).name;
        const why =
          code === 'ECONNREFUSED' ? 'connection refused' : code === 'TimeoutError' ? `no answer within ${source.timeoutMs / 1000}s` : (code ?? String(err));
        throw new CliError(`cannot reach Prometheus at ${base}: ${why}; is the URL right (and a port-forward, if any, still running)?`);
      }
      if (raw.status === 401 || raw.status === 403)
        throw new CliError(
          `Prometheus at ${base} refused the request (${raw.status}: ${firstLine(raw.body)}); pass what its gateway needs with --metrics-header`,
        );
      return parseAnswer(raw, base, promql);
    },
  };
}

/** kube is only asked for (and the kubeconfig only read) when the source is a Service. */
export function prometheusClient(source: PrometheusSource, kube: () => Kube): PrometheusClient {
  return source.kind === 'url' ? viaUrl(source) : viaService(kube(), source.ref);
}

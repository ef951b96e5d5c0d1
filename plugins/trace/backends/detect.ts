// Which Service in the Istio namespace serves a trace query API. Pure: Services in, candidates out,
// in the order they are tried. Istio's addons name them: `tracing` (Jaeger's query on port 80 with
// base path /jaeger, or Zipkin's server in the Zipkin addon), `zipkin` (in the Jaeger addon only
// Jaeger's Zipkin *receiver*: it takes spans and answers no queries), `jaeger-query` (Jaeger's own
// charts and operator).
import { UsageError } from '../../../shared/errors.js';
import type { BackendType } from './backend.js';
import type { Service } from '../../../shared/kube/types.js';

export interface Candidate {
  namespace: string;
  service: string;
  /** Port name or number as the service proxy path takes it. */
  port: string;
  /** Unknown when the Service says nothing about what it serves (--backend on an unknown Service). */
  type?: BackendType;
  /** Base paths to try, in order ('' is the root). */
  basePaths: string[];
  /** Jaeger's Zipkin receiver: accepts spans, has no query API. */
  writeOnly?: boolean;
}

const JAEGER_QUERY_PORT = 16686;
const ZIPKIN_PORT = 9411;

function mentions(s: Service, word: string): boolean {
  const values = [...Object.values(s.spec?.selector ?? {}), ...Object.values(s.metadata?.labels ?? {})];
  return values.some((v) => v.toLowerCase().includes(word));
}

/** Which pods a Service sends to: the selector says it better than the labels on the Service. */
function selects(s: Service, word: string): boolean {
  const sel = Object.values(s.spec?.selector ?? {});
  return sel.length ? sel.some((v) => v.toLowerCase().includes(word)) : mentions(s, word);
}

function portFor(s: Service, wanted: (p: { name?: string; port: number; targetPort?: number | string }) => boolean): string | undefined {
  const p = (s.spec?.ports ?? []).find(wanted);
  return p ? String(p.port) : undefined;
}

const targets = (n: number) => (p: { port: number; targetPort?: number | string }) => p.targetPort === n || (p.targetPort === undefined && p.port === n);

/** One Service, read as a backend (undefined: not a tracing Service). */
export function candidateFor(s: Service): Candidate | undefined {
  const name = s.metadata?.name ?? '';
  const namespace = s.metadata?.namespace ?? '';
  const ports = s.spec?.ports ?? [];
  if (selects(s, 'zipkin') || (name === 'zipkin' && !selects(s, 'jaeger'))) {
    const port = portFor(s, (p) => p.name === 'http-query') ?? portFor(s, targets(ZIPKIN_PORT)) ?? (ports[0] ? String(ports[0].port) : undefined);
    return port ? { namespace, service: name, port, type: 'zipkin', basePaths: [''] } : undefined;
  }
  if (selects(s, 'jaeger') || name === 'tracing' || name.endsWith('-query')) {
    // The addon names its Zipkin receiver port http-query too: the target port tells them apart.
    const queryPort = portFor(s, targets(JAEGER_QUERY_PORT)) ?? portFor(s, (p) => p.name === 'http-query' && !targets(ZIPKIN_PORT)(p));
    if (queryPort) return { namespace, service: name, port: queryPort, type: 'jaeger', basePaths: name === 'tracing' ? ['/jaeger', ''] : ['', '/jaeger'] };
    const receiver = portFor(s, targets(ZIPKIN_PORT));
    if (receiver) return { namespace, service: name, port: receiver, type: 'zipkin', basePaths: [''], writeOnly: true };
  }
  return undefined;
}

const RANK = (c: Candidate) => (c.writeOnly ? 9 : c.service === 'tracing' ? 0 : c.type === 'jaeger' ? 1 : 2);

/** Every tracing Service found, best first; write-only receivers last (they are only named in errors). */
export function detectCandidates(services: Service[]): Candidate[] {
  return services
    .map(candidateFor)
    .filter((c): c is Candidate => c !== undefined)
    .sort((a, b) => RANK(a) - RANK(b) || (a.service < b.service ? -1 : 1));
}

/**
 * The candidates that reach different pods, best first: Istio's Zipkin addon serves one Zipkin under
 * two Services (tracing and zipkin), which is one backend, not a choice to warn about.
 */
export function distinctBackends(services: Service[], candidates: Candidate[]): Candidate[] {
  const pods = (c: Candidate) => {
    const s = services.find((x) => x.metadata?.name === c.service);
    const sel = Object.entries(s?.spec?.selector ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
    // A Service without a selector has its own endpoints: a backend of its own.
    return sel.length ? JSON.stringify(sel) : `service:${c.service}`;
  };
  const seen = new Set<string>();
  return candidates.filter((c) => {
    const key = pods(c);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** --backend [ns/]svc[:port] */
export function parseBackendRef(value: string, defaultNamespace: string): { namespace: string; service: string; port?: string } {
  const m = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/)?([a-z0-9]([-a-z0-9]*[a-z0-9])?)(?::([a-z0-9]([-a-z0-9]*[a-z0-9])?))?$/.exec(value);
  if (!m) throw new UsageError(`--backend "${value}" must look like [namespace/]service[:port], e.g. istio-system/tracing:80`);
  return { namespace: m[1] ?? defaultNamespace, service: m[3], ...(m[5] ? { port: m[5] } : {}) };
}

export function describeCandidate(c: Candidate, base?: string): string {
  const kind = c.writeOnly ? "Jaeger's Zipkin receiver" : c.type === 'zipkin' ? 'Zipkin' : c.type === 'jaeger' ? 'Jaeger' : 'unknown';
  const b = base ?? (c.basePaths.length === 1 ? c.basePaths[0] : undefined);
  const details = `(${kind}${b ? `, base path ${b}` : ''})`;
  // A --url candidate has no namespace: its "service" is the URL.
  return c.namespace ? `service ${c.namespace}/${c.service}:${c.port} ${details}` : `${c.service} ${details}`;
}

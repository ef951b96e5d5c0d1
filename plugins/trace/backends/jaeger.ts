// Jaeger's query API, the one its UI uses (GET /api/services, /api/traces, /api/traces/{id},
// /api/dependencies), and its JSON turned into our trace model.
import {
  makeSpan,
  normalizeSpanId,
  normalizeTraceId,
  type DependencyLink,
  type Endpoint,
  type Span,
  type SpanEvent,
  type SpanKind,
  type SpanLink,
  type TagValue,
  type Trace,
} from '../model.js';
import type { Backend, SearchQuery } from './backend.js';
import { BackendError, finishTrace, HttpBackend, parseJson } from './backend.js';

interface JaegerKeyValue {
  key: string;
  type?: string;
  value: unknown;
}

interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: { refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }[] | null;
  startTime: number;
  duration: number;
  tags?: JaegerKeyValue[] | null;
  logs?: { timestamp: number; fields?: JaegerKeyValue[] | null }[] | null;
  processID: string;
  warnings?: string[] | null;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags?: JaegerKeyValue[] | null }>;
  warnings?: string[] | null;
}

interface Envelope<T> {
  data: T | null;
  errors?: { code: number; msg: string; traceID?: string }[] | null;
}

// Tags that carry what our model has as fields, or are the backend's bookkeeping: left out of `tags`
// so the same span reads the same from Jaeger and from Zipkin.
const MODEL_TAGS = new Set([
  'span.kind',
  'error',
  'otel.status_code',
  'otel.status_description',
  'internal.span.format',
  'otel.scope.name',
  'otel.scope.version',
  'otel.library.name',
  'otel.library.version',
]);

const KINDS: Record<string, SpanKind> = { client: 'client', server: 'server', producer: 'producer', consumer: 'consumer', internal: 'internal' };

function tagValue(kv: JaegerKeyValue): TagValue {
  const v = kv.value;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return JSON.stringify(v) ?? '';
}

// Where Jaeger (through OpenTelemetry's Zipkin translation) keeps Zipkin's endpoints.
const PEER_KEYS: Partial<Record<string, keyof Endpoint>> = {
  'peer.service': 'service',
  'net.peer.ip': 'ip',
  'peer.ipv4': 'ip',
  'peer.ipv6': 'ip',
  'net.peer.port': 'port',
  'peer.port': 'port',
};
const HOST_KEYS: Record<string, keyof Endpoint> = { 'net.host.ip': 'ip', 'net.host.port': 'port' };

function setEndpoint(e: Endpoint, field: keyof Endpoint, v: TagValue): void {
  if (field === 'port') e.port = Number(v);
  else e[field] = String(v);
}

type Special = 'kind' | 'error' | 'status' | 'description' | 'dropped' | { side: 'remote' | 'local'; field: keyof Endpoint };
const SPECIAL = new Map<string, Special>([
  ['span.kind', 'kind'],
  ['error', 'error'],
  ['otel.status_code', 'status'],
  ['otel.status_description', 'description'],
  ...[...MODEL_TAGS]
    .filter((k) => !['span.kind', 'error', 'otel.status_code', 'otel.status_description'].includes(k))
    .map((k) => [k, 'dropped'] as [string, Special]),
  ...Object.entries(PEER_KEYS).map(([k, field]) => [k, { side: 'remote', field: field! }] as [string, Special]),
  ...Object.entries(HOST_KEYS).map(([k, field]) => [k, { side: 'local', field }] as [string, Special]),
]);

// Jaeger's query service notes skew it could not correct; we correct it ourselves (skew.ts).
const SKEW_WARNING = /clock skew adjustment/i;

export function fromJaegerTrace(t: JaegerTrace): Trace {
  const traceId = normalizeTraceId(t.traceID);
  const warnings = (t.warnings ?? []).filter((w) => !SKEW_WARNING.test(w));
  const spans: Span[] = t.spans.map((js) => {
    const tags: Record<string, TagValue> = {};
    let kind: SpanKind = 'internal';
    let error = false;
    let errorMessage: string | undefined;
    let remote: Endpoint | undefined;
    let local: Endpoint | undefined;
    for (const kv of js.tags ?? []) {
      const v = typeof kv.value === 'string' || typeof kv.value === 'number' || typeof kv.value === 'boolean' ? kv.value : tagValue(kv);
      // One lookup for the few keys that mean something to the model; every other tag is copied.
      const special = SPECIAL.get(kv.key);
      if (special === undefined) {
        tags[kv.key] = v;
        continue;
      }
      switch (special) {
        case 'kind':
          kind = KINDS[String(v).toLowerCase()] ?? 'internal';
          break;
        case 'error':
          // A Zipkin error tag with a message stays a string tag; true/"true" is just the flag.
          if (v === true || v === 'true') error = true;
          else if (typeof v === 'string' && v !== 'false' && v !== '') {
            error = true;
            errorMessage ??= v;
          }
          break;
        case 'status':
          error = error || String(v).toUpperCase() === 'ERROR';
          break;
        case 'description':
          errorMessage = String(v);
          break;
        case 'dropped':
          break;
        default:
          setEndpoint(special.side === 'remote' ? (remote ??= {}) : (local ??= {}), special.field, v);
      }
    }
    const all = js.references ?? [];
    // The tree parent is the first CHILD_OF reference in this trace, else the first FOLLOWS_FROM (as Jaeger UI does).
    const inTrace = (r: (typeof all)[number]) => !r.traceID || r.traceID.toLowerCase() === t.traceID.toLowerCase() || normalizeTraceId(r.traceID) === traceId;
    const parentRef = all.find((r) => r.refType === 'CHILD_OF' && inTrace(r)) ?? all.find(inTrace);
    const links: SpanLink[] =
      all.length > (parentRef ? 1 : 0)
        ? all
            .filter((r) => r !== parentRef)
            .map((r) => ({
              type: r.refType === 'FOLLOWS_FROM' ? 'follows-from' : 'child-of',
              traceId: normalizeTraceId(r.traceID),
              spanId: normalizeSpanId(r.spanID),
            }))
        : [];
    const events: SpanEvent[] = (js.logs ?? []).map((l) => {
      const fields: Record<string, TagValue> = {};
      let name = '';
      for (const f of l.fields ?? []) {
        if (!name && (f.key === 'event' || f.key === 'message')) name = String(tagValue(f));
        else fields[f.key] = tagValue(f);
      }
      return { timeMicros: l.timestamp, name, ...(Object.keys(fields).length ? { fields } : {}) };
    });
    for (const w of js.warnings ?? []) if (!SKEW_WARNING.test(w)) warnings.push(`span ${js.spanID}: ${w}`);
    return makeSpan({
      spanId: normalizeSpanId(js.spanID),
      parentId: parentRef ? normalizeSpanId(parentRef.spanID) : undefined,
      parentType: parentRef?.refType === 'FOLLOWS_FROM' ? 'follows-from' : undefined,
      links,
      service: t.processes[js.processID]?.serviceName ?? js.processID,
      operation: js.operationName,
      kind,
      startMicros: js.startTime,
      durationMicros: js.duration,
      error,
      errorMessage,
      tags,
      events,
      localEndpoint: local,
      remoteEndpoint: remote,
    });
  });
  return finishTrace(traceId, spans, warnings);
}

function unwrap<T>(body: string, what: string): T {
  const env = parseJson<Envelope<T>>(body, what);
  const err = env.errors?.[0];
  if (err && env.data === null) throw new BackendError(`Jaeger could not ${what}: ${err.msg}`, err.code === 404 ? 'not-found' : 'backend');
  return env.data as T;
}

/** Jaeger's search takes durations as Go duration strings, times in microseconds. */
export function jaegerSearchParams(q: SearchQuery): Record<string, string> {
  const tags = q.tags;
  return {
    service: q.service,
    ...(q.operation ? { operation: q.operation } : {}),
    ...(Object.keys(tags).length ? { tags: JSON.stringify(tags) } : {}),
    ...(q.minDurationMicros !== undefined ? { minDuration: `${q.minDurationMicros}us` } : {}),
    ...(q.maxDurationMicros !== undefined ? { maxDuration: `${q.maxDurationMicros}us` } : {}),
    start: String(q.startMicros),
    end: String(q.endMicros),
    limit: String(q.limit),
  };
}

export class JaegerBackend extends HttpBackend implements Backend {
  readonly type = 'jaeger' as const;

  async services(): Promise<string[]> {
    const r = await this.get('/api/services');
    return (unwrap<string[] | null>(r.body, 'list services') ?? []).sort();
  }

  async operations(service: string): Promise<string[]> {
    const r = await this.get(`/api/services/${encodeURIComponent(service)}/operations`);
    return (unwrap<string[] | null>(r.body, `list the operations of ${service}`) ?? []).sort();
  }

  async search(q: SearchQuery): Promise<Trace[]> {
    const r = await this.get('/api/traces', jaegerSearchParams(q));
    return (unwrap<JaegerTrace[] | null>(r.body, 'search traces') ?? []).map(fromJaegerTrace);
  }

  async trace(id: string): Promise<Trace | undefined> {
    const r = await this.get(`/api/traces/${encodeURIComponent(id)}`, {}, [404]);
    if (r.status === 404) return undefined;
    const data = unwrap<JaegerTrace[] | null>(r.body, `read trace ${id}`) ?? [];
    return data.length ? fromJaegerTrace(data[0]) : undefined;
  }

  async dependencies(endMs: number, lookbackMs: number): Promise<DependencyLink[]> {
    const r = await this.get('/api/dependencies', { endTs: String(endMs), lookback: String(lookbackMs) });
    const links = unwrap<{ parent: string; child: string; callCount: number }[] | null>(r.body, 'read the service dependencies') ?? [];
    // Jaeger counts every parent/child span pair, so a service's spans under its own spans (a server
    // span and the client spans it starts) show as the service calling itself: not a call between services.
    return links.filter((l) => l.parent !== l.child).map((l) => ({ parent: l.parent, child: l.child, calls: l.callCount }));
  }
}

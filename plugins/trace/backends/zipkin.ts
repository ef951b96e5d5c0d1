// Zipkin's v2 query API (GET /api/v2/services, /traces, /trace/{id}, /dependencies) and its JSON
// turned into our trace model.
import {
  makeSpan,
  normalizeSpanId,
  normalizeTraceId,
  type DependencyLink,
  type Endpoint,
  type Span,
  type SpanKind,
  type TagValue,
  type Trace,
} from '../model.js';
import type { Backend, SearchQuery } from './backend.js';
import { BackendError, finishTrace, HttpBackend, parseJson } from './backend.js';

interface ZipkinEndpoint {
  serviceName?: string;
  ipv4?: string;
  ipv6?: string;
  port?: number;
}

export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name?: string;
  kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';
  timestamp?: number;
  duration?: number;
  localEndpoint?: ZipkinEndpoint;
  remoteEndpoint?: ZipkinEndpoint;
  annotations?: { timestamp: number; value: string }[];
  tags?: Record<string, string>;
  shared?: boolean;
  debug?: boolean;
}

const KINDS: Record<string, SpanKind> = { CLIENT: 'client', SERVER: 'server', PRODUCER: 'producer', CONSUMER: 'consumer' };

function endpoint(e: ZipkinEndpoint | undefined, withService: boolean): Endpoint | undefined {
  if (!e) return undefined;
  const ip = e.ipv6 ?? e.ipv4;
  const out: Endpoint = {
    ...(withService && e.serviceName ? { service: e.serviceName } : {}),
    ...(ip ? { ip } : {}),
    ...(e.port ? { port: e.port } : {}),
  };
  return Object.keys(out).length ? out : undefined;
}

export function fromZipkinTrace(spans: ZipkinSpan[]): Trace {
  const traceId = normalizeTraceId(spans[0]?.traceId ?? '');
  const warnings: string[] = [];
  const out: Span[] = spans.map((z) => {
    let error = false;
    let errorMessage: string | undefined;
    // The parsed tags object is ours: used as it is, without its error tag.
    const tags: Record<string, TagValue> = z.tags ?? {};
    const e = z.tags?.['error'];
    if (e !== undefined) {
      error = true;
      // Zipkin marks an error by the tag's presence; its value, when meaningful, is the message.
      if (e !== '' && e !== 'true') errorMessage = e;
      delete tags['error'];
    }
    if (z.timestamp === undefined) warnings.push(`span ${z.id} has no timestamp (an incomplete span); it is placed at the start of its parent`);
    const events = z.annotations?.length ? z.annotations.map((a) => ({ timeMicros: a.timestamp, name: a.value })) : [];
    return makeSpan({
      spanId: normalizeSpanId(z.id),
      parentId: z.parentId ? normalizeSpanId(z.parentId) : undefined,
      service: z.localEndpoint?.serviceName ?? 'unknown',
      operation: z.name ?? '',
      kind: z.kind ? (KINDS[z.kind] ?? 'internal') : 'internal',
      startMicros: z.timestamp ?? 0,
      durationMicros: z.duration ?? 0,
      error,
      errorMessage,
      tags,
      events,
      localEndpoint: endpoint(z.localEndpoint, false),
      remoteEndpoint: endpoint(z.remoteEndpoint, true),
    });
  });
  // Spans without a timestamp sit at their parent's start (or the trace's first start).
  const first = out.reduce((m, s) => (s.startMicros > 0 && s.startMicros < m ? s.startMicros : m), Infinity);
  const byId = new Map(out.map((s) => [s.spanId, s]));
  for (const s of out)
    if (s.startMicros === 0) s.startMicros = (s.parentId ? byId.get(s.parentId)?.startMicros : undefined) || (Number.isFinite(first) ? first : 0);
  return finishTrace(traceId, out, warnings);
}

/** Zipkin's search takes durations in microseconds, the window as end and lookback in milliseconds. */
export function zipkinSearchParams(q: SearchQuery): Record<string, string> {
  const terms = Object.entries(q.tags).map(([k, v]) => `${k}=${v}`);
  return {
    serviceName: q.service,
    ...(q.operation ? { spanName: q.operation } : {}),
    ...(terms.length ? { annotationQuery: terms.join(' and ') } : {}),
    // Zipkin takes maxDuration only together with a minDuration of at least 1 µs.
    ...(q.minDurationMicros !== undefined || q.maxDurationMicros !== undefined ? { minDuration: String(q.minDurationMicros || 1) } : {}),
    ...(q.maxDurationMicros !== undefined ? { maxDuration: String(q.maxDurationMicros) } : {}),
    endTs: String(Math.floor(q.endMicros / 1000)),
    lookback: String(Math.max(1, Math.floor((q.endMicros - q.startMicros) / 1000))),
    limit: String(q.limit),
  };
}

export class ZipkinBackend extends HttpBackend implements Backend {
  readonly type = 'zipkin' as const;

  async services(): Promise<string[]> {
    const r = await this.get('/api/v2/services');
    return parseJson<string[]>(r.body, 'list services').sort();
  }

  async operations(service: string): Promise<string[]> {
    const r = await this.get('/api/v2/spans', { serviceName: service });
    return parseJson<string[]>(r.body, `list the span names of ${service}`).sort();
  }

  async search(q: SearchQuery): Promise<Trace[]> {
    const r = await this.get('/api/v2/traces', zipkinSearchParams(q));
    return parseJson<ZipkinSpan[][]>(r.body, 'search traces')
      .filter((t) => t.length > 0)
      .map(fromZipkinTrace);
  }

  async trace(id: string): Promise<Trace | undefined> {
    // Our ids are 32 digits; a 64-bit id printed that way is asked for as Zipkin stored it (16 digits).
    const asked = /^0{16}[0-9a-f]{16}$/.test(id) ? id.slice(16) : id.length < 16 ? id.padStart(16, '0') : id;
    const r = await this.get(`/api/v2/trace/${encodeURIComponent(asked)}`, {}, [404]);
    if (r.status === 404) return undefined;
    const spans = parseJson<ZipkinSpan[]>(r.body, `read trace ${id}`);
    if (!Array.isArray(spans)) throw new BackendError(`Zipkin answered trace ${id} with something that is not a list of spans`);
    return spans.length ? fromZipkinTrace(spans) : undefined;
  }

  async dependencies(endMs: number, lookbackMs: number): Promise<DependencyLink[]> {
    const r = await this.get('/api/v2/dependencies', { endTs: String(endMs), lookback: String(lookbackMs) });
    return parseJson<{ parent: string; child: string; callCount?: number; errorCount?: number }[]>(r.body, 'read the service dependencies').map((l) => ({
      parent: l.parent,
      child: l.child,
      calls: l.callCount ?? 0,
      errors: l.errorCount ?? 0,
    }));
  }
}

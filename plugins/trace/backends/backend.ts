// What every tracing backend offers the reading commands, and the pieces the backends share.
import { CliError } from '../../../shared/errors.js';
import { sortSpans, type DependencyLink, type Span, type Trace } from '../model.js';

/** One GET relative to the backend's base: resolves whatever the status when it is listed in `accept`. */
export type Fetch = (path: string, query?: Record<string, string>, accept?: number[]) => Promise<{ status: number; body: string }>;

export interface SearchQuery {
  service: string;
  operation?: string | undefined;
  tags: Record<string, string>;
  minDurationMicros?: number | undefined;
  maxDurationMicros?: number | undefined;
  startMicros: number;
  endMicros: number;
  limit: number;
}

export type BackendType = 'jaeger' | 'zipkin';

export interface Backend {
  readonly type: BackendType;
  /** Where it was reached, for messages: "service istio-system/tracing:80 (Jaeger, base path /jaeger)". */
  readonly where: string;
  services(): Promise<string[]>;
  operations(service: string): Promise<string[]>;
  search(q: SearchQuery): Promise<Trace[]>;
  /** undefined when the backend does not know the trace. */
  trace(id: string): Promise<Trace | undefined>;
  dependencies(endMs: number, lookbackMs: number): Promise<DependencyLink[]>;
}

/** What Jaeger's and Zipkin's readers share: the request function and where it reaches. */
export abstract class HttpBackend {
  constructor(
    protected readonly get: Fetch,
    private readonly describe: () => string,
  ) {}

  /** Where it is read from, once known (the base path is found by the first request). */
  get where(): string {
    return this.describe();
  }
}

export type BackendErrorKind = 'not-found' | 'backend' | 'forbidden' | 'unreachable' | 'write-only';

/** A backend answered with something we cannot use, or could not be reached. */
export class BackendError extends CliError {
  static override readonly kind: string = 'BackendError';
  readonly reason: BackendErrorKind;
  constructor(message: string, reason: BackendErrorKind = 'backend') {
    super(message);
    this.reason = reason;
  }
}

export function parseJson<T>(body: string, what: string): T {
  try {
    return JSON.parse(body) as T;
  } catch {
    if (/^\s*</.test(body)) {
      throw new BackendError(
        `the tracing backend answered "${what}" with an HTML page, not JSON: is the base path right? (Istio's Jaeger addon serves its API under /jaeger)`,
      );
    }
    const head = body.trim().slice(0, 80).replace(/\s+/g, ' ');
    throw new BackendError(
      `the tracing backend answered "${what}" with something that is not JSON (${head || 'an empty body'}); is it a Jaeger or Zipkin query API?`,
    );
  }
}

/**
 * Sort the spans and make span ids unique. A span id seen twice (Zipkin's shared client/server spans,
 * or a span reported twice) keeps the first; a later one with the same content is dropped, and one
 * with other content gets a derived id, hangs under the first, and is named in a warning.
 */
export function finishTrace(traceId: string, spans: Span[], warnings: string[]): Trace {
  sortSpans(spans);
  const seen = new Map<string, Span>();
  const renamed = new Map<string, Span>();
  const out: Span[] = [];
  for (const s of spans) {
    const first = seen.get(s.spanId);
    if (!first) {
      seen.set(s.spanId, s);
      out.push(s);
      continue;
    }
    if (first.service === s.service && first.kind === s.kind && first.startMicros === s.startMicros && first.durationMicros === s.durationMicros) {
      warnings.push(`span ${s.spanId} was reported twice; the copy is ignored`);
      continue;
    }
    let n = 1;
    while (seen.has(`${s.spanId}.${n}`)) n++;
    const id = `${s.spanId}.${n}`;
    const copy: Span = { ...s, spanId: id, parentId: first.spanId };
    delete copy.parentType;
    seen.set(id, copy);
    if (!renamed.has(s.spanId)) renamed.set(s.spanId, copy);
    out.push(copy);
    warnings.push(
      `span id ${s.spanId} is shared by a ${first.kind} span of ${first.service} and a ${s.kind} span of ${s.service}; the second is shown as ${id}, under the first`,
    );
  }
  // Spans the second half reported under the shared id hang under that half (same service), not the first.
  if (renamed.size) {
    for (let i = 0; i < out.length; i++) {
      const s = out[i];
      const half = s.parentId !== undefined ? renamed.get(s.parentId) : undefined;
      if (half && half !== s && half.service === s.service && half.service !== seen.get(s.parentId!)!.service) out[i] = { ...s, parentId: half.spanId };
    }
  }
  return { traceId, spans: out, warnings };
}

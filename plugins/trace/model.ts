// One trace model whatever the backend: Jaeger's and Zipkin's JSON both become these shapes, so the
// waterfall, the critical path and `-o json` never depend on where a trace was read from.

import { outputApiVersion } from '../../shared/output/api.js';

/** The apiVersion of trace's -o json|yaml documents (not a Kubernetes API: nothing is stored under it). */
export const API_VERSION = outputApiVersion('trace');

export type SpanKind = 'client' | 'server' | 'producer' | 'consumer' | 'internal';
export type TagValue = string | number | boolean;

export interface SpanEvent {
  /** Epoch microseconds. */
  timeMicros: number;
  name: string;
  fields?: Record<string, TagValue>;
}

/** A link to another span besides the tree parent (Jaeger FOLLOWS_FROM, extra CHILD_OF). */
export interface SpanLink {
  type: 'child-of' | 'follows-from';
  traceId: string;
  spanId: string;
}

/** An address as the span reported it (an IPv6 address wins over an IPv4 one, as in OpenTelemetry's net.*.ip). */
export interface Endpoint {
  service?: string;
  ip?: string;
  port?: number;
}

export interface Span {
  spanId: string;
  /** The span this one hangs under in the tree (absent for a root). */
  parentId?: string;
  /** How the parent was named: a FOLLOWS_FROM parent does not wait for this span. */
  parentType?: 'follows-from';
  links?: SpanLink[];
  service: string;
  operation: string;
  kind: SpanKind;
  /** Epoch microseconds. */
  startMicros: number;
  durationMicros: number;
  error: boolean;
  /** The error's message when the backend gave one (Zipkin's `error` tag value, OTel's status description). */
  errorMessage?: string;
  tags: Record<string, TagValue>;
  events: SpanEvent[];
  /** Where the reporting process runs (its service is `service`), when reported. */
  localEndpoint?: Endpoint;
  /** The other side of a client or server span, when reported. */
  remoteEndpoint?: Endpoint;
}

export interface Trace {
  /** 32 lower-case hex digits (64-bit ids are left-padded, as Jaeger prints them). */
  traceId: string;
  /** Ordered by start time, then span id. */
  spans: Span[];
  /** What the backend said was wrong with the data (duplicate ids, missing parents...). */
  warnings: string[];
}

export interface DependencyLink {
  parent: string;
  child: string;
  calls: number;
  /** Absent when the backend does not count errors (Jaeger's dependency store). */
  errors?: number;
}

/** Normalise a trace id: lower case, 64-bit ids left-padded to 32 hex digits. */
export function normalizeTraceId(id: string): string {
  const lower = id.trim().toLowerCase();
  return lower.length < 32 ? lower.padStart(32, '0') : lower;
}

/** Normalise a span id: lower case, left-padded to 16 hex digits. */
export function normalizeSpanId(id: string): string {
  const lower = id.trim().toLowerCase();
  return lower.length < 16 ? lower.padStart(16, '0') : lower;
}

/** A trace id as typed by a user: 1-32 hex digits. */
export function isTraceId(id: string): boolean {
  return /^[0-9a-fA-F]{1,32}$/.test(id);
}

/**
 * A span with its fields always in the same order and the optional ones only when set: the backends
 * build spans through this, so `-o json` is byte for byte the same whichever backend a trace came from.
 */
export function makeSpan(f: Span): Span {
  const s = { spanId: f.spanId } as Span;
  if (f.parentId !== undefined) s.parentId = f.parentId;
  if (f.parentType !== undefined) s.parentType = f.parentType;
  if (f.links?.length) s.links = f.links;
  s.service = f.service;
  s.operation = f.operation;
  s.kind = f.kind;
  s.startMicros = f.startMicros;
  s.durationMicros = f.durationMicros;
  s.error = f.error;
  if (f.error && f.errorMessage) s.errorMessage = f.errorMessage;
  s.tags = f.tags;
  s.events = f.events;
  if (f.localEndpoint) s.localEndpoint = f.localEndpoint;
  if (f.remoteEndpoint) s.remoteEndpoint = f.remoteEndpoint;
  return s;
}

export function endMicros(s: Span): number {
  return s.startMicros + s.durationMicros;
}

/** Order spans as every view shows them: by start, then id, so output is stable. */
export function sortSpans(spans: Span[]): Span[] {
  const n = spans.length;
  // The start times sorted natively (no comparator calls), then each time's spans in id order.
  const times = new Float64Array(n);
  const byTime = new Map<number, Span | Span[]>();
  for (let i = 0; i < n; i++) {
    const s = spans[i];
    times[i] = s.startMicros;
    const had = byTime.get(s.startMicros);
    if (had === undefined) byTime.set(s.startMicros, s);
    else if (Array.isArray(had)) had.push(s);
    else byTime.set(s.startMicros, [had, s]);
  }
  times.sort();
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0 && times[i] === times[i - 1]) continue;
    const group = byTime.get(times[i])!;
    if (!Array.isArray(group)) spans[k++] = group;
    else for (const s of group.sort((a, b) => (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0))) spans[k++] = s;
  }
  return spans;
}

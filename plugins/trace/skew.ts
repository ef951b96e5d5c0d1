// Clock skew between services. A server span cannot start before its client sent the request nor end
// after the client got the answer; when it does, the two hosts' clocks disagree. As Jaeger's and
// Zipkin's UIs do, the server host's spans are shifted to sit in the middle of the client span (half
// of the difference each way, for the network), and every span that host reported below it moves
// with it. Spans of other hosts keep their own offset, worked out where they meet their parent.
import { endMicros, type Span, type Trace } from './model.js';
import type { SpanTree } from './tree.js';

export interface SkewAdjustment {
  service: string;
  /** Microseconds added to that service's spans (negative: moved earlier). */
  shiftMicros: number;
  /** The server span where the skew was seen. */
  spanId: string;
  spans: number;
}

/** Spans of one host share a clock: the service, and the address when reported (two pods differ). */
function sameHost(a: Span, b: Span): boolean {
  return a.service === b.service && (a.localEndpoint?.ip ?? '') === (b.localEndpoint?.ip ?? '');
}

/** The shift that puts a server span inside its (already adjusted) client span; 0 when it fits. */
function skewFix(client: Span, server: Span): number {
  if (server.startMicros >= client.startMicros && endMicros(server) <= endMicros(client)) return 0;
  const latency = Math.max(0, Math.floor((client.durationMicros - server.durationMicros) / 2));
  return client.startMicros + latency - server.startMicros;
}

const isRpc = (client: Span, server: Span) => client.kind === 'client' && server.kind === 'server' && !sameHost(client, server);

/**
 * Return a copy of the trace with skew corrected (spans in the tree's order; moved spans are new
 * objects), and what was moved. The trace is returned as it is when nothing needs moving.
 */
export function adjustClockSkew(trace: Trace, tree: SpanTree): { trace: Trace; adjustments: SkewAdjustment[] } {
  const { spans, parent, children } = tree;
  // Most traces need nothing: look first, without allocating.
  let needed = false;
  for (let i = 0; i < spans.length && !needed; i++) {
    const p = parent[i];
    if (p >= 0 && isRpc(spans[p], spans[i]) && skewFix(spans[p], spans[i]) !== 0) needed = true;
  }
  if (!needed) return { trace, adjustments: [] };
  const shift = new Float64Array(spans.length);
  const out = spans.slice();
  const adjustments: SkewAdjustment[] = [];
  const stack = [...tree.roots];
  while (stack.length) {
    const i = stack.pop()!;
    const s = spans[i];
    const delta = shift[i];
    if (delta !== 0) out[i] = { ...s, startMicros: s.startMicros + delta, events: s.events.map((e) => ({ ...e, timeMicros: e.timeMicros + delta })) };
    for (const c of children[i] ?? []) {
      let d = delta;
      if (!sameHost(spans[c], s)) {
        // Another host: its clock is its own. Only an RPC (server under client) tells us its offset.
        d = 0;
        if (isRpc(s, spans[c])) {
          const fix = skewFix(out[i], spans[c]);
          if (fix !== 0) {
            d = fix;
            adjustments.push({ service: spans[c].service, shiftMicros: fix, spanId: spans[c].spanId, spans: 0 });
          }
        }
      }
      shift[c] = d;
      stack.push(c);
    }
  }
  if (adjustments.length === 0) return { trace, adjustments };
  // Count the spans each adjustment moved (the server span and its same-host descendants).
  for (const a of adjustments) {
    const stackA = [tree.index.get(a.spanId)!];
    while (stackA.length) {
      const i = stackA.pop()!;
      a.spans++;
      for (const c of children[i] ?? []) if (sameHost(spans[c], spans[i])) stackA.push(c);
    }
  }
  return { trace: { ...trace, spans: out }, adjustments };
}

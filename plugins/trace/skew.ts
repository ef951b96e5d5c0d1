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

/**
 * Return a copy of the trace with skew corrected, and what was moved. The tree is the input trace's;
 * span objects are replaced, ids and structure do not change.
 */
export function adjustClockSkew(trace: Trace, tree: SpanTree): { trace: Trace; adjustments: SkewAdjustment[] } {
  const shift = new Map<string, number>();
  const adjustments: SkewAdjustment[] = [];
  const adjusted = new Map<string, Span>();
  const stack: Span[] = [...tree.roots].reverse();
  for (const r of tree.roots) shift.set(r.spanId, 0);
  while (stack.length) {
    const s = stack.pop()!;
    const delta = shift.get(s.spanId) ?? 0;
    const moved = delta === 0 ? s : { ...s, startMicros: s.startMicros + delta, events: s.events.map((e) => ({ ...e, timeMicros: e.timeMicros + delta })) };
    adjusted.set(s.spanId, moved);
    const kids = tree.children.get(s.spanId) ?? [];
    for (let i = kids.length - 1; i >= 0; i--) {
      const c = kids[i];
      let d = delta;
      if (hostKey(c) !== hostKey(s)) {
        // Another host: its clock is its own. Only an RPC (server under client) tells us its offset.
        d = 0;
        if (s.kind === 'client' && c.kind === 'server') {
          const fix = skewFix(moved, c);
          if (fix !== 0) {
            d = fix;
            adjustments.push({ service: c.service, shiftMicros: fix, spanId: c.spanId, spans: 0 });
          }
        }
      }
      shift.set(c.spanId, d);
      stack.push(c);
    }
  }
  if (adjustments.length === 0) return { trace, adjustments };
  // Count the spans each adjustment moved (the server span and its same-service descendants).
  for (const a of adjustments) {
    const stackA = [a.spanId];
    while (stackA.length) {
      const id = stackA.pop()!;
      a.spans++;
      const key = hostKey(tree.byId.get(id)!);
      for (const c of tree.children.get(id) ?? []) if (hostKey(c) === key) stackA.push(c.spanId);
    }
  }
  return { trace: { ...trace, spans: trace.spans.map((s) => adjusted.get(s.spanId) ?? s) }, adjustments };
}

/** Spans of one host share a clock: the service, and the address when reported (two pods differ). */
export function hostKey(s: Span): string {
  return `${s.service}|${s.localEndpoint?.ip ?? ''}`;
}

/** The shift that puts a server span inside its (already adjusted) client span; 0 when it fits. */
function skewFix(client: Span, server: Span): number {
  if (server.startMicros >= client.startMicros && endMicros(server) <= endMicros(client)) return 0;
  const latency = Math.max(0, Math.floor((client.durationMicros - server.durationMicros) / 2));
  return client.startMicros + latency - server.startMicros;
}

// The critical path: the chain of work that decided how long the trace took, computed as Jaeger UI
// does. From each root, walk to the last-finishing child; from there back up, taking at each level the
// child that finished last before the point reached. Children are clipped to their parent's window
// (work that overflows cannot make the parent longer) and dropped when wholly outside it; children the
// parent does not wait for (FOLLOWS_FROM, a CONSUMER under a PRODUCER) and their subtrees are left out.
// Iterative, over span numbers, with each span's children sorted by end once, so 10,000-span traces
// stay fast and deep ones cannot overflow the stack.
import { endMicros, type Span } from './model.js';
import type { SpanTree } from './tree.js';

export interface CriticalSection {
  spanId: string;
  startMicros: number;
  endMicros: number;
}

export interface CriticalPath {
  sections: CriticalSection[];
  totalMicros: number;
  /** Time on the path per service, largest first. */
  byService: { service: string; micros: number }[];
  /** Time on the path per span id. */
  bySpan: Map<string, number>;
  /** Time on the path per span number (the tree's). */
  byIndex: Float64Array;
  /** The sections of each span number. */
  sectionsOf: (CriticalSection[] | undefined)[];
}

/** A child the parent does not wait for. */
export function isNonBlocking(child: Span, parent: Span): boolean {
  return child.parentType === 'follows-from' || (parent.kind === 'producer' && child.kind === 'consumer');
}

export function criticalPath(tree: SpanTree): CriticalPath {
  const { spans } = tree;
  const n = spans.length;
  // Each span's window, clipped to its (clipped) parent's, and its blocking children by end descending.
  const start = new Float64Array(n);
  const end = new Float64Array(n);
  const kids: (number[] | undefined)[] = new Array<number[] | undefined>(n);
  const byEndDesc = (a: number, b: number) => end[b] - end[a];
  const sections: CriticalSection[] = [];
  const byIndex = new Float64Array(n);
  const sectionsOf: (CriticalSection[] | undefined)[] = new Array<CriticalSection[] | undefined>(n);
  for (const root of tree.roots) {
    start[root] = spans[root].startMicros;
    end[root] = endMicros(spans[root]);
    const stack = [root];
    while (stack.length) {
      const w = stack.pop()!;
      for (const c of tree.children[w] ?? []) {
        const s = spans[c];
        if (isNonBlocking(s, spans[w])) continue;
        // Wholly outside the parent (Jaeger's rule: starts at or after its end, or ends at or before its start).
        if (s.startMicros >= end[w] || endMicros(s) <= start[w]) continue;
        start[c] = Math.max(s.startMicros, start[w]);
        end[c] = Math.min(endMicros(s), end[w]);
        (kids[w] ??= []).push(c);
        stack.push(c);
      }
      // Children arrive by start time; a stable sort by end keeps the earliest start first among equal ends.
      kids[w]?.sort(byEndDesc);
    }
    // The walk: down to the last-finishing child, back up with the point reached.
    let current = root;
    let returning: number | undefined;
    for (;;) {
      const lfc = lastFinishing(kids[current], end, returning);
      const sectionEnd = returning ?? end[current];
      if (lfc !== undefined) {
        if (end[lfc] !== sectionEnd) add(current, end[lfc], sectionEnd);
        current = lfc;
        returning = undefined;
      } else {
        if (start[current] !== sectionEnd) add(current, start[current], sectionEnd);
        if (current === root) break;
        returning = start[current];
        current = tree.parent[current];
      }
    }
  }
  function add(i: number, from: number, to: number) {
    const section = { spanId: spans[i].spanId, startMicros: from, endMicros: to };
    sections.push(section);
    (sectionsOf[i] ??= []).push(section);
    byIndex[i] += to - from;
  }
  const bySpan = new Map<string, number>();
  const services = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < n; i++) {
    const t = byIndex[i];
    if (t === 0) continue;
    total += t;
    bySpan.set(spans[i].spanId, t);
    services.set(spans[i].service, (services.get(spans[i].service) ?? 0) + t);
  }
  const byService = [...services.entries()]
    .map(([service, micros]) => ({ service, micros }))
    .sort((a, b) => b.micros - a.micros || (a.service < b.service ? -1 : 1));
  return { sections, totalMicros: total, byService, bySpan, byIndex, sectionsOf };
}

/** The child ending last, strictly before `before` when given. `kids` is sorted by end descending. */
function lastFinishing(kids: number[] | undefined, end: Float64Array, before: number | undefined): number | undefined {
  if (!kids?.length) return undefined;
  if (before === undefined) return kids[0];
  // The first index whose end < before: the first of its run of equal ends, so the earliest start among them.
  let lo = 0;
  let hi = kids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (end[kids[mid]] < before) hi = mid;
    else lo = mid + 1;
  }
  return lo < kids.length ? kids[lo] : undefined;
}

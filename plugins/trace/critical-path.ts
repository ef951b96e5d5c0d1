// The critical path: the chain of work that decided how long the trace took, computed as Jaeger UI
// does. From each root, walk to the last-finishing child; from there back up, taking at each level the
// child that finished last before the point reached. Children are clipped to their parent's window
// (work that overflows cannot make the parent longer) and dropped when wholly outside it; children the
// parent does not wait for (FOLLOWS_FROM, a CONSUMER under a PRODUCER) and their subtrees are left out.
// Iterative, with each span's children sorted by end once, so 10,000-span traces stay fast.
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
  /** Time on the path per span. */
  bySpan: Map<string, number>;
}

interface Window {
  span: Span;
  start: number;
  end: number;
  parent?: Window;
  /** Blocking children, by end time descending (ties: earlier start first, then id). */
  children: Window[];
}

/** A child the parent does not wait for. */
export function isNonBlocking(child: Span, parent: Span): boolean {
  return child.parentType === 'follows-from' || (parent.kind === 'producer' && child.kind === 'consumer');
}

/** Clip each root's blocking subtree to its parents' windows (top-down, so clipping accumulates). */
function windows(tree: SpanTree, root: Span): Window {
  const top: Window = { span: root, start: root.startMicros, end: endMicros(root), children: [] };
  const stack: Window[] = [top];
  while (stack.length) {
    const w = stack.pop()!;
    for (const c of tree.children.get(w.span.spanId) ?? []) {
      if (isNonBlocking(c, w.span)) continue;
      const start = Math.max(c.startMicros, w.start);
      const end = Math.min(endMicros(c), w.end);
      // Wholly outside the parent (Jaeger's rule: starts at or after its end, or ends at or before its start).
      if (c.startMicros >= w.end || endMicros(c) <= w.start) continue;
      const cw: Window = { span: c, start, end, parent: w, children: [] };
      w.children.push(cw);
      stack.push(cw);
    }
    // Children arrive by start time; a stable sort by end keeps the earliest start first among equal ends.
    w.children.sort((a, b) => b.end - a.end);
  }
  return top;
}

/** The child ending last, strictly before `before` when given. Children are sorted by end descending. */
function lastFinishing(w: Window, before: number | undefined): Window | undefined {
  const kids = w.children;
  if (kids.length === 0) return undefined;
  if (before === undefined) return kids[0];
  // First index whose end < before.
  let lo = 0;
  let hi = kids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (kids[mid].end < before) hi = mid;
    else lo = mid + 1;
  }
  // The first of its run of equal ends, so the earliest start among them.
  return kids[lo];
}

export function criticalPath(tree: SpanTree): CriticalPath {
  const sections: CriticalSection[] = [];
  for (const root of tree.roots) {
    let current: Window | undefined = windows(tree, root);
    let returning: number | undefined;
    while (current) {
      const lfc = lastFinishing(current, returning);
      const sectionEnd = returning ?? current.end;
      if (lfc) {
        if (lfc.end !== sectionEnd) sections.push({ spanId: current.span.spanId, startMicros: lfc.end, endMicros: sectionEnd });
        current = lfc;
        returning = undefined;
      } else {
        if (current.start !== sectionEnd) sections.push({ spanId: current.span.spanId, startMicros: current.start, endMicros: sectionEnd });
        returning = current.start;
        current = current.parent;
      }
    }
  }
  const bySpan = new Map<string, number>();
  const services = new Map<string, number>();
  let total = 0;
  for (const s of sections) {
    const len = s.endMicros - s.startMicros;
    total += len;
    bySpan.set(s.spanId, (bySpan.get(s.spanId) ?? 0) + len);
    const service = tree.byId.get(s.spanId)!.service;
    services.set(service, (services.get(service) ?? 0) + len);
  }
  const byService = [...services.entries()]
    .map(([service, micros]) => ({ service, micros }))
    .sort((a, b) => b.micros - a.micros || (a.service < b.service ? -1 : 1));
  return { sections, totalMicros: total, byService, bySpan };
}

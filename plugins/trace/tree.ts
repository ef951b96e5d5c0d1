// The span tree of a trace: who hangs under whom, roots, depth. Built once (O(n log n)) and shared by
// the clock-skew adjuster, the critical path and the waterfall.
import type { Span, Trace } from './model.js';

export interface SpanTree {
  byId: Map<string, Span>;
  /** The parent of each non-root span. */
  parent: Map<string, Span>;
  /** Children of each span, by start time then id. */
  children: Map<string, Span[]>;
  /** Spans without a parent in this trace, by start time. */
  roots: Span[];
  /** Root = 0. */
  depth: Map<string, number>;
  /** Spans whose parent id is not in the trace (reported late, dropped, or sampled out). */
  orphans: Span[];
}

const byStart = (a: Span, b: Span) => a.startMicros - b.startMicros || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0);

export function buildTree(trace: Trace): SpanTree {
  const byId = new Map<string, Span>();
  for (const s of trace.spans) if (!byId.has(s.spanId)) byId.set(s.spanId, s);
  const children = new Map<string, Span[]>();
  const parents = new Map<string, Span>();
  const roots: Span[] = [];
  const orphans: Span[] = [];
  for (const s of trace.spans) {
    const parent = s.parentId !== undefined ? byId.get(s.parentId) : undefined;
    if (!parent || parent === s) {
      roots.push(s);
      if (s.parentId !== undefined && !parent) orphans.push(s);
      continue;
    }
    let list = children.get(parent.spanId);
    if (!list) children.set(parent.spanId, (list = []));
    list.push(s);
    parents.set(s.spanId, parent);
  }
  for (const list of children.values()) list.sort(byStart);
  roots.sort(byStart);
  // Depth by a walk from the roots; spans never reached sit on a parent cycle (bad data): they become roots.
  const depth = new Map<string, number>();
  const walk = (from: Span[]) => {
    const stack: [Span, number][] = from.map((r) => [r, 0]);
    while (stack.length) {
      const [s, d] = stack.pop()!;
      if (depth.has(s.spanId)) continue;
      depth.set(s.spanId, d);
      for (const c of children.get(s.spanId) ?? []) stack.push([c, d + 1]);
    }
  };
  walk(roots);
  for (const s of trace.spans) {
    if (depth.has(s.spanId)) continue;
    // Break the cycle at this span: detach it from its parent's children.
    const p = s.parentId !== undefined ? children.get(s.parentId) : undefined;
    if (p) p.splice(p.indexOf(s), 1);
    parents.delete(s.spanId);
    roots.push(s);
    walk([s]);
  }
  return { byId, parent: parents, children, roots, depth, orphans };
}

/** Spans in display order: depth first from each root, children by start time. */
export function depthFirst(tree: SpanTree): Span[] {
  const out: Span[] = [];
  const stack = [...tree.roots].reverse();
  while (stack.length) {
    const s = stack.pop()!;
    out.push(s);
    const kids = tree.children.get(s.spanId);
    if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
  }
  return out;
}

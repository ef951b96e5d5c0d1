// The span tree of a trace: who hangs under whom, roots, depth. Spans are numbered by their position
// in start order and the tree is kept in typed arrays of those numbers: built in one pass over the
// spans (no sorting when they arrive sorted), so a 10,000-span trace costs little to walk.
import { sortSpans, type Span, type Trace } from './model.js';

export interface SpanTree {
  /** The spans by start time, then id: a span's number is its position here. */
  spans: Span[];
  /** Span id -> number. */
  index: Map<string, number>;
  /** The parent's number, -1 for a root. */
  parent: Int32Array;
  /** The children's numbers, in start order (undefined: none). */
  children: (number[] | undefined)[];
  /** Root = 0. */
  depth: Int32Array;
  /** Spans without a parent in this trace, in start order. */
  roots: number[];
  /** Spans whose parent id is not in the trace (reported late, dropped, or sampled out). */
  orphans: number[];
}

const byStart = (a: Span, b: Span) => a.startMicros - b.startMicros || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0);

/** Build the tree; the trace's spans are sorted in place first if they are not in start order. */
export function buildTree(trace: Trace): SpanTree {
  const spans = trace.spans;
  for (let i = 1; i < spans.length; i++) {
    if (byStart(spans[i - 1], spans[i]) > 0) {
      sortSpans(spans);
      break;
    }
  }
  const n = spans.length;
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) if (!index.has(spans[i].spanId)) index.set(spans[i].spanId, i);
  const parent = new Int32Array(n).fill(-1);
  const children: (number[] | undefined)[] = new Array<number[] | undefined>(n);
  const roots: number[] = [];
  const orphans: number[] = [];
  for (let i = 0; i < n; i++) {
    const pid = spans[i].parentId;
    const p = pid === undefined ? undefined : index.get(pid);
    if (p === undefined || p === i) {
      roots.push(i);
      if (pid !== undefined && p === undefined) orphans.push(i);
      continue;
    }
    parent[i] = p;
    // Children are pushed in index order, which is start order.
    (children[p] ??= []).push(i);
  }
  // Depth by a walk from the roots; spans never reached sit on a parent cycle (bad data): they become roots.
  const depth = new Int32Array(n).fill(-1);
  const walk = (from: number) => {
    const stack = [from];
    depth[from] = 0;
    while (stack.length) {
      const s = stack.pop()!;
      const kids = children[s];
      if (!kids) continue;
      for (const c of kids) {
        if (depth[c] !== -1) continue;
        depth[c] = depth[s] + 1;
        stack.push(c);
      }
    }
  };
  for (const r of roots) walk(r);
  for (let i = 0; i < n; i++) {
    if (depth[i] !== -1) continue;
    // Break the cycle at this span: detach it from its parent.
    const kids = children[parent[i]];
    if (kids) kids.splice(kids.indexOf(i), 1);
    parent[i] = -1;
    roots.push(i);
    walk(i);
  }
  if (roots.some((r, k) => k > 0 && roots[k - 1] > r)) roots.sort((a, b) => a - b);
  return { spans, index, parent, children, depth, roots, orphans };
}

/** Span numbers in display order: depth first from each root, children by start time. */
export function depthFirst(tree: SpanTree): number[] {
  const out: number[] = [];
  const stack = [...tree.roots].reverse();
  while (stack.length) {
    const s = stack.pop()!;
    out.push(s);
    const kids = tree.children[s];
    if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
  }
  return out;
}

/** The numbers of a span and everything below it. */
export function subtree(tree: SpanTree, from: number): number[] {
  const out: number[] = [];
  const stack = [from];
  while (stack.length) {
    const s = stack.pop()!;
    out.push(s);
    const kids = tree.children[s];
    if (kids) for (const c of kids) stack.push(c);
  }
  return out;
}

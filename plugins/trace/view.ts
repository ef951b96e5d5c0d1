// A trace made ready to show: clock skew corrected, the tree and the critical path computed once, and
// the -o json|yaml document built from them. Pure.
import { criticalPath, isNonBlocking, type CriticalPath } from './critical-path.js';
import { API_VERSION, endMicros, type Span, type Trace } from './model.js';
import { adjustClockSkew, type SkewAdjustment } from './skew.js';
import { buildTree, depthFirst, type SpanTree } from './tree.js';

export interface TraceView {
  trace: Trace;
  tree: SpanTree;
  critical: CriticalPath;
  adjustments: SkewAdjustment[];
  startMicros: number;
  endMicros: number;
  /** Services in order of first appearance (the colour order). */
  services: string[];
  errors: number;
  /** Spans that end after their parent ends or start before it starts (async work, or skew left over). */
  overflows: Span[];
}

export function analyze(input: Trace, opts: { raw?: boolean } = {}): TraceView {
  const firstTree = buildTree(input);
  const { trace, adjustments } = opts.raw ? { trace: input, adjustments: [] } : adjustClockSkew(input, firstTree);
  const tree = adjustments.length ? buildTree(trace) : firstTree;
  let start = Infinity;
  let end = -Infinity;
  let errors = 0;
  const services: string[] = [];
  const seen = new Set<string>();
  for (const s of trace.spans) {
    if (s.startMicros < start) start = s.startMicros;
    if (endMicros(s) > end) end = endMicros(s);
    if (s.error) errors++;
  }
  for (const i of depthFirst(tree)) {
    const svc = tree.spans[i].service;
    if (!seen.has(svc)) {
      seen.add(svc);
      services.push(svc);
    }
  }
  const overflows: Span[] = [];
  for (let i = 0; i < tree.spans.length; i++) {
    if (tree.parent[i] < 0) continue;
    const s = tree.spans[i];
    const p = tree.spans[tree.parent[i]];
    if (isNonBlocking(s, p)) continue;
    if (s.startMicros < p.startMicros || endMicros(s) > endMicros(p)) overflows.push(s);
  }
  return {
    trace,
    tree,
    critical: criticalPath(tree),
    adjustments,
    startMicros: Number.isFinite(start) ? start : 0,
    endMicros: Number.isFinite(end) ? end : 0,
    services,
    errors,
    overflows,
  };
}

/** RFC 3339 with microseconds, UTC. */
export function isoMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const rest = String(Math.round(micros - ms * 1000)).padStart(3, '0');
  return new Date(ms).toISOString().replace(/Z$/, `${rest}Z`);
}

/** The trace root shown in lists and headers: the earliest root span. */
export function rootSpan(view: { tree: SpanTree }): Span | undefined {
  const r = view.tree.roots[0];
  return r === undefined ? undefined : view.tree.spans[r];
}

/** The document `show -o json|yaml` prints: the same whichever backend the trace came from. */
export function traceDocument(view: TraceView) {
  const root = rootSpan(view);
  return {
    apiVersion: API_VERSION,
    kind: 'Trace',
    traceId: view.trace.traceId,
    rootService: root?.service ?? '',
    rootOperation: root?.operation ?? '',
    startTime: isoMicros(view.startMicros),
    durationMicros: view.endMicros - view.startMicros,
    spanCount: view.trace.spans.length,
    errorCount: view.errors,
    services: view.services,
    criticalPath: {
      totalMicros: view.critical.totalMicros,
      byService: view.critical.byService,
      sections: view.critical.sections,
    },
    clockSkewAdjustments: view.adjustments,
    warnings: view.trace.warnings,
    spans: view.tree.spans.map((s, i) => ({ ...s, depth: view.tree.depth[i], criticalMicros: view.critical.byIndex[i] })),
  };
}

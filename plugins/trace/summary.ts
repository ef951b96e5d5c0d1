// One line per trace for `list`: root, start, duration, size, services and errors. Pure.
import { endMicros, type Trace } from './model.js';
import { adjustClockSkew } from './skew.js';
import { buildTree } from './tree.js';
import { isoMicros } from './view.js';

export interface TraceSummary {
  traceId: string;
  rootService: string;
  rootOperation: string;
  startTime: string;
  startMicros: number;
  durationMicros: number;
  spans: number;
  services: string[];
  errors: number;
}

export function summarize(input: Trace): TraceSummary {
  // Skew corrected as in `show`, so the duration listed is the one the waterfall shows.
  const first = buildTree(input);
  const { trace: t, adjustments } = adjustClockSkew(input, first);
  const tree = adjustments.length ? buildTree(t) : first;
  const root = tree.roots.length ? tree.spans[tree.roots[0]] : undefined;
  let start = Infinity;
  let end = -Infinity;
  let errors = 0;
  const services = new Set<string>();
  for (const s of t.spans) {
    start = Math.min(start, s.startMicros);
    end = Math.max(end, endMicros(s));
    if (s.error) errors++;
    services.add(s.service);
  }
  if (!Number.isFinite(start)) start = end = 0;
  return {
    traceId: t.traceId,
    rootService: root?.service ?? '',
    rootOperation: root?.operation ?? '',
    startTime: isoMicros(start),
    startMicros: start,
    durationMicros: end - start,
    spans: t.spans.length,
    services: [...services].sort(),
    errors,
  };
}

/** Newest first, as trace UIs list them; a trace found twice (several roots) is listed once. */
export function summarizeAll(traces: Trace[]): TraceSummary[] {
  const seen = new Set<string>();
  const out: TraceSummary[] = [];
  for (const t of traces) {
    if (seen.has(t.traceId)) continue;
    seen.add(t.traceId);
    out.push(summarize(t));
  }
  return out.sort((a, b) => b.startMicros - a.startMicros || (a.traceId < b.traceId ? -1 : 1));
}

// The span waterfall in the terminal: the span tree on the left, each span's bar on a time axis scaled
// to the terminal width, a colour per service, errors marked, the critical path drawn solid (the rest
// of a bar shaded) and summed per service under the chart. Pure: a view and options in, text out.
import type { Color, Painter } from '../../shared/output/color.js';
import { endMicros, type Span } from './model.js';
import { formatMicros, truncate, truncateMiddle } from './format.js';
import { isoMicros, rootSpan, type TraceView } from './view.js';

export interface WaterfallOptions {
  /** Total width in columns. */
  width: number;
  /** Show spans down to this depth (1: roots only). */
  depth?: number | undefined;
  /** Only spans of these services (and the spans above them, for context). */
  service?: string | undefined;
  criticalOnly: boolean;
  tags: boolean;
  paint: Painter;
}

const PALETTE: Color[] = ['cyan', 'magenta', 'blue', 'yellow', 'green'];
const CRITICAL = '█';
const OTHER = '░';
const ERROR_MARK = '✗';

/** "reviews" matches the service "reviews.default" (Istio names services <app>.<namespace>). */
export function serviceMatches(service: string, wanted: string): boolean {
  return service === wanted || service.split('.')[0] === wanted;
}

/** The spans shown: always closed under "parent of", so the tree stays a tree. */
function visibleSpans(view: TraceView, o: WaterfallOptions): Set<string> {
  const { tree } = view;
  const keep = new Set<string>();
  const addWithAncestors = (s: Span) => {
    for (let x: Span | undefined = s; x && !keep.has(x.spanId); x = tree.parent.get(x.spanId)) keep.add(x.spanId);
  };
  for (const s of view.trace.spans) {
    const depth = (tree.depth.get(s.spanId) ?? 0) + 1;
    if (o.depth !== undefined && depth > o.depth) continue;
    if (o.criticalOnly && !view.critical.bySpan.has(s.spanId)) continue;
    if (o.service !== undefined && !serviceMatches(s.service, o.service)) continue;
    addWithAncestors(s);
  }
  return keep;
}

interface Row {
  span: Span;
  guide: string;
  /** What goes under this row's guide for lines that belong to it (its tags). */
  under: string;
  /** Spans below it that are hidden by --depth. */
  hidden: number;
  context: boolean;
}

function rows(view: TraceView, keep: Set<string>, o: WaterfallOptions): Row[] {
  const out: Row[] = [];
  const { tree } = view;
  const countBelow = (s: Span): number => {
    let n = 0;
    const stack = [...(tree.children.get(s.spanId) ?? [])];
    while (stack.length) {
      const x = stack.pop()!;
      n++;
      for (const c of tree.children.get(x.spanId) ?? []) stack.push(c);
    }
    return n;
  };
  const stack: { span: Span; prefix: string; last: boolean; top: boolean }[] = [];
  const roots = tree.roots.filter((r) => keep.has(r.spanId));
  for (let i = roots.length - 1; i >= 0; i--) stack.push({ span: roots[i], prefix: '', last: true, top: true });
  while (stack.length) {
    const { span, prefix, last, top } = stack.pop()!;
    const kids = (tree.children.get(span.spanId) ?? []).filter((c) => keep.has(c.spanId));
    const all = tree.children.get(span.spanId) ?? [];
    const hidden = o.depth !== undefined && kids.length === 0 && all.length > 0 ? countBelow(span) : 0;
    const context = o.service !== undefined && !serviceMatches(span.service, o.service);
    const childPrefix = top ? '' : `${prefix}${last ? '   ' : '│  '}`;
    out.push({ span, guide: top ? '' : `${prefix}${last ? '└─ ' : '├─ '}`, under: `${childPrefix}${kids.length ? '│  ' : '   '}`, hidden, context });
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ span: kids[i], prefix: childPrefix, last: i === kids.length - 1, top: false });
  }
  return out;
}

/** The time axis: labels at 0, ¼, ½, ¾ and the end, over `width` columns. */
function axis(width: number, totalMicros: number): string {
  const line = Array.from({ length: width }, () => ' ');
  const put = (pos: number, text: string) => {
    const at = Math.max(0, Math.min(width - text.length, pos));
    for (let i = 0; i < text.length && at + i < width; i++) line[at + i] = text[i];
  };
  put(0, '0');
  for (const f of [0.25, 0.5, 0.75]) {
    const label = formatMicros(totalMicros * f);
    const pos = Math.round(width * f) - Math.floor(label.length / 2);
    // Skip a label that would run into its neighbour.
    if (line.slice(Math.max(0, pos - 1), pos + label.length + 1).every((c) => c === ' ')) put(pos, label);
  }
  const endLabel = formatMicros(totalMicros);
  if (line.slice(width - endLabel.length - 1).every((c) => c === ' ')) put(width - endLabel.length, endLabel);
  return line.join('').trimEnd();
}

function bar(span: Span, view: TraceView, width: number, sections: { startMicros: number; endMicros: number }[]): { text: string; critical: boolean[] } {
  const total = Math.max(1, view.endMicros - view.startMicros);
  const scale = width / total;
  const col = (t: number) => (t - view.startMicros) * scale;
  const c0 = Math.min(width - 1, Math.max(0, Math.floor(col(span.startMicros))));
  const c1 = Math.min(width, Math.max(c0 + 1, Math.ceil(col(endMicros(span)))));
  const critical = Array.from({ length: width }, () => false);
  for (const s of sections) {
    const a = Math.min(width - 1, Math.max(0, Math.floor(col(s.startMicros))));
    const b = Math.min(width, Math.max(a + 1, Math.ceil(col(s.endMicros))));
    for (let i = a; i < b; i++) critical[i] = true;
  }
  let text = ' '.repeat(c0);
  for (let i = c0; i < c1; i++) text += critical[i] ? CRITICAL : OTHER;
  return { text, critical };
}

function tagLines(span: Span, indent: string, width: number): string[] {
  const items = [
    `kind=${span.kind}`,
    ...(span.errorMessage ? [`error=${span.errorMessage}`] : span.error ? ['error=true'] : []),
    ...Object.entries(span.tags)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${String(v)}`),
    ...(span.remoteEndpoint
      ? [`peer=${[span.remoteEndpoint.service, span.remoteEndpoint.ip, span.remoteEndpoint.port].filter((x) => x !== undefined).join(' ')}`]
      : []),
    ...(span.localEndpoint ? [`host=${[span.localEndpoint.ip, span.localEndpoint.port].filter((x) => x !== undefined).join(':')}`] : []),
    ...span.events.map((e) => `@${formatMicros(e.timeMicros - span.startMicros)} ${e.name}${e.fields ? ` ${JSON.stringify(e.fields)}` : ''}`),
    `span=${span.spanId}`,
  ];
  const out: string[] = [];
  let line = indent;
  for (const item of items) {
    const cut = truncate(item, Math.max(10, width - indent.length));
    if (line.length > indent.length && line.length + 2 + cut.length > width) {
      out.push(line);
      line = indent;
    }
    line += (line.length > indent.length ? '  ' : '') + cut;
  }
  if (line.length > indent.length) out.push(line);
  return out;
}

export function renderWaterfall(view: TraceView, o: WaterfallOptions): string {
  const paint = o.paint;
  const colorOf = new Map(view.services.map((s, i) => [s, PALETTE[i % PALETTE.length]]));
  const svc = (s: string, text = s) => paint(colorOf.get(s) ?? 'cyan', text);
  const total = view.endMicros - view.startMicros;
  const root = rootSpan(view);
  const out: string[] = [];
  out.push(`${paint('bold', 'Trace')} ${view.trace.traceId}`);
  if (root) out.push(`${svc(root.service)}: ${root.operation}`);
  out.push(
    `Started ${isoMicros(view.startMicros)} · ${formatMicros(total)} · ${view.trace.spans.length} span${view.trace.spans.length === 1 ? '' : 's'} · ` +
      `${view.services.length} service${view.services.length === 1 ? '' : 's'} · ${view.errors ? paint('red', `${view.errors} error${view.errors === 1 ? '' : 's'}`) : '0 errors'}`,
  );
  out.push('');

  const keep = visibleSpans(view, o);
  const list = rows(view, keep, o);
  const sectionsBySpan = new Map<string, { startMicros: number; endMicros: number }[]>();
  for (const s of view.critical.sections) {
    let l = sectionsBySpan.get(s.spanId);
    if (!l) sectionsBySpan.set(s.spanId, (l = []));
    l.push(s);
  }
  // Columns: label, duration, bar. The label takes what it needs up to 45% of the width.
  const durWidth = 9;
  const labelOf = (r: Row) =>
    `${r.guide}${r.span.error ? `${ERROR_MARK} ` : ''}${r.span.service} ${r.span.operation} ${r.span.kind}${r.hidden ? ` (+${r.hidden})` : ''}`;
  const maxLabel = list.reduce((m, r) => Math.max(m, labelOf(r).length), 4);
  // The bar keeps at least 40% of the width (30 columns); the label takes what it needs of the rest.
  const minBar = Math.max(30, Math.floor(o.width * 0.4));
  const labelWidth = Math.min(maxLabel, Math.max(24, o.width - durWidth - 3 - minBar));
  const barWidth = Math.max(10, o.width - labelWidth - durWidth - 3);
  out.push(`${'SPAN'.padEnd(labelWidth)} ${'DURATION'.padStart(durWidth)}  ${axis(barWidth, total)}`.trimEnd());
  for (const r of list) {
    const s = r.span;
    // Truncate the operation first; the tree guides and the service stay readable.
    const fixed = `${r.guide}${s.error ? `${ERROR_MARK} ` : ''}${s.service} `;
    const tail = ` ${s.kind}${r.hidden ? ` (+${r.hidden})` : ''}`;
    const opRoom = labelWidth - fixed.length - tail.length;
    let label: string;
    if (opRoom >= 4) label = `${fixed}${truncateMiddle(s.operation, opRoom)}${tail}`;
    else label = truncate(`${fixed}${s.operation}${tail}`, labelWidth);
    const pad = ' '.repeat(Math.max(0, labelWidth - label.length));
    const painted = paintLabel(label, r, s, paint, svc);
    const { text } = bar(s, view, barWidth, sectionsBySpan.get(s.spanId) ?? []);
    const barText = s.error ? paint('red', text) : svc(s.service, text);
    out.push(`${painted}${pad} ${formatMicros(s.durationMicros).padStart(durWidth)}  ${r.context ? paint('gray', text) : barText}`.trimEnd());
    if (o.tags) for (const l of tagLines(s, r.under, o.width)) out.push(paint('gray', l));
  }
  out.push('');
  out.push(...criticalSummary(view, paint, svc));
  return out.join('\n') + '\n';
}

function paintLabel(label: string, r: Row, s: Span, paint: Painter, svc: (s: string, text?: string) => string): string {
  if (r.context) return paint('gray', label);
  const at = label.indexOf(s.service, r.guide.length);
  if (at < 0) return label;
  const before = label.slice(0, at);
  const marked = s.error ? before.replace(ERROR_MARK, paint('red', ERROR_MARK)) : before;
  return `${marked}${svc(s.service)}${label.slice(at + s.service.length)}`;
}

/** Time on the critical path per service, as a small kubectl-style table. */
export function criticalSummary(view: TraceView, paint: Painter, svc: (s: string, text?: string) => string): string[] {
  const total = view.critical.totalMicros;
  if (total === 0) return ['Critical path: empty (no span has a duration)'];
  const width = Math.max(7, ...view.critical.byService.map((b) => b.service.length));
  const lines = [`${'CRITICAL PATH'.padEnd(width)}   ${'TIME'.padStart(9)}   SHARE`];
  for (const b of view.critical.byService) {
    lines.push(
      `${svc(b.service)}${' '.repeat(width - b.service.length)}   ${formatMicros(b.micros).padStart(9)}   ${`${Math.round((b.micros / total) * 100)}%`.padStart(5)}`,
    );
  }
  lines.push(`${'total'.padEnd(width)}   ${formatMicros(total).padStart(9)}   ${'100%'.padStart(5)}`);
  return lines;
}

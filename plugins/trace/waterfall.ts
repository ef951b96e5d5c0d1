// The span waterfall in the terminal: the span tree on the left, each span's bar on a time axis scaled
// to the terminal width, a colour per service, errors marked, the critical path drawn solid (the rest
// of a bar shaded) and summed per service under the chart. Pure: a view and options in, text out.
import type { Color, Painter } from '../../shared/output/color.js';
import { endMicros, type Span } from './model.js';
import { formatMicros, truncate, truncateMiddle } from './format.js';
import { subtree } from './tree.js';
import { isoMicros, rootSpan, type TraceView } from './view.js';
import { counted } from '../../shared/output/plural.js';

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

const NONE: number[] = [];
const PALETTE: Color[] = ['cyan', 'magenta', 'blue', 'yellow', 'green'];
const CRITICAL = '█';
const OTHER = '░';
const ERROR_MARK = '✗';

/** "reviews" matches the service "reviews.default" (Istio names services <app>.<namespace>). */
export function serviceMatches(service: string, wanted: string): boolean {
  return service === wanted || service.split('.')[0] === wanted;
}

/** The span numbers shown (undefined: all): always closed under "parent of", so the tree stays a tree. */
function visibleSpans(view: TraceView, o: WaterfallOptions): Uint8Array | undefined {
  if (o.depth === undefined && !o.criticalOnly && o.service === undefined) return undefined;
  const { tree } = view;
  const keep = new Uint8Array(tree.spans.length);
  for (let i = 0; i < tree.spans.length; i++) {
    if (o.depth !== undefined && tree.depth[i] + 1 > o.depth) continue;
    if (o.criticalOnly && view.critical.byIndex[i] === 0) continue;
    if (o.service !== undefined && !serviceMatches(tree.spans[i].service, o.service)) continue;
    for (let x = i; x >= 0 && !keep[x]; x = tree.parent[x]) keep[x] = 1;
  }
  return keep;
}

interface Row {
  span: Span;
  i: number;
  guide: string;
  /** What goes under this row's guide for lines that belong to it (its tags). */
  under: string;
  /** Spans below it that are hidden by --depth. */
  hidden: number;
  context: boolean;
}

function rows(view: TraceView, keep: Uint8Array | undefined, o: WaterfallOptions): Row[] {
  const out: Row[] = [];
  const { tree } = view;
  const shown = (x: number) => !keep || keep[x] === 1;
  const stack: { i: number; prefix: string; last: boolean; top: boolean }[] = [];
  const roots = keep ? tree.roots.filter(shown) : tree.roots;
  for (let k = roots.length - 1; k >= 0; k--) stack.push({ i: roots[k], prefix: '', last: true, top: true });
  while (stack.length) {
    const { i, prefix, last, top } = stack.pop()!;
    const span = tree.spans[i];
    const all = tree.children[i] ?? NONE;
    const kids = keep ? all.filter(shown) : all;
    const hidden = o.depth !== undefined && kids.length === 0 && all.length > 0 ? subtree(tree, i).length - 1 : 0;
    const context = o.service !== undefined && !serviceMatches(span.service, o.service);
    const childPrefix = top ? '' : `${prefix}${last ? '   ' : '│  '}`;
    out.push({
      span,
      i,
      guide: top ? '' : `${prefix}${last ? '└─ ' : '├─ '}`,
      under: o.tags ? `${childPrefix}${kids.length ? '│  ' : '   '}` : '',
      hidden,
      context,
    });
    for (let k = kids.length - 1; k >= 0; k--) stack.push({ i: kids[k], prefix: childPrefix, last: k === kids.length - 1, top: false });
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

/** A span's bar: blanks up to its start, then its cells, solid where its critical sections fall. */
function bar(span: Span, view: TraceView, width: number, sections: { startMicros: number; endMicros: number }[] | undefined): string {
  const total = Math.max(1, view.endMicros - view.startMicros);
  const scale = width / total;
  const col = (t: number) => (t - view.startMicros) * scale;
  const c0 = Math.min(width - 1, Math.max(0, Math.floor(col(span.startMicros))));
  const c1 = Math.min(width, Math.max(c0 + 1, Math.ceil(col(endMicros(span)))));
  if (!sections?.length) return ' '.repeat(c0) + OTHER.repeat(c1 - c0);
  // Critical cells as sorted, merged column runs; the bar is built run by run.
  const runs = sections
    .map((x) => {
      const a = Math.min(width - 1, Math.max(0, Math.floor(col(x.startMicros))));
      return [a, Math.min(width, Math.max(a + 1, Math.ceil(col(x.endMicros))))] as [number, number];
    })
    .sort((x, y) => x[0] - y[0]);
  let text = ' '.repeat(c0);
  let at = c0;
  for (const [a0, b0] of runs) {
    const a = Math.max(a0, at);
    const b = Math.min(b0, c1);
    if (b <= a) continue;
    text += OTHER.repeat(a - at) + CRITICAL.repeat(b - a);
    at = b;
  }
  return text + OTHER.repeat(Math.max(0, c1 - at));
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
    `Started ${isoMicros(view.startMicros)} · ${formatMicros(total)} · ${counted(view.trace.spans.length, 'span')} · ` +
      `${counted(view.services.length, 'service')} · ${view.errors ? paint('red', counted(view.errors, 'error')) : '0 errors'}`,
  );
  out.push('');

  const keep = visibleSpans(view, o);
  const list = rows(view, keep, o);
  // Columns: label, duration, bar.
  const durWidth = 9;
  const hiddenText = (r: Row) => (r.hidden ? ` (+${r.hidden})` : '');
  let maxLabel = 4;
  for (const r of list) {
    const n = r.guide.length + (r.span.error ? 2 : 0) + r.span.service.length + r.span.operation.length + r.span.kind.length + 2 + hiddenText(r).length;
    if (n > maxLabel) maxLabel = n;
  }
  // The bar keeps at least 40% of the width (30 columns); the label takes what it needs of the rest.
  const minBar = Math.max(30, Math.floor(o.width * 0.4));
  const labelWidth = Math.min(maxLabel, Math.max(24, o.width - durWidth - 3 - minBar));
  const barWidth = Math.max(10, o.width - labelWidth - durWidth - 3);
  out.push(`${'SPAN'.padEnd(labelWidth)} ${'DURATION'.padStart(durWidth)}  ${axis(barWidth, total)}`.trimEnd());
  const mark = paint('red', ERROR_MARK);
  for (const r of list) {
    const s = r.span;
    // Truncate the operation first (in its middle); the tree guides and the service stay readable.
    const head = s.error ? `${r.guide}${ERROR_MARK} ` : r.guide;
    const tail = ` ${s.kind}${hiddenText(r)}`;
    const opRoom = labelWidth - head.length - s.service.length - 1 - tail.length;
    let painted: string;
    let length: number;
    if (opRoom >= 4 || (opRoom >= 0 && s.operation.length <= opRoom)) {
      const rest = ` ${truncateMiddle(s.operation, opRoom)}${tail}`;
      length = head.length + s.service.length + rest.length;
      painted = r.context ? paint('gray', `${head}${s.service}${rest}`) : `${s.error ? `${r.guide}${mark} ` : head}${svc(s.service)}${rest}`;
    } else {
      const label = truncate(`${head}${s.service} ${s.operation}${tail}`, labelWidth);
      length = label.length;
      painted = r.context ? paint('gray', label) : label;
    }
    const text = bar(s, view, barWidth, view.critical.sectionsOf[r.i]);
    const barText = r.context ? paint('gray', text) : s.error ? paint('red', text) : svc(s.service, text);
    out.push(`${painted}${' '.repeat(Math.max(0, labelWidth - length))} ${formatMicros(s.durationMicros).padStart(durWidth)}  ${barText}`);
    if (o.tags) for (const l of tagLines(s, r.under, o.width)) out.push(paint('gray', l));
  }
  out.push('');
  out.push(...criticalSummary(view, paint, svc));
  return out.join('\n') + '\n';
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

// Printers for people (table, wide, tree) and for scripts (json, yaml, name), as kubectl prints them.
import Table from 'cli-table3';
import yaml from 'js-yaml';
import { CliError, UsageError } from '../errors.js';
import { visibleLength } from './color.js';
import { renderCustomColumns } from './custom-columns.js';
import { outputTemplate, type OutputFormat } from './format.js';
import { JsonPathError, runJsonPath } from './jsonpath.js';
import { padColumns } from './table.js';

export { OUTPUT_FORMATS, parseOutputFormat, type FormatName, type OutputFormat } from './format.js';

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Shown only with -o wide. */
  wide?: boolean;
  /** Long text: wrapped to the terminal's width (renderWrappedTable). */
  wrap?: boolean;
}

/** kubectl's table: upper-case headers, no borders, columns three spaces apart (kubectl's tabwriter). */
export function renderTable<T>(columns: Column<T>[], rows: T[], opts: { wide?: boolean; noHeaders?: boolean } = {}): string {
  const cols = columns.filter((c) => opts.wide || !c.wide);
  const cells = rows.map((r) => cols.map((c) => c.value(r)));
  return padColumns(opts.noHeaders ? cells : [cols.map((c) => c.header.toUpperCase()), ...cells]);
}

/**
 * The same table with the `wrap` columns' text wrapped so each line fits `width` (a terminal's width):
 * long reasons and fixes stay readable. Tables that fit print exactly as renderTable prints them.
 */
export function renderWrappedTable<T>(columns: Column<T>[], rows: T[], width: number, opts: { wide?: boolean; noHeaders?: boolean } = {}): string {
  const cols = columns.filter((c) => opts.wide || !c.wide);
  const plain = renderTable(columns, rows, opts);
  const natural = cols.map((c, i) => Math.max(opts.noHeaders ? 0 : c.header.length, ...rows.map((r) => visibleLength(cols[i]?.value(r) ?? ''))));
  const total = natural.reduce((a, b) => a + b, 0) + GAP * (cols.length - 1);
  const wrapping = cols.map((c) => c.wrap === true);
  if (total <= width || !wrapping.includes(true)) return plain;
  const fixed = natural.reduce((a, n, i) => a + (wrapping[i] ? 0 : n), 0) + GAP * (cols.length - 1);
  const wrapNatural = natural.reduce((a, n, i) => a + (wrapping[i] ? n : 0), 0);
  const room = Math.max(width - fixed, MIN_WRAP * wrapping.filter(Boolean).length);
  const widths = natural.map((n, i) => (wrapping[i] ? Math.max(MIN_WRAP, Math.floor((room * n) / wrapNatural)) : n));
  const table = new Table({
    chars: { ...(Object.fromEntries(BORDER_CHARS.map((k) => [k, ''])) as Record<(typeof BORDER_CHARS)[number], string>), middle: ' '.repeat(GAP) },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    colWidths: widths,
    wordWrap: true,
    wrapOnWordBoundary: true,
  });
  if (!opts.noHeaders) table.push(cols.map((c) => c.header.toUpperCase()));
  for (const r of rows) table.push(cols.map((c) => c.value(r)));
  return (
    table
      .toString()
      .split('\n')
      .map((l) => l.replace(/\s+$/, ''))
      .join('\n') + '\n'
  );
}

const GAP = 3;
const MIN_WRAP = 16;
export const BORDER_CHARS = [
  'top',
  'top-mid',
  'top-left',
  'top-right',
  'bottom',
  'bottom-mid',
  'bottom-left',
  'bottom-right',
  'left',
  'left-mid',
  'mid',
  'mid-mid',
  'right',
  'right-mid',
] as const;

/** JSON as kubectl prints it (four-space indent). Dates become RFC 3339 strings. */
export function renderJson(data: unknown): string {
  return JSON.stringify(data, null, 4) + '\n';
}

export function renderYaml(data: unknown): string {
  // Round-trip through JSON so Dates and class instances print as the API's plain values.
  return yaml.dump(JSON.parse(JSON.stringify(data)) as unknown, { noRefs: true, lineWidth: -1, sortKeys: false });
}

/** Several objects as one YAML stream (--dry-run output), separated by '---'. */
export function renderYamlStream(docs: unknown[]): string {
  return docs.map((d) => renderYaml(d)).join('---\n');
}

export { objectName } from './names.js';

export interface TreeNode {
  label: string;
  children?: TreeNode[];
}

/** A tree with box-drawing guides, as `kubectl argo rollouts get` prints its objects. */
export function renderTree(root: TreeNode): string {
  const lines: string[] = [root.label];
  const walk = (nodes: TreeNode[], prefix: string) => {
    nodes.forEach((n, i) => {
      const last = i === nodes.length - 1;
      lines.push(`${prefix}${last ? '└──' : '├──'} ${n.label}`);
      if (n.children?.length) walk(n.children, `${prefix}${last ? '    ' : '│   '}`);
    });
  };
  walk(root.children ?? [], '');
  return lines.join('\n') + '\n';
}

/** What a command hands the printer: the same result in each shape it can take. */
export interface Printable<T> {
  /** The document for -o json|yaml: stable field names scripts rely on. */
  data: unknown;
  rows: T[];
  columns: Column<T>[];
  /** For -o name. */
  names?: string[];
}

export interface RenderOptions {
  noHeaders?: boolean;
  /** The terminal's width when stdout is one: `wrap` columns are wrapped to it. */
  width?: number | undefined;
}

/** The document -o json prints, as plain JSON values (what templates see). */
function plain(data: unknown): unknown {
  return JSON.parse(JSON.stringify(data) ?? 'null') as unknown;
}

export function render<T>(format: OutputFormat, p: Printable<T>, opts: RenderOptions = {}): string {
  switch (format) {
    case 'json':
      return renderJson(p.data);
    case 'yaml':
      return renderYaml(p.data);
    case 'name':
      if (!p.names) throw new UsageError('-o name is not supported by this command');
      return p.names.map((n) => `${n}\n`).join('');
    case 'wide':
    case 'table':
      return opts.width
        ? renderWrappedTable(p.columns, p.rows, opts.width, { ...opts, wide: format === 'wide' })
        : renderTable(p.columns, p.rows, { ...opts, wide: format === 'wide' });
  }
  const template = outputTemplate(format);
  try {
    if (template?.kind === 'custom-columns') return renderCustomColumns(template.columns, plain(p.data), opts);
    if (template?.kind === 'jsonpath') return runJsonPath(template.segments, plain(p.data));
  } catch (err) {
    if (err instanceof JsonPathError)
      throw new CliError(`error executing ${template?.kind ?? 'template'} ${JSON.stringify(format.slice(format.indexOf('=') + 1))}: ${err.message}`);
    throw err;
  }
  throw new UsageError(`unknown output format "${format}"`);
}

// Printers for people (table, wide, tree) and for scripts (json, yaml, name), as kubectl prints them.
import Table from 'cli-table3';
import yaml from 'js-yaml';
import { UsageError } from '../errors.js';
import type { OutputFormat } from './format.js';

export { OUTPUT_FORMATS, parseOutputFormat, type OutputFormat } from './format.js';

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Shown only with -o wide. */
  wide?: boolean;
}

/** kubectl's table: upper-case headers, no borders, columns three spaces apart, no trailing blanks. */
export function renderTable<T>(columns: Column<T>[], rows: T[], opts: { wide?: boolean; noHeaders?: boolean } = {}): string {
  const cols = columns.filter((c) => opts.wide || !c.wide);
  const table = new Table({
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '   ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
  });
  if (!opts.noHeaders) table.push(cols.map((c) => c.header.toUpperCase()));
  for (const r of rows) table.push(cols.map((c) => c.value(r)));
  if (table.length === 0) return '';
  return (
    table
      .toString()
      .split('\n')
      .map((l) => l.replace(/\s+$/, ''))
      .join('\n') + '\n'
  );
}

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

export function render<T>(format: OutputFormat, p: Printable<T>, opts: { noHeaders?: boolean } = {}): string {
  switch (format) {
    case 'json':
      return renderJson(p.data);
    case 'yaml':
      return renderYaml(p.data);
    case 'name':
      if (!p.names) throw new UsageError('-o name is not supported by this command');
      return p.names.map((n) => `${n}\n`).join('');
    case 'wide':
      return renderTable(p.columns, p.rows, { wide: true, ...opts });
    case 'table':
      return renderTable(p.columns, p.rows, opts);
  }
}

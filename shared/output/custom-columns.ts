// kubectl's -o custom-columns=HEADER:.path,... and -o custom-columns-file=FILE (a line of headers, a
// line of paths): one row per item of a list (per object otherwise), each cell the values its JSONPath
// finds, joined with commas, <none> when it finds nothing; laid out as kubectl lays out tables.
import { goFmtV } from './go-values.js';
import { findValues, JsonPathError, parseJsonPath, type Segment } from './jsonpath.js';
import { padColumns } from './table.js';

export interface CustomColumn {
  header: string;
  path: Segment[];
}

const RELAXED = /^\{\.?([^{}]+)\}$|^\.?([^{}]+)$/;

/** kubectl's RelaxedJSONPathExpression: `a.b`, `.a.b`, `{a.b}` and `{.a.b}` all mean `{.a.b}`. */
function relaxed(path: string): Segment[] {
  if (path === '') return parseJsonPath('');
  const m = RELAXED.exec(path);
  if (!m) throw new JsonPathError(`unexpected path string ${path}, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'`);
  return parseJsonPath(`{.${m[1] || m[2] || ''}}`);
}

export function parseCustomColumns(spec: string): CustomColumn[] {
  if (spec === '') throw new JsonPathError('custom-columns format specified but no custom columns given');
  return spec.split(',').map((part) => {
    const i = part.indexOf(':');
    if (i < 0) throw new JsonPathError(`unexpected custom-columns spec: ${part}, expected <header>:<json-path-expr>`);
    return { header: part.slice(0, i), path: relaxed(part.slice(i + 1)) };
  });
}

/** The file form: the first line's words are the headers, the second line's words the paths. */
export function parseCustomColumnsFile(text: string): CustomColumn[] {
  const [headerLine, specLine] = text.split(/\r?\n/);
  const words = (line: string | undefined) => (line ?? '').split(/\s+/).filter(Boolean);
  if (headerLine === undefined) throw new JsonPathError('invalid template, missing header line');
  if (specLine === undefined) throw new JsonPathError('invalid template, missing spec line');
  const headers = words(headerLine);
  const specs = words(specLine);
  if (headers.length !== specs.length) throw new JsonPathError(`number of headers (${headers.length}) and field specifications (${specs.length}) don't match`);
  return headers.map((header, i) => ({ header, path: relaxed(specs[i] ?? '') }));
}

/** The table for `data` (a list: one row per item); nothing at all for an empty list, as kubectl get. */
export function renderCustomColumns(columns: CustomColumn[], data: unknown, opts: { noHeaders?: boolean } = {}): string {
  const items =
    typeof data === 'object' && data !== null && Array.isArray((data as { items?: unknown }).items) ? ((data as { items: unknown[] }).items ?? []) : [data];
  if (items.length === 0) return '';
  const rows = items.map((item) =>
    columns.map((c) => {
      const values = findValues(c.path, item);
      return values.length ? values.map(goFmtV).join(',') : '<none>';
    }),
  );
  return padColumns(opts.noHeaders ? rows : [columns.map((c) => c.header), ...rows]);
}

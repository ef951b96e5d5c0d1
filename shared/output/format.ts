// -o values, parsed and checked before anything else happens (a bad template is a usage error, exit 2,
// before any request). The printers themselves load only when something is printed.
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { parseCustomColumns, parseCustomColumnsFile, type CustomColumn } from './custom-columns.js';
import { JsonPathError, parseJsonPath, type Segment } from './jsonpath.js';

/** What a command may accept; 'jsonpath' and 'custom-columns' stand for their template forms. */
export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml', 'name', 'jsonpath', 'custom-columns'] as const;
export type FormatName = (typeof OUTPUT_FORMATS)[number];

/** kubectl's template formats, taken by every read command. */
export const TEMPLATE_FORMATS = ['jsonpath', 'custom-columns'] as const;

/** -o as parsed: a plain format, or a template format with its template (or template file) after '='. */
export type OutputFormat =
  | Exclude<FormatName, (typeof TEMPLATE_FORMATS)[number]>
  | `jsonpath=${string}`
  | `jsonpath-file=${string}`
  | `custom-columns=${string}`
  | `custom-columns-file=${string}`;

const TEMPLATE_PREFIXES = {
  'jsonpath=': 'jsonpath',
  'jsonpath-file=': 'jsonpath',
  'custom-columns=': 'custom-columns',
  'custom-columns-file=': 'custom-columns',
} as const;

/** The -o choices as the flag's help lists them. */
export function describeFormats(allowed: readonly FormatName[]): string {
  return allowed
    .filter((f) => f !== 'table')
    .map((f) => (f === 'jsonpath' ? 'jsonpath=TEMPLATE|jsonpath-file=FILE' : f === 'custom-columns' ? 'custom-columns=SPEC|custom-columns-file=FILE' : f))
    .join('|');
}

export type OutputTemplate = { kind: 'jsonpath'; segments: Segment[] } | { kind: 'custom-columns'; columns: CustomColumn[] };

function readTemplateFile(path: string, flag: string): string {
  if (!path) throw new UsageError(`-o ${flag}= needs a file name`);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the template file for -o ${flag}: ${(err as NodeJS.ErrnoException).code ?? String(err)} ${path}`);
  }
}

/** The parsed template of a template format (undefined for the others); a bad template is a UsageError. */
export function outputTemplate(format: OutputFormat): OutputTemplate | undefined {
  const eq = format.indexOf('=');
  if (eq < 0) return undefined;
  const kind = format.slice(0, eq);
  const value = format.slice(eq + 1);
  try {
    switch (kind) {
      case 'jsonpath':
        if (value === '') throw new JsonPathError('template format specified but no template given');
        return { kind: 'jsonpath', segments: parseJsonPath(value) };
      case 'jsonpath-file':
        return { kind: 'jsonpath', segments: parseJsonPath(readTemplateFile(value, kind)) };
      case 'custom-columns':
        return { kind: 'custom-columns', columns: parseCustomColumns(value) };
      case 'custom-columns-file':
        return { kind: 'custom-columns', columns: parseCustomColumnsFile(readTemplateFile(value, kind)) };
    }
  } catch (err) {
    if (err instanceof JsonPathError) throw new UsageError(`invalid -o ${kind} template ${JSON.stringify(value)}: ${err.message}`);
    throw err;
  }
  return undefined;
}

/**
 * -o as given (absent = the default table); an unknown format, an empty -o or a bad template is a
 * UsageError. `others`: formats the command handles itself, named in the message.
 */
export function parseOutputFormat(value: string | undefined, allowed: readonly FormatName[] = OUTPUT_FORMATS, others: readonly string[] = []): OutputFormat {
  const choices = [...others, describeFormats(allowed)].filter(Boolean).join('|');
  if (value === undefined) return 'table';
  if (value === '') throw new UsageError(`-o needs a value: use one of ${choices}`);
  const prefix = (Object.keys(TEMPLATE_PREFIXES) as (keyof typeof TEMPLATE_PREFIXES)[]).find((p) => value.startsWith(p));
  const name: string = prefix ? TEMPLATE_PREFIXES[prefix] : value;
  if (!(allowed as readonly string[]).includes(name) || (!prefix && (TEMPLATE_FORMATS as readonly string[]).includes(name))) {
    throw new UsageError(`unknown output format "${value}": use one of ${choices}`);
  }
  const format = value as OutputFormat;
  outputTemplate(format);
  return format;
}

/** A format for scripts (json, yaml, a template): the command prints its document, not its table. */
export function isDocumentFormat(format: OutputFormat): boolean {
  return format === 'json' || format === 'yaml' || format.includes('=');
}

// -o values, parsed without loading the printers (they are imported only when something is printed).
import { UsageError } from '../errors.js';

export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** -o as given ('' = the default table). */
export function parseOutputFormat(value: string | undefined, allowed: readonly OutputFormat[] = OUTPUT_FORMATS): OutputFormat {
  const v = !value ? 'table' : value;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new UsageError(`unknown output format "${value}": use one of ${allowed.filter((f) => f !== 'table').join('|')}`);
  }
  return v as OutputFormat;
}

// Flags shared across commands, named and shaped as kubectl's.
import type { Argv } from 'yargs';
import type { Args } from './command.js';
import { scalarText, str } from './command.js';
import { UsageError } from '../errors.js';
import { duration } from '../validate.js';
import { OUTPUT_FORMATS, parseOutputFormat, type OutputFormat } from '../output/format.js';
import type { DryRun } from '../kube/client.js';

/** Connection and display flags every command takes (kubectl's ConfigFlags plus -v and --no-color). */
export function globalFlags(y: Argv): Argv {
  return y
    .option('kubeconfig', { type: 'string', describe: 'Path to the kubeconfig file to use', global: true })
    .option('context', { type: 'string', describe: 'The name of the kubeconfig context to use', global: true })
    .option('namespace', { alias: 'n', type: 'string', describe: 'The namespace scope for this request', global: true })
    .option('v', { alias: 'verbose', type: 'count', describe: 'More detail (stack traces on errors with -v)', global: true })
    .option('color', { type: 'boolean', default: true, describe: 'Colour output (--no-color, or NO_COLOR, turns it off)', global: true });
}

export function outputFlag(y: Argv, formats: readonly OutputFormat[] = OUTPUT_FORMATS): Argv {
  return y.option('output', {
    alias: 'o',
    type: 'string',
    describe: `Output format: ${formats.filter((f) => f !== 'table').join('|')}`,
  });
}

export function readOutput(args: Args, formats: readonly OutputFormat[] = OUTPUT_FORMATS): OutputFormat {
  return parseOutputFormat(str(args, 'output'), formats);
}

export function dryRunFlag(y: Argv): Argv {
  return y.option('dry-run', {
    type: 'string',
    describe: 'none: change the cluster; client: print the planned objects; server: send them for validation without persisting',
  });
}

/** kubectl accepts --dry-run alone as client (deprecated there, but scripts use it). */
export function readDryRun(args: Args): DryRun {
  const v = args['dry-run'];
  if (v === undefined || v === false || v === 'none' || v === 'false') return 'none';
  if (v === '' || v === true || v === 'client' || v === 'true') return 'client';
  if (v === 'server') return 'server';
  throw new UsageError(`invalid --dry-run value "${scalarText(v)}": use none, client or server`);
}

export function timeoutFlag(y: Argv, fallback: string): Argv {
  return y.option('timeout', { type: 'string', default: fallback, describe: 'How long to wait before giving up (e.g. 30s, 5m)' });
}

export function readTimeout(args: Args): number {
  const v = str(args, 'timeout');
  return v === undefined ? 0 : duration(v, '--timeout');
}

export function allNamespacesFlag(y: Argv): Argv {
  return y.option('all-namespaces', { alias: 'A', type: 'boolean', default: false, describe: 'List across all namespaces' });
}

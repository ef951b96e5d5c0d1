// Printing from commands. The printers (cli-table3, js-yaml) load on first use, so --help and
// argument errors do not pay for them.
import type { CommandContext } from '../context.js';
import type { OutputFormat } from './format.js';
import type { Printable } from './printers.js';

export async function print<T>(ctx: CommandContext, format: OutputFormat, p: Printable<T>, opts: { noHeaders?: boolean } = {}): Promise<void> {
  const { render } = await import('./printers.js');
  // Wrapping is for a person reading a terminal; piped output keeps kubectl's one line per row.
  const width = ctx.stdout.isTTY && ctx.stdout.columns ? ctx.stdout.columns : undefined;
  ctx.stdout.write(render(format, p, { ...opts, width }));
}

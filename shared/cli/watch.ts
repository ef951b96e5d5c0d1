// -w for status commands, as kubectl get -w is used: show again every couple of seconds, but print
// only when something changed (on a terminal, redrawn in place). Ctrl-C stops it.
import type { CommandContext } from '../context.js';
import { SilentExit } from '../errors.js';

export async function watchOutput(ctx: CommandContext, show: (c: CommandContext) => Promise<void>, intervalMs = 2000): Promise<never> {
  let last = '';
  for (;;) {
    const out: string[] = [];
    const err: string[] = [];
    const capture: CommandContext = {
      ...ctx,
      stdout: { write: (s: string) => out.push(s), isTTY: ctx.stdout.isTTY, columns: ctx.stdout.columns },
      stderr: { write: (s: string) => err.push(s), isTTY: ctx.stderr.isTTY },
      warn: (m: string) => void err.push(`${ctx.paint('yellow', 'Warning:')} ${m}\n`),
    };
    try {
      await show(capture);
    } catch (e) {
      // A status that would exit non-zero (a degraded canary, traffic to nothing) is still shown and watched.
      if (!(e instanceof SilentExit)) throw e;
    }
    const text = out.join('');
    const notes = err.join('');
    if (text + notes !== last) {
      ctx.stdout.write(ctx.stdout.isTTY ? `\u001b[H\u001b[2J${text}` : `${last ? '\n' : ''}${text}`);
      if (notes) ctx.stderr.write(notes);
    }
    last = text + notes;
    await ctx.clock.sleep(intervalMs);
  }
}

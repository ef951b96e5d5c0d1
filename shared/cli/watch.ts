// -w for status commands, as kubectl get -w: list once, then watch what the status reads (watch-cache.ts)
// and show it again when a change arrives, a short moment later so a burst of changes (a rollout) prints
// once; print only when the output differs (on a terminal, redrawn in place). Ctrl-C stops it (exit 130).
import type { CommandContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { WatchCache } from '../kube/watch-cache.js';
import { SilentExit, UsageError } from '../errors.js';
import type { Args } from './command.js';

export interface WatchOutputOptions {
  /** Wait this long after a change for more before showing again. */
  debounceMs?: number;
  /** Length of one watch request on the server (tests shorten it to force reconnects). */
  timeoutSeconds?: number | undefined;
}

export const WATCH_DEBOUNCE_MS = 150;

export async function watchOutput(ctx: CommandContext, show: (c: CommandContext) => Promise<void>, opts: WatchOutputOptions = {}): Promise<number> {
  const interrupted = ctx.interruption();
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  interrupted.addEventListener('abort', onInterrupt, { once: true });
  // Woken by a change, a failed watch or Ctrl-C.
  let wake: (() => void) | undefined;
  let dirty = false;
  let failure: { err: unknown } | undefined;
  const nudge = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  stop.signal.addEventListener('abort', nudge, { once: true });
  const cache = new WatchCache({
    signal: stop.signal,
    clock: ctx.clock,
    onChange: () => {
      dirty = true;
      nudge();
    },
    onError: (err) => {
      failure ??= { err };
      nudge();
    },
    ...(opts.timeoutSeconds !== undefined ? { timeoutSeconds: opts.timeoutSeconds } : {}),
  });
  const kube = ctx.kube();
  kube.source = cache;
  let last = '';
  // A warning is shown once per watch, as kubectl deduplicates its warnings, not again with every change.
  const warned = new Set<string>();
  const render = async () => {
    const out: string[] = [];
    const err: string[] = [];
    const capture: CommandContext = {
      ...ctx,
      stdout: { write: (s: string) => out.push(s), isTTY: ctx.stdout.isTTY, columns: ctx.stdout.columns },
      stderr: { write: (s: string) => err.push(s), isTTY: ctx.stderr.isTTY },
      warn: (m: string) => {
        if (warned.has(m)) return;
        warned.add(m);
        err.push(`${ctx.paint('yellow', 'Warning:')} ${m}\n`);
      },
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
  };
  try {
    await render();
    for (;;) {
      if (!dirty && !failure && !stop.signal.aborted) await new Promise<void>((r) => (wake = r));
      if (failure) throw failure.err;
      if (stop.signal.aborted) return ExitCode.interrupted;
      // Let a burst of changes settle, then show them at once.
      await ctx.clock.sleep(opts.debounceMs ?? WATCH_DEBOUNCE_MS);
      dirty = false;
      await render();
    }
  } finally {
    stop.abort();
    kube.source = undefined;
    interrupted.removeEventListener('abort', onInterrupt);
  }
}

/** The hidden --watch-timeout flag (seconds, for tests that need a watch to reconnect soon). */
export function watchTimeout(args: Args): number | undefined {
  const v = args['watch-timeout'];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new UsageError(`--watch-timeout must be a whole number of seconds, at least 1`);
  return v;
}

// Optimistic concurrency: a write that lost a race (409 Conflict) is re-read, re-planned and retried with
// jittered back-off, bounded by the command's --timeout.
import { systemClock, type Clock } from '../context.js';
import { isConflict } from './api-errors.js';
import { KubeApiError } from '../errors.js';

/**
 * The pause before conflict retry `attempt` (1-based): exponential from 50 ms, capped at 2 s, with full
 * jitter (a random share of it), so writers that collided do not collide again in step.
 */
export function conflictBackoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(2000, 50 * 2 ** Math.min(attempt - 1, 10));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** How retryOnConflict waits; a command passes its context (ctx), so back-offs sleep on ctx.clock. */
export interface RetryOptions {
  timeoutMs?: number;
  /** The system clock by default. */
  clock?: Clock;
  random?: () => number;
}

/**
 * Re-read and re-plan on 409 Conflict: `attempt` must read what it needs afresh each time. Retries back
 * off with jitter for as long as timeoutMs allows (the command's --timeout); then the conflict is
 * rethrown with how many attempts were made.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const clock = opts.clock ?? systemClock;
  const now = () => clock.now().getTime();
  const sleep = (ms: number) => clock.sleep(ms);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const start = now();
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isConflict(err)) throw err;
      const pause = conflictBackoffMs(i, opts.random);
      if (now() - start + pause > timeoutMs) {
        const e = err as KubeApiError;
        throw new KubeApiError(
          `${e.message.replace(/; run the command again$/, '')} (gave up after ${i} attempts in ${Math.round((now() - start) / 1000)}s); run the command again`,
          e.status,
          e.reason,
          { cause: e },
        );
      }
      await sleep(pause);
    }
  }
}

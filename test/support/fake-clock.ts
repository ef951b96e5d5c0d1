// A clock for in-process tests: time moves only when the test says so. Commands sleep on it (watch
// loops, canary run's steps, rollout waits, status -w's debounce) through ctx.clock; the test sees who
// sleeps (sleeping) and wakes them (advance, next), so nothing waits for real time.
import type { Clock } from '../../shared/context.js';

interface Sleeper {
  at: number;
  seq: number;
  wake: () => void;
}

/** Let every promise, I/O callback and immediate that is ready run (a few turns of the event loop). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private sleepers: Sleeper[] = [];
  /** Every sleep asked for, in order, in ms (what a test asserts about pacing). */
  readonly slept: number[] = [];

  constructor(start = '2026-01-01T00:00:00Z') {
    this.t = Date.parse(start);
  }

  now = (): Date => new Date(this.t);

  sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
    this.slept.push(ms);
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper: Sleeper = { at: this.t + Math.max(0, ms), seq: this.seq++, wake: resolve };
      this.sleepers.push(sleeper);
      this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      // Cancelled: it stops sleeping at once and no longer holds a place in the queue.
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          resolve();
        },
        { once: true },
      );
    });
  };

  /** What each sleeper has left, in ms, soonest first. */
  sleeping(): number[] {
    return this.sleepers.map((s) => s.at - this.t);
  }

  /**
   * Move time on by ms: each sleeper whose time comes is woken in turn, at its own time, and what it
   * does next runs before the following one wakes (it may sleep again within the window).
   */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const first = this.sleepers[0];
      if (!first || first.at > end) break;
      this.sleepers.shift();
      this.t = Math.max(this.t, first.at);
      first.wake();
      await settle();
    }
    this.t = end;
  }

  /** Move time on to the soonest sleeper and wake it (and any due at the same time); how far time moved. */
  async next(): Promise<number> {
    await settle();
    const first = this.sleepers[0];
    if (!first) throw new Error('fake clock: nothing is sleeping');
    const step = Math.max(0, first.at - this.t);
    await this.advance(step);
    return step;
  }
}

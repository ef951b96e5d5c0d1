// Waiting without fixed sleeps: poll a check with backoff, and fail early, with the tail of its log,
// when a process the wait depends on has exited.
import { readFileSync } from 'node:fs';
import type { Started } from './processes.js';

/** Poll until check() is true; fails with what was being waited for and the last error. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, procs: Started[] = []): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (let delay = 25; ; delay = Math.min(delay * 2, 250)) {
    const dead = procs.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
    if (dead) throw new Error(`${dead.name} exited while waiting for ${what}; see ${dead.log}:\n${logTail(dead.log)}`);
    try {
      if (await check()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** The last lines of a log file. */
export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

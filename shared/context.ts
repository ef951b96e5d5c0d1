// What a command gets to talk to the world: streams, environment, clock and cluster access.
// Commands never touch `process`, so tests run them in-process with string buffers.
import type { Painter } from './output/color.js';
import type { Kube } from './kube/client.js';
import type { ResolvedConfig } from './kube/kubeconfig.js';

export interface Writer {
  write(chunk: string): unknown;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

export interface Clock {
  now(): Date;
  /** Resolves after ms, or at once when `signal` aborts (the wait is then gone: nothing is left pending). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** Makes the client of one resolved kubeconfig context, with a plugin's field manager. */
export type Connect = (config: ResolvedConfig, fieldManager: string) => Kube;

export interface IO {
  stdout: Writer;
  stderr: Writer;
  env: NodeJS.ProcessEnv;
  /** Time and sleeping (watch loops, steps, waits); the system clock by default, a fake one in tests. */
  clock?: Clock;
  /**
   * Cluster access: every client a command gets (kube(), kubeFor(), kubeForKubeconfig()) is made here.
   * By default a Kube over HTTP; in-process tests pass one over an in-memory API server.
   */
  connect?: Connect;
  /** Path of the running plugin script (for installing helpers beside it). */
  self?: string;
  /** Ctrl-C: call the handler on the first SIGINT (a second one stops the process as usual). */
  interrupts?: (handler: () => void) => void;
}

export interface CommandContext {
  stdout: Writer;
  stderr: Writer;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  /** Colour on stdout/stderr is allowed (TTY, no NO_COLOR, no --no-color). */
  color: boolean;
  paint: Painter;
  /** stderr is a terminal: spinners allowed. */
  interactive: boolean;
  verbosity: number;
  /** The plugin's name as typed after kubectl ("canary", "ingress-ha"). */
  plugin: string;
  /** Path of the running plugin script. */
  self: string;
  /** The arguments after the plugin's name, as typed: a change that stops half-way prints them to finish it. */
  argv?: readonly string[];
  /** The resolved kubeconfig (read on first use). */
  config(): ResolvedConfig;
  /** Cluster access (built on first use). */
  kube(): Kube;
  /**
   * Access to another context of the same kubeconfig (a second cluster, e.g. --remote-context): the
   * same loading rules and connection code as kube(), one client per context.
   */
  kubeFor(context: string): Kube;
  /** Access with credentials that are not the user's (a kubeconfig stored in a Secret); `source` names it in errors. */
  kubeForKubeconfig(content: string, source: string): Kube;
  /** Print a warning line to stderr, kubectl style. */
  warn(message: string): void;
  /**
   * A signal aborted on the first Ctrl-C, for commands that stop at a consistent point and say how to
   * go on. Until a command asks for it, Ctrl-C stops the process at once.
   */
  interruption(): AbortSignal;
}

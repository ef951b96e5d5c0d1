// Typed errors. Commands throw these; only shared/run.ts turns them into a message and an exit code.
//
// The bundles load the Kubernetes client as a separate file (dist/lib/kube.cjs) that carries its own
// copy of these classes, so `instanceof` cannot compare constructors. Each error records the kinds it
// is (its class and the classes above it) under a global symbol, and instanceof checks that list.

import { ExitCode } from './exit-codes.js';

export { ExitCode };

const KINDS = Symbol.for('kubectl-traffic-plugins/error-kinds');

type Kinded = { readonly kind: string };

/** An error whose message is already fit for a person: one line, what is wrong and what to do. */
export class CliError extends Error {
  static readonly kind: string = 'CliError';
  readonly exitCode: number;
  readonly [KINDS]: string[];

  constructor(message: string, exitCode: number = ExitCode.failure, options?: { cause?: unknown }) {
    super(message, options);
    const kinds: string[] = [];
    for (let c: unknown = new.target; c && (c as Kinded).kind; c = Object.getPrototypeOf(c)) {
      if (Object.prototype.hasOwnProperty.call(c, 'kind')) kinds.push((c as Kinded).kind);
    }
    this[KINDS] = kinds;
    this.name = kinds[0] ?? 'CliError';
    this.exitCode = exitCode;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    const kinds = typeof value === 'object' && value !== null ? (value as { [KINDS]?: unknown })[KINDS] : undefined;
    return Array.isArray(kinds) && kinds.includes((this as unknown as Kinded).kind);
  }
}

/** Wrong arguments or flags: exit 2. */
export class UsageError extends CliError {
  static override readonly kind: string = 'UsageError';
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** A value that does not pass validation (name, IP, percentage...): a usage mistake, exit 2. */
export class ValidationError extends UsageError {
  static override readonly kind: string = 'ValidationError';
}

/** Problems with the kubeconfig: missing file, unknown context. */
export class ConfigError extends CliError {
  static override readonly kind: string = 'ConfigError';
}

/** An API call failed; the message says which call, where, and what to do. */
export class KubeApiError extends CliError {
  static override readonly kind: string = 'KubeApiError';
  readonly status: number | undefined;
  readonly reason: string | undefined;
  constructor(message: string, status?: number, reason?: string, options?: { cause?: unknown }) {
    super(message, ExitCode.failure, options);
    this.status = status;
    this.reason = reason;
  }
}

/** Something did not happen before --timeout. */
export class TimeoutError extends CliError {
  static override readonly kind: string = 'TimeoutError';
}

/** An audit (check, preflight) found problems; the report was printed already. */
export class SilentExit extends CliError {
  static override readonly kind: string = 'SilentExit';
  constructor(exitCode: number) {
    super('', exitCode);
  }
}

/** The message of anything thrown. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

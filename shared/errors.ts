// Typed errors. Commands throw these; only shared/run.ts turns them into a message and an exit code.

export const ExitCode = { ok: 0, failure: 1, usage: 2 } as const;

/** An error whose message is already fit for a person: one line, what is wrong and what to do. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = ExitCode.failure, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Wrong arguments or flags: exit 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** A value that does not pass validation (name, IP, percentage...): a usage mistake, exit 2. */
export class ValidationError extends UsageError {}

/** Problems with the kubeconfig: missing file, unknown context. */
export class ConfigError extends CliError {}

/** An API call failed; the message says which call, where, and what to do. */
export class KubeApiError extends CliError {
  readonly status: number | undefined;
  readonly reason: string | undefined;
  constructor(message: string, status?: number, reason?: string, options?: { cause?: unknown }) {
    super(message, ExitCode.failure, options);
    this.status = status;
    this.reason = reason;
  }
}

/** Something did not happen before --timeout. */
export class TimeoutError extends CliError {}

/** An audit (check, preflight) found problems; the report was printed already. */
export class SilentExit extends CliError {
  constructor(exitCode: number) {
    super('', exitCode);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

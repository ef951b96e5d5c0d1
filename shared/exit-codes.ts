// The exit codes of every plugin, in one table (README "Exit codes" documents it). Commands end
// non-zero one way: throw a CliError (its exitCode) or a SilentExit(code) once the report is printed;
// only shared/run.ts turns them into the process's exit code.
export const ExitCode = {
  /** Done. */
  ok: 0,
  /** An error: the one line on stderr says what and what to do. */
  failure: 1,
  /** Wrong flags or arguments; nothing was sent to the cluster. */
  usage: 2,
  /** A gate failed after its report was printed: status --fail-on-degraded, check, preflight, analyze. */
  gateFailed: 3,
  /** Interrupted (Ctrl-C); the command said how to resume or undo. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

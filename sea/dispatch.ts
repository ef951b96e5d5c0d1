// Which plugin a multi-call executable runs: the one named by the name it was started as
// (kubectl-canary, kubectl-ingress_ha.exe; kubectl_complete-canary answers completions), or, started
// under its own name, the plugin named by the first argument (`kubectl-traffic canary status`).
export interface Dispatch {
  /** The plugin's name as typed after kubectl; undefined: none named, show the executable's own help. */
  plugin: string | undefined;
  /** The arguments the plugin sees. */
  args: string[];
}

/**
 * The last path element, either separator (Windows passes backslashes), without a .exe suffix. String
 * methods, not patterns: every start runs this, and a regular expression compiles anew in each process
 * (the startup snapshot keeps none compiled).
 */
export function commandName(invokedAs: string): string {
  const base = invokedAs.slice(Math.max(invokedAs.lastIndexOf('/'), invokedAs.lastIndexOf('\\')) + 1);
  return base.toLowerCase().endsWith('.exe') ? base.slice(0, -4) : base;
}

const after = (name: string, prefix: string) => (name.startsWith(prefix) && name.length > prefix.length ? name.slice(prefix.length) : undefined);

export function dispatch(invokedAs: string, args: string[], plugins: readonly string[]): Dispatch {
  const name = commandName(invokedAs);
  const byBinary = (bin: string) => plugins.find((p) => p.replaceAll('-', '_') === bin);
  const complete = after(name, 'kubectl_complete-');
  if (complete) {
    const p = byBinary(complete);
    if (p) return { plugin: p, args: ['__complete', ...args] };
  }
  const direct = after(name, 'kubectl-');
  const p = direct ? byBinary(direct) : undefined;
  if (p) return { plugin: p, args };
  const first = args[0];
  if (first !== undefined && plugins.includes(first)) return { plugin: first, args: args.slice(1) };
  return { plugin: undefined, args };
}

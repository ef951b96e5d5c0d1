// Which plugin a multi-call executable runs: the one named by the name it was started as
// (kubectl-canary, kubectl-ingress_ha.exe; kubectl_complete-canary answers completions), or, started
// under its own name, the plugin named by the first argument (`kubectl-traffic canary status`).
export interface Dispatch {
  /** The plugin's name as typed after kubectl; undefined: none named, show the executable's own help. */
  plugin: string | undefined;
  /** The arguments the plugin sees. */
  args: string[];
}

/** The last path element, either separator (Windows passes backslashes), without a .exe suffix. */
export function commandName(invokedAs: string): string {
  return (invokedAs.split(/[\\/]/).pop() ?? '').replace(/\.exe$/i, '');
}

export function dispatch(invokedAs: string, args: string[], plugins: readonly string[]): Dispatch {
  const name = commandName(invokedAs);
  const byBinary = (bin: string) => plugins.find((p) => p.replace(/-/g, '_') === bin);
  const complete = /^kubectl_complete-(.+)$/.exec(name);
  if (complete) {
    const p = byBinary(complete[1]);
    if (p) return { plugin: p, args: ['__complete', ...args] };
  }
  const direct = /^kubectl-(.+)$/.exec(name);
  const p = direct ? byBinary(direct[1]) : undefined;
  if (p) return { plugin: p, args };
  const first = args[0];
  if (first !== undefined && plugins.includes(first)) return { plugin: first, args: args.slice(1) };
  return { plugin: undefined, args };
}

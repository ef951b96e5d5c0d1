// `completion`: shell completion for the plugin, both as `kubectl-<plugin>` and as `kubectl <plugin>`
// (kubectl >= 1.26 asks an executable named kubectl_complete-<plugin> on PATH for candidates).
import { chmodSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { bool, binaryName, defineCommand, str, type PluginDefinition } from '../cli/command.js';
import { UsageError } from '../errors.js';
import type { Argv } from 'yargs';

const SHELLS = ['bash', 'zsh'] as const;

/** kubectl_complete-<plugin>: the helper kubectl runs; '-' in the plugin name is '_' as in the binary. */
export function helperName(plugin: string): string {
  return `kubectl_complete-${plugin.replace(/-/g, '_')}`;
}

export function helperScript(plugin: string): string {
  return `#!/bin/sh\n# Shell completion for 'kubectl ${plugin}' (kubectl >= 1.26 runs this to complete plugin arguments).\nexec ${binaryName(plugin)} __complete "$@"\n`;
}

export function shellScript(shell: (typeof SHELLS)[number], plugin: string): string {
  const bin = binaryName(plugin);
  const fn = `_${bin.replace(/[^a-zA-Z0-9]/g, '_')}_complete`;
  if (shell === 'bash') {
    return `# bash completion for ${bin}; load with: source <(${bin} completion bash)
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" IFS=$'\\n'
  local out; out=$(${bin} __complete "\${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null) || return
  COMPREPLY=( $(printf '%s\\n' "$out" | grep -v '^:[0-9]*$' | cut -f1) )
}
complete -o default -F ${fn} ${bin}
`;
  }
  return `#compdef ${bin}
# zsh completion for ${bin}; load with: source <(${bin} completion zsh)
${fn}() {
  local -a comps
  comps=("\${(@f)$(${bin} __complete "\${(@)words[2,CURRENT-1]}" "\${words[CURRENT]}" 2>/dev/null | grep -v '^:[0-9]*$' | cut -f1)}")
  compadd -a comps
}
compdef ${fn} ${bin}
`;
}

export function completionCommands(plugin: () => PluginDefinition) {
  return [
    defineCommand({
      command: 'completion [shell]',
      describe: `Print a shell completion script (bash|zsh), or install the ${helperName('<plugin>')} helper kubectl uses`,
      examples: [
        [`source <(${binaryName(plugin().name)} completion bash)`, `Complete the ${binaryName(plugin().name)} command in bash`],
        [
          `kubectl ${plugin().name} completion --install-kubectl-helper`,
          `Make 'kubectl ${plugin().name} <TAB>' complete (writes ${helperName(plugin().name)} beside the plugin)`,
        ],
      ],
      builder: (y) =>
        y
          .positional('shell', { type: 'string', choices: [...SHELLS], describe: 'Shell to print a script for' })
          .option('install-kubectl-helper', { type: 'boolean', default: false, describe: `Write the ${helperName(plugin().name)} executable` })
          .option('dir', { type: 'string', describe: 'Folder for the helper (default: the folder holding the plugin binary; must be on PATH)' }),
      options: (args) => ({ shell: str(args, 'shell'), install: bool(args, 'install-kubectl-helper'), dir: str(args, 'dir') }),
      validate: (o: { shell: string | undefined; install: boolean }) => {
        if (!o.shell && !o.install) throw new UsageError('name a shell (bash or zsh) or pass --install-kubectl-helper');
      },
      run: async (ctx, o: { shell: string | undefined; install: boolean; dir: string | undefined }) => {
        const name = plugin().name;
        if (o.shell) ctx.stdout.write(shellScript(o.shell as (typeof SHELLS)[number], name));
        if (o.install) {
          const dir = resolve(o.dir ?? dirname(ctx.self));
          if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
          const file = join(dir, helperName(name));
          writeFileSync(file, helperScript(name));
          chmodSync(file, 0o755);
          ctx.stderr.write(`${file} written; 'kubectl ${name} <TAB>' now completes when ${dir} is on PATH\n`);
        }
      },
    }),
  ];
}

/**
 * Candidates for the words typed so far (the last one may be partial), in cobra's __complete protocol
 * that kubectl expects from kubectl_complete-<plugin>: one candidate a line, then ":4" (no file
 * completion). yargs computes them when parsing with --get-yargs-completions.
 */
export async function completeWords(parser: Argv, words: string[], names?: (words: string[]) => Promise<string[] | undefined>): Promise<string> {
  const w = words.length ? words : [''];
  const current = w[w.length - 1] ?? '';
  // Object names (and namespaces) where the word names one; otherwise what yargs knows.
  const objects = await names?.(w);
  if (objects) return [...new Set(objects.filter((n) => n.startsWith(current)))].map((n) => `${n}\n`).join('') + ':4\n';
  const out = await new Promise<string>((resolve) => {
    let text = '';
    // yargs calls back once per parse pass; the completions arrive in one of them.
    void parser.parse(['--get-yargs-completions', ...w], {}, (_err, _argv, output) => {
      if (output) text = output;
    });
    setImmediate(() => resolve(text));
  });
  const lines = out.split('\n').filter((c) => c !== '' && c.startsWith(current) && !c.startsWith('__') && !/^--.$/.test(c));
  return [...new Set(lines)].map((l) => `${l}\n`).join('') + ':4\n';
}

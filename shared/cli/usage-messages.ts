// yargs' argument errors said the way kubectl (cobra) says them, naming what was typed: `--no-such-flag`
// is an unknown flag (yargs reads it as the negation of "such-flag"), a word that is no command is an
// unknown command of the group it was typed under, a missing positional is named.
import { positionalNames, typedWords } from '../commands/complete-names.js';
import type { PluginDefinition } from './command.js';

/** The flag as typed for a name yargs reports (`such-flag` may have been typed `--no-such-flag`). */
function typedFlag(name: string, argv: string[]): string | undefined {
  for (const a of argv) {
    if (a === '--') break;
    const flag = a.split('=')[0];
    if (flag === `--${name}` || flag === `--no-${name}`) return flag;
    if (name.length === 1 && /^-[a-zA-Z]+$/.test(a) && a.includes(name)) return `-${name}`;
  }
  return undefined;
}

export function usageMessage(message: string, argv: string[], plugin: PluginDefinition): string {
  const display = `kubectl ${plugin.name}`;
  const [first, ...more] = message.split('\n');
  // The command the words chose (through its groups) and the positional words after it, flags and their values set aside.
  const chosen = typedWords(plugin, argv);
  const unknown = /^Unknown arguments?: (.*)$/.exec(first ?? '');
  if (unknown) {
    const names = unknown[1].split(', ');
    const flags = names.map((n) => typedFlag(n, argv)).filter((f): f is string => f !== undefined);
    if (flags.length) return [`unknown flag${flags.length > 1 ? 's' : ''}: ${flags.join(', ')}`, ...more].join('\n');
    const where = [display, ...chosen.path].join(' ');
    const help = `see '${where} --help'`;
    return chosen.spec
      ? `unexpected argument${names.length > 1 ? 's' : ''} ${names.map((n) => `"${n}"`).join(', ')} for "${where}" (${help})`
      : [`unknown command "${names[0]}" for "${where}" (${help})`, ...more].join('\n');
  }
  const suggestion = /^Did you mean (.*)\?$/.exec(first ?? '');
  if (suggestion) {
    const where = [display, ...chosen.path].join(' ');
    return `unknown command "${chosen.positionals[0] ?? ''}" for "${where}"; did you mean "${suggestion[1]}"?`;
  }
  if (/^Not enough non-option arguments/.test(first ?? '')) {
    if (chosen.spec) {
      const missing = positionalNames(chosen.spec.command).slice(chosen.positionals.length);
      const where = [display, ...chosen.path].join(' ');
      if (missing.length)
        return `missing ${missing.map((m) => `<${m.name}>`).join(' ')} for "${where}" (usage: ${display} ${chosen.path.slice(0, -1).concat(chosen.spec.command).join(' ')})`;
    }
  }
  return message;
}

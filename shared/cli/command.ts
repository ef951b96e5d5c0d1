// The shape every command has (kubectl's): flags -> options, complete from the cluster, validate, run.
import type { Argv } from 'yargs';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import type { NameSource } from '../commands/complete-names.js';

export type Args = Record<string, unknown> & { _: (string | number)[] };

export interface CommandSpec<O> {
  /** yargs command string, e.g. "set <canary> <percent>". */
  command: string;
  describe: string;
  aliases?: string[];
  examples?: [string, string][];
  /** Hidden from --help (internal commands such as __complete). */
  hidden?: boolean;
  /** Declare flags and positionals. */
  builder?: (y: Argv) => Argv;
  /** Positionals that name objects: shell completion lists them from the cluster. */
  completions?: Record<string, NameSource>;
  /**
   * Pure: the parsed flags become a typed options object; argument mistakes throw UsageError. It may
   * be async only to load a checker lazily (RE2 for regular expressions), never for I/O.
   */
  options(args: Args, ctx: CommandContext): O | Promise<O>;
  /** I/O allowed: fill in what the options need from the kubeconfig and the cluster. */
  complete?(ctx: CommandContext, o: O): Promise<O>;
  /** Pure: reject bad input before anything is written. */
  validate?(o: O): void;
  /** Do the work; a number is the exit code (for audits), nothing means 0. */
  run(ctx: CommandContext, o: O): Promise<number | void>;
}

/** Erases the options type so a plugin can list its commands in one array. */
export type AnyCommand = CommandSpec<unknown>;

export function defineCommand<O>(spec: CommandSpec<O>): AnyCommand {
  return spec;
}

/**
 * A word that holds subcommands (`nodes` in `kubectl ingress-ha nodes add|remove|list`): each
 * subcommand has its own flags and --help; the group itself only lists them.
 */
export interface CommandGroup {
  group: string;
  describe: string;
  aliases?: string[];
  examples?: [string, string][];
  subcommands: CommandNode[];
}

/** A plugin's command tree: commands, and groups of them. */
export type CommandNode = AnyCommand | CommandGroup;

export function defineGroup(g: CommandGroup): CommandGroup {
  return g;
}

export function isGroup(n: CommandNode): n is CommandGroup {
  return 'subcommands' in n;
}

/** The word that selects a node ("set" for "set <canary> <percent>"). */
export function nodeWord(n: CommandNode): string {
  return isGroup(n) ? n.group : (n.command.split(' ')[0] ?? '');
}

/**
 * Follow the words typed through the tree: the command they choose (undefined while only groups
 * were named), the words that chose it, and the positional words after them.
 */
export function chooseCommand(
  nodes: CommandNode[],
  words: string[],
): { spec: AnyCommand | undefined; group: CommandGroup | undefined; path: string[]; rest: string[] } {
  let level = nodes;
  let group: CommandGroup | undefined;
  const path: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const n = level.find((c) => nodeWord(c) === words[i] || (c.aliases ?? []).includes(words[i]));
    if (!n) break;
    path.push(nodeWord(n));
    if (!isGroup(n)) return { spec: n, group, path, rest: words.slice(i + 1) };
    group = n;
    level = n.subcommands;
  }
  return { spec: undefined, group, path, rest: words.slice(path.length) };
}

export interface PluginDefinition {
  /** As typed after kubectl: "canary", "ingress-ha". */
  name: string;
  /** One line for --help. */
  summary: string;
  examples: [string, string][];
  commands: CommandNode[];
}

/** The executable's name: kubectl-<name>, with '-' in the plugin name written as '_'. */
export function binaryName(plugin: string): string {
  return `kubectl-${plugin.replace(/-/g, '_')}`;
}

// Small typed readers for yargs' untyped argv.
export function str(args: Args, key: string): string | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) throw new UsageError(`--${key} was given more than once`);
  return scalarText(v);
}

/** A flag value as text: yargs gives strings, numbers and booleans; anything else is shown as JSON. */
export function scalarText(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : (JSON.stringify(v) ?? '');
}

export function requiredStr(args: Args, key: string): string {
  const v = str(args, key);
  if (v === undefined || v === '') throw new UsageError(`missing required argument <${key}>`);
  return v;
}

export function bool(args: Args, key: string): boolean {
  return args[key] === true;
}

export function strList(args: Args, key: string): string[] {
  const v = args[key];
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

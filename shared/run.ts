// The one runner: argv -> yargs -> the chosen command's options/complete/validate/run -> exit code.
// Every error becomes one line on stderr (a stack trace only with -v); only main() exits the process.
import Yargs from 'yargs';
import type { Argv } from 'yargs';
import { CliError, ExitCode, SilentExit, UsageError } from './errors.js';
import { colorEnabled, painter } from './output/color.js';
import { checkFlagValues, connectionFlags, globalFlags } from './cli/flags.js';
import { binaryName, isGroup, nodeWord, type AnyCommand, type Args, type CommandNode, type PluginDefinition } from './cli/command.js';
import { systemClock, type CommandContext, type IO, type Writer } from './context.js';
import type { ResolvedConfig } from './kube/kubeconfig.js';
import { VERSION } from './version.js';
import { completeWords } from './commands/completion.js';
import { completeNames } from './commands/complete-names.js';
import { usageMessage } from './cli/usage-messages.js';
import { stdFlushed, stdWriter as writerFor } from './output/std-writer.js';

/** The part of yargs' internals buildParser reaches into. */
interface YargsInternals {
  getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } };
}

interface Selected {
  spec: AnyCommand;
  args: Args;
}

/** What yargs matched: a command, or a group named without one of its subcommands. */
type Selection = Selected | { group: string; subcommands: string[] };

/** Where a parser reports: the argv of the run (for usage messages) and what receives the command it matched. */
interface Binding {
  argv: string[];
  onSelect: (s: Selection) => void;
}

/** The width yargs wraps help at for this output. */
const helpWidth = (io: IO) => Math.min(110, io.stdout.columns || 100);

/** Build the yargs parser for a plugin; `onSelect` receives the command (or bare group) yargs matched. */
export function buildParser(plugin: PluginDefinition, argv: string[], onSelect: (s: Selection) => void, io: IO): Argv {
  return parserFor(plugin, { argv, onSelect }, helpWidth(io));
}

/** The parser, reporting to whatever `binding` holds when it parses (so a kept parser serves every run). */
function parserFor(plugin: PluginDefinition, binding: Binding, width: number): Argv {
  const display = `kubectl ${plugin.name}`;
  const onSelect = (s: Selection) => binding.onSelect(s);
  let y = globalFlags(Yargs())
    .scriptName(display)
    .usage(`${display} - ${plugin.summary}\n\nUsage: ${display} <command> [flags]`)
    .strict()
    .exitProcess(false)
    .wrap(width)
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .recommendCommands()
    .completion('__yargs_completion', false)
    // kebab-case only: no camelCase twins in argv or in 'Unknown arguments' messages.
    .parserConfiguration({ 'camel-case-expansion': false })
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(usageMessage(msg, binding.argv, plugin));
    });
  // yargs renders the whole help after a command's handler, for a later showHelp() (we never call):
  // a few ms of every command's start-up for nothing.
  (y as unknown as YargsInternals).getInternalMethods().getUsageInstance().cacheHelpMessage = () => {};
  for (const [cmd, desc] of plugin.examples) y = y.example(cmd, desc);
  // No demandCommand: strict parsing reports an unknown flag first; a missing command is said after.
  return addCommands(y, plugin.commands, display, onSelect);
}

/** Parsers built ahead of the runs that use them, one per plugin, each used by one run at a time. */
const kept = new Map<PluginDefinition, { parser: Argv; binding: Binding; busy: boolean }>();

/**
 * Builds each plugin's parser now, for later runs to only parse their argv: the single executable
 * calls this while its startup snapshot is made, so the parsers (and the code building them compiled)
 * are in the snapshot and a process started from it does not build one (yargs' set-up of the command
 * tree: several ms of a cold start).
 */
export function keepParsers(plugins: Iterable<PluginDefinition>): void {
  for (const plugin of plugins) {
    const binding: Binding = { argv: [], onSelect: () => {} };
    kept.set(plugin, { parser: parserFor(plugin, binding, 100), binding, busy: false });
  }
}

/** Parse argv, calling onSelect with what it matched; resolves to yargs' output (help, version). */
async function parseArgv(plugin: PluginDefinition, argv: string[], onSelect: (s: Selection) => void, io: IO): Promise<string> {
  const k = kept.get(plugin);
  const use = k && !k.busy ? k : undefined;
  const binding: Binding = { argv, onSelect };
  const parser = use ? use.parser.wrap(helpWidth(io)) : parserFor(plugin, binding, helpWidth(io));
  if (use) {
    use.busy = true;
    Object.assign(use.binding, binding);
  }
  let spent = true;
  try {
    return await new Promise<string>((resolve, reject) => {
      void parser.parse(argv, {}, (err, _args, out) => {
        if (err) reject(err instanceof CliError ? err : new UsageError(err.message));
        else {
          spent = out !== '';
          resolve(out);
        }
      });
    });
  } finally {
    // Kept only after a parse that chose a command: one that failed leaves yargs' state of the command
    // it was in, and help at the top level adds the aliases to the parser's options.
    if (use) {
      use.busy = false;
      Object.assign(use.binding, { argv: [], onSelect: () => {} } satisfies Binding);
      if (spent) kept.delete(plugin);
    }
  }
}

/** Register a level of the command tree; a group registers its subcommands in its builder (yargs' nesting). */
function addCommands(y: Argv, nodes: CommandNode[], path: string, onSelect: (s: Selection) => void): Argv {
  for (const node of nodes) {
    if (isGroup(node)) {
      const here = `${path} ${node.group}`;
      y = y.command({
        command: node.group,
        describe: node.describe,
        aliases: node.aliases ?? [],
        builder: (sub: Argv) => {
          let b = addCommands(sub, node.subcommands, here, onSelect);
          for (const [cmd, desc] of node.examples ?? []) b = b.example(cmd, desc);
          return b.usage(`${here} <command> [flags]\n\n${node.describe}`);
        },
        handler: () => onSelect({ group: here, subcommands: node.subcommands.map(nodeWord) }),
      });
      continue;
    }
    const spec = node;
    y = y.command({
      command: spec.command,
      describe: spec.hidden ? false : spec.describe,
      aliases: spec.aliases ?? [],
      builder: (sub: Argv) => {
        let b = spec.builder ? spec.builder(sub) : sub;
        for (const [cmd, desc] of spec.examples ?? []) b = b.example(cmd, desc);
        return b.usage(`${path} ${spec.command}\n\n${spec.describe}`);
      },
      handler: (args) => onSelect({ spec, args: args }),
    });
  }
  return y;
}

/** The kubeconfig reader and API client load only once a command runs (not for --help or usage errors). */
async function loadKube() {
  return import('./lazy/kube.js');
}

function makeContext(
  plugin: PluginDefinition,
  io: IO,
  args: Args,
  kubeLib: Awaited<ReturnType<typeof loadKube>>,
  argv: readonly string[] = [],
): { ctx: CommandContext; requests: () => string | undefined } {
  const { loadKubeconfig, resolveKubeconfig, Kube } = kubeLib;
  const stderrTTY = Boolean(io.stderr.isTTY);
  // Decided per stream: data piped to a file gets no escapes even when stderr is a terminal.
  const color = colorEnabled(io.env, args['color'] === false, Boolean(io.stdout.isTTY));
  const stderrPaint = painter(colorEnabled(io.env, args['color'] === false, stderrTTY));
  let config: ResolvedConfig | undefined;
  let kube: InstanceType<typeof Kube> | undefined;
  // Clients of other contexts and of stored credentials, in the order made (for -v).
  const others = new Map<string, InstanceType<typeof Kube>>();
  const connect = (c: ResolvedConfig) => (io.connect ? io.connect(c, binaryName(plugin.name)) : new Kube(c, binaryName(plugin.name), { env: io.env }));
  let interruption: AbortController | undefined;
  const ctx: CommandContext = {
    stdout: io.stdout,
    stderr: io.stderr,
    env: io.env,
    clock: io.clock ?? systemClock,
    color,
    paint: painter(color),
    interactive: stderrTTY,
    verbosity: typeof args['v'] === 'number' ? args['v'] : 0,
    plugin: plugin.name,
    self: io.self ?? '',
    argv,
    config: () => (config ??= loadKubeconfig(connectionFlags(args), io.env)),
    kube: () => (kube ??= connect(ctx.config())),
    kubeFor: (context) => {
      if (context === ctx.config().contextName) return ctx.kube();
      const key = `context:${context}`;
      let k = others.get(key);
      // Only the kubeconfig's choice and the request timeout apply: the other connection flags
      // (--server, --token, --user...) override the --context they come with, not this one.
      const flags = connectionFlags(args);
      if (!k) others.set(key, (k = connect(loadKubeconfig({ kubeconfig: flags.kubeconfig, context, requestTimeoutMs: flags.requestTimeoutMs }, io.env))));
      return k;
    },
    kubeForKubeconfig: (content, source) => {
      const key = `stored:${source}:${content}`;
      let k = others.get(key);
      if (!k) others.set(key, (k = connect({ ...resolveKubeconfig([{ path: source, content }], {}), contextName: source, files: [] })));
      return k;
    },
    warn: (m) => void io.stderr.write(`${stderrPaint('yellow', 'Warning:')} ${m}\n`),
    interruption: () => {
      if (!interruption) {
        const controller = (interruption = new AbortController());
        io.interrupts?.(() => controller.abort());
      }
      return interruption.signal;
    },
  };
  // For -v: how many API requests the command made, by verb; other clients' lines name their context.
  const line = (k: InstanceType<typeof Kube>, label: string) =>
    `${k.requests} API requests to ${k.config.server} (${Object.entries(k.requestsByVerb)
      .map(([v, n]) => `${v} ${n}`)
      .join(', ')})${label}`;
  const requests = () =>
    [
      ...(kube && kube.requests > 0 ? [line(kube, '')] : []),
      ...[...others.values()].filter((k) => k.requests > 0).map((k) => line(k, ` for context "${k.config.contextName}"`)),
    ].join('\nI: ') || undefined;
  return { ctx, requests };
}

/**
 * yargs reads `--flag -` as an empty value and a stray '-' (while `-f -` and `--flag=-` work); '-' is
 * a value kubectl users type for stdin/stdout, so a long flag followed by '-' is joined as --flag=-.
 */
export function joinDashValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return [...out, ...argv.slice(i)];
    if (/^--[^=]+$/.test(a) && argv[i + 1] === '-') {
      out.push(`${a}=-`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Run a plugin on argv (without node and script) and return the exit code. Never exits the process. */
export async function runCli(plugin: PluginDefinition, rawArgv: string[], io: IO): Promise<number> {
  const argv = joinDashValues(rawArgv);
  let selected: Selection | undefined;
  let verbose = argv.some((a) => /^(-v+|--v(=\d+)?|--verbose)$/.test(a));
  const color = colorEnabled(io.env, argv.includes('--no-color'), Boolean(io.stderr.isTTY));
  const fail = (err: unknown): number => {
    const code = err instanceof CliError ? err.exitCode : ExitCode.failure;
    const message = err instanceof Error ? err.message : String(err);
    // One line: multi-line messages (yargs lists invalid values on a second line) are joined.
    const line = message
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .join(' ');
    if (line) io.stderr.write(`${painter(color)('red', 'error:')} ${line}\n`);
    // A SilentExit is a chosen exit code (a gate's 3), not a failure: nothing to trace.
    if (verbose && err instanceof Error && !(err instanceof SilentExit) && err.stack) io.stderr.write(`${err.stack}\n`);
    return code;
  };
  if (argv[0] === '__complete') {
    // Completion words may look like flags; they are data here, so yargs must not parse them.
    try {
      const names = (words: string[]) => completeNames(plugin, words, async (args) => makeContext(plugin, io, args, await loadKube()).ctx);
      io.stdout.write(
        await completeWords(
          buildParser(plugin, [], () => {}, io),
          argv.slice(1),
          names,
        ),
      );
      return ExitCode.ok;
    } catch (err) {
      return fail(err);
    }
  }
  let output: string;
  try {
    output = await parseArgv(plugin, argv, (s) => (selected = s), io);
  } catch (err) {
    return fail(err);
  }
  if (!selected || 'group' in selected) {
    // --help or --version: yargs produced the text.
    if (output) {
      io.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
      return ExitCode.ok;
    }
    const [where, which] = selected
      ? [selected.group, selected.subcommands]
      : [`kubectl ${plugin.name}`, plugin.commands.filter((c) => isGroup(c) || !c.hidden).map(nodeWord)];
    return fail(new UsageError(`${where}: a command is required (${which.join(', ')}; see '${where} --help')`));
  }
  const { spec, args } = selected;
  try {
    // Loosely read values (--wait=yes, --v=abc) are usage mistakes, found before -v counts.
    checkFlagValues(argv, args);
  } catch (err) {
    return fail(err);
  }
  verbose = verbose || (typeof args['v'] === 'number' && args['v'] > 0);
  let requests: () => string | undefined = () => undefined;
  try {
    // The connection flags every command shares (-n, --request-timeout), before the command reads its own.
    connectionFlags(args);
    const made = makeContext(plugin, io, args, await loadKube(), argv);
    requests = made.requests;
    const ctx = made.ctx;
    let options = await spec.options(args, ctx);
    if (spec.complete) options = await spec.complete(ctx, options);
    spec.validate?.(options);
    const code = await spec.run(ctx, options);
    return typeof code === 'number' ? code : ExitCode.ok;
  } catch (err) {
    return fail(err);
  } finally {
    const r = verbose ? requests() : undefined;
    if (r) io.stderr.write(`I: ${r}\n`);
  }
}

/** The entry point each plugin's main.ts calls (and sea/main.ts, with the arguments and path it dispatched on): the only place that exits the process. */
export async function main(plugin: PluginDefinition, argv = process.argv.slice(2), self = process.argv[1] ?? ''): Promise<void> {
  const code = await runCli(plugin, argv, {
    stdout: stdWriter(1),
    stderr: stdWriter(2),
    env: process.env,
    self,
    interrupts: (handler) => void process.once('SIGINT', handler),
  });
  // Exit only once everything written has been handed to the OS.
  await stdFlushed();
  process.exit(code);
}

/** stdout (1) or stderr (2) of this process; a reader that stops early (`| head -1`) ends it quietly, exit 0. */
export function stdWriter(fd: 1 | 2): Writer {
  return writerFor(fd, () => process.exit(ExitCode.ok));
}

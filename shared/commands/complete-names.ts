// Completion of object names (as Argo Rollouts' plugin completes rollouts): a command declares which
// kind each positional names (`completions: { canary: NAMES.deployment }`); the words typed so far say
// which positional is being completed and which kubeconfig, context and namespace to list from.
// Also the value of -n/--namespace (from the cluster).
import Yargs from 'yargs';
import { chooseCommand, type AnyCommand, type Args, type PluginDefinition } from '../cli/command.js';
import { globalFlags } from '../cli/flags.js';
import type { CommandContext } from '../context.js';

export interface NameSource {
  apiVersion: string;
  kind: string;
  /** Cluster-scoped (Nodes, Namespaces): listed without a namespace. */
  cluster?: boolean;
}

export const NAMES = {
  deployment: { apiVersion: 'apps/v1', kind: 'Deployment' },
  service: { apiVersion: 'v1', kind: 'Service' },
  ingress: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  node: { apiVersion: 'v1', kind: 'Node', cluster: true },
  namespace: { apiVersion: 'v1', kind: 'Namespace', cluster: true },
  workloadGroup: { apiVersion: 'networking.istio.io/v1', kind: 'WorkloadGroup' },
  secret: { apiVersion: 'v1', kind: 'Secret' },
} satisfies Record<string, NameSource>;

/** The positionals of a yargs command string: "set <canary> <percent>" -> canary, percent. */
export function positionalNames(command: string): { name: string; variadic: boolean }[] {
  return command
    .split(/\s+/)
    .slice(1)
    .map((t) => /^[<[]([^\]>.]+)(\.\.)?[\]>]$/.exec(t))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[1], variadic: m[2] === '..' }));
}

/** What the words before the one being completed say: the command, its positional words, the flags. */
export function typedWords(plugin: PluginDefinition, words: string[]): { spec: AnyCommand | undefined; path: string[]; positionals: string[]; args: Args } {
  // Parsed with the global flags (to find the command), then with the command's own flags too, so
  // `-n shop` takes its value and a boolean flag does not swallow the next word.
  const parse = (spec?: AnyCommand): Args => {
    let y = globalFlags(Yargs()).exitProcess(false).help(false).version(false).parserConfiguration({ 'camel-case-expansion': false });
    y = y.fail(() => undefined);
    if (spec?.builder) y = spec.builder(y);
    return y.parseSync(words);
  };
  // The words that name a command (through its groups: nodes add) come first.
  const { spec, path } = chooseCommand(plugin.commands, parse()._.map(String));
  const args = parse(spec);
  const positionals = args._.map(String);
  return { spec, path, positionals: positionals.slice(path.length), args };
}

/** Names for the word being completed, or undefined when it is not an object name or a flag value we know. */
export async function completeNames(
  plugin: PluginDefinition,
  words: string[],
  context: (args: Args) => Promise<CommandContext>,
): Promise<string[] | undefined> {
  const current = words[words.length - 1] ?? '';
  const before = words.slice(0, -1);
  const previous = before[before.length - 1];
  const { spec, positionals, args } = typedWords(plugin, before);
  try {
    if (previous === '-n' || previous === '--namespace') return await listNames(await context(args), NAMES.namespace);
    if (!spec || current.startsWith('-')) return undefined;
    const slots = positionalNames(spec.command);
    const slot = slots[positionals.length] ?? (slots[slots.length - 1]?.variadic ? slots[slots.length - 1] : undefined);
    const source = slot && spec.completions?.[slot.name];
    return source ? await listNames(await context(args), source) : undefined;
  } catch {
    // No kubeconfig, no cluster, no permission: nothing to offer, as kubectl does.
    return [];
  }
}

async function listNames(ctx: CommandContext, source: NameSource): Promise<string[]> {
  const items = await ctx.kube().list(source.apiVersion, source.kind, source.cluster ? {} : { namespace: ctx.config().namespace });
  return items.map((o) => o.metadata?.name ?? '').filter(Boolean);
}

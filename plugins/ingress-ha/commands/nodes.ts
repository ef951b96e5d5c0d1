// kubectl ingress-ha nodes add|remove|list: which nodes carry ingress traffic (seed 001 chapter 3,
// step 1: `kubectl label no <node> node-role.kubernetes.io/ingress=true`), with --exclusive tainting
// them so ordinary workloads stay off.
import { bool, defineCommand, requiredStr, strList } from '../../../shared/cli/command.js';
import { dryRunFlag, outputFlag, readDryRun, readOutput } from '../../../shared/cli/flags.js';
import type { CommandContext } from '../../../shared/context.js';
import { CliError, UsageError } from '../../../shared/errors.js';
import { retryOnConflict, type DryRun } from '../../../shared/kube/client.js';
import { executePlan } from '../../../shared/kube/plan.js';
import { TEMPLATE_FORMATS, type OutputFormat } from '../../../shared/output/format.js';
import { outputApiVersion } from '../../../shared/output/api.js';
import { print } from '../../../shared/output/print.js';
import { dnsSubdomain } from '../../../shared/validate.js';
import { nodeRows, planAdd, planRemove, type NodeRow } from '../nodes.js';
import { isIngressNode, nameOf, type NodeLike } from '../observed.js';
import { readIngressNodes } from '../observe.js';
import { INGRESS_SELECTOR } from '../options.js';
import { NAMES } from '../../../shared/commands/complete-names.js';

const ACTIONS = ['add', 'remove', 'list'] as const;

interface Options {
  action: (typeof ACTIONS)[number];
  nodes: string[];
  exclusive: boolean;
  force: boolean;
  dryRun: DryRun;
  output: OutputFormat;
}

export const nodesCommand = defineCommand<Options>({
  command: 'nodes <action> [nodes..]',
  completions: { nodes: NAMES.node },
  describe: `Add, remove or list ingress nodes (label ${INGRESS_SELECTOR}; --exclusive also taints)`,
  examples: [
    ['$0 nodes add node-a1 node-b1', 'Make two nodes (one per zone) ingress nodes'],
    ['$0 nodes add node-a1 node-b1 --exclusive', 'Also taint them so only the controller runs there'],
    ['$0 nodes remove node-a1', 'Take a node out of the ingress layer (its controller pod goes)'],
    ['$0 nodes list -o wide', 'Ingress nodes: zone, readiness, controller pod, restarts'],
  ],
  builder: (y) =>
    dryRunFlag(outputFlag(y, ['table', 'wide', 'json', 'yaml', 'name', ...TEMPLATE_FORMATS]))
      .positional('action', { type: 'string', choices: [...ACTIONS], describe: 'add, remove or list' })
      .positional('nodes', { type: 'string', array: true, describe: 'Node names (add, remove)' })
      .option('exclusive', {
        type: 'boolean',
        default: false,
        describe: 'add: also taint node-role.kubernetes.io/ingress=true:NoSchedule (the controller tolerates it)',
      })
      .option('force', { type: 'boolean', default: false, describe: 'remove: even the last ingress nodes (the ingress layer stops serving)' }),
  options: (args) => {
    const action = requiredStr(args, 'action') as Options['action'];
    const nodes = strList(args, 'nodes').map((n) => dnsSubdomain(n, 'node name'));
    if (action === 'list' && nodes.length) throw new UsageError('nodes list takes no node names');
    if (action !== 'list' && nodes.length === 0) throw new UsageError(`nodes ${action} needs at least one node name`);
    if (action !== 'add' && bool(args, 'exclusive')) throw new UsageError('--exclusive goes with nodes add');
    if (action !== 'remove' && bool(args, 'force')) throw new UsageError('--force goes with nodes remove');
    return {
      action,
      nodes: [...new Set(nodes)],
      exclusive: bool(args, 'exclusive'),
      force: bool(args, 'force'),
      dryRun: readDryRun(args),
      output: readOutput(args, ['table', 'wide', 'json', 'yaml', 'name', ...TEMPLATE_FORMATS]),
    };
  },
  run: async (ctx, o) => (o.action === 'list' ? list(ctx, o) : change(ctx, o)),
});

/** The named nodes, from one list of all nodes; an unknown name is an error before anything is written. */
async function readNodes(ctx: CommandContext, names: string[]): Promise<{ all: NodeLike[]; named: NodeLike[] }> {
  const all = await ctx.kube().list<NodeLike>('v1', 'Node');
  const byName = new Map(all.map((n) => [nameOf(n), n]));
  const missing = names.filter((n) => !byName.has(n));
  if (missing.length)
    throw new CliError(`node${missing.length > 1 ? 's' : ''} ${missing.map((n) => `"${n}"`).join(', ')} not found (kubectl get nodes lists them)`);
  return { all, named: names.map((n) => byName.get(n)!) };
}

async function change(ctx: CommandContext, o: Options): Promise<void> {
  let left = 0;
  await retryOnConflict(async () => {
    const { all, named } = await readNodes(ctx, o.nodes);
    const plan = o.action === 'add' ? planAdd(named, o.exclusive) : planRemove(named);
    const ingress = new Set(all.filter(isIngressNode).map(nameOf));
    for (const n of o.nodes)
      if (o.action === 'add') ingress.add(n);
      else ingress.delete(n);
    left = ingress.size;
    // Removing the last ingress nodes takes every controller pod away: the whole ingress layer stops.
    if (o.action === 'remove' && left === 0 && plan.changes.length && !o.force) {
      throw new CliError(
        `removing ${o.nodes.join(', ')} would leave no ingress node, so no controller pod would serve; add other nodes first (kubectl ingress-ha nodes add <node>...), or pass --force`,
      );
    }
    for (const line of plan.unchanged) ctx.stdout.write(`${line}\n`);
    if (plan.changes.length) await executePlan(ctx, plan.changes, o.dryRun);
  });
  if (left < 2) {
    ctx.warn(
      `${left === 0 ? 'no ingress node is' : 'only 1 ingress node is'} left: the ingress layer needs 2 or more (in different zones) to survive a node failure`,
    );
  }
}

async function list(ctx: CommandContext, o: Options): Promise<void> {
  const { nodes, controllerPods } = await readIngressNodes(ctx.kube(), ctx.plugin);
  const rows = nodeRows(nodes, controllerPods);
  if (rows.length === 0 && (o.output === 'table' || o.output === 'wide')) {
    ctx.stderr.write(`No ingress nodes (none is labelled ${INGRESS_SELECTOR}); add some with: kubectl ingress-ha nodes add <node>...\n`);
    return;
  }
  await print(ctx, o.output, {
    data: { apiVersion: outputApiVersion('ingress-ha'), kind: 'IngressNodeList', items: rows },
    rows,
    names: rows.map((r) => `node/${r.node}`),
    columns: [
      { header: 'Node', value: (r: NodeRow) => r.node },
      { header: 'Zone', value: (r: NodeRow) => r.zone || '<none>' },
      { header: 'Status', value: (r: NodeRow) => (r.ready ? 'Ready' : 'NotReady') },
      { header: 'Exclusive', value: (r: NodeRow) => (r.exclusive ? 'yes' : 'no') },
      { header: 'Controller', value: (r: NodeRow) => (r.pod ? `${r.podNamespace}/${r.pod}` : '<none>') },
      { header: 'Pod-Ready', value: (r: NodeRow) => (r.pod ? String(r.podReady) : '-') },
      { header: 'Restarts', value: (r: NodeRow) => (r.pod ? String(r.restarts) : '-'), wide: true },
    ],
  });
}

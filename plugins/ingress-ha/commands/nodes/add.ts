// kubectl ingress-ha nodes add <node>...: label nodes node-role.kubernetes.io/ingress=true (seed 001
// chapter 3, step 1), with --exclusive also tainting them so ordinary workloads stay off.
import { bool, defineCommand, strList } from '../../../../shared/cli/command.js';
import { dryRunFlag, readDryRun } from '../../../../shared/cli/flags.js';
import { changeOutputFlag, readChangeOutput } from '../../../../shared/output/change.js';
import { NAMES } from '../../../../shared/commands/complete-names.js';
import { UsageError } from '../../../../shared/errors.js';
import { INGRESS_SELECTOR } from '../../options.js';
import { change, nodeNames, type ChangeOptions } from './change.js';

export const nodesAddCommand = defineCommand<ChangeOptions>({
  command: 'add <nodes..>',
  completions: { nodes: NAMES.node },
  describe: `Make nodes ingress nodes (label ${INGRESS_SELECTOR}; --exclusive also taints them)`,
  examples: [
    ['$0 nodes add node-a1 node-b1', 'Make two nodes (one per zone) ingress nodes'],
    ['$0 nodes add node-a1 node-b1 --exclusive', 'Also taint them so only the controller runs there'],
  ],
  builder: (y) =>
    dryRunFlag(changeOutputFlag(y)).positional('nodes', { type: 'string', array: true, describe: 'Node names' }).option('exclusive', {
      type: 'boolean',
      default: false,
      describe: 'Also taint node-role.kubernetes.io/ingress=true:NoSchedule (the controller tolerates it)',
    }),
  options: (args) => {
    const nodes = nodeNames(strList(args, 'nodes'));
    if (nodes.length === 0) throw new UsageError('nodes add needs at least one node name');
    return { action: 'add', nodes, exclusive: bool(args, 'exclusive'), force: false, dryRun: readDryRun(args), output: readChangeOutput(args) };
  },
  run: (ctx, o) => change(ctx, o),
});

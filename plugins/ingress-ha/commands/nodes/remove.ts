// kubectl ingress-ha nodes remove <node>...: take nodes out of the ingress layer (label and taint
// removed; their controller pods go). The last ingress nodes only with --force.
import { bool, defineCommand, strList } from '../../../../shared/cli/command.js';
import { dryRunFlag, readDryRun } from '../../../../shared/cli/flags.js';
import { changeOutputFlag, readChangeOutput } from '../../../../shared/output/change.js';
import { NAMES } from '../../../../shared/commands/complete-names.js';
import { UsageError } from '../../../../shared/errors.js';
import { change, nodeNames, type ChangeOptions } from './change.js';

export const nodesRemoveCommand = defineCommand<ChangeOptions>({
  command: 'remove <nodes..>',
  completions: { nodes: NAMES.node },
  describe: 'Take nodes out of the ingress layer (their controller pods go)',
  examples: [['$0 nodes remove node-a1', 'Take a node out of the ingress layer']],
  builder: (y) =>
    dryRunFlag(changeOutputFlag(y))
      .positional('nodes', { type: 'string', array: true, describe: 'Node names' })
      .option('force', { type: 'boolean', default: false, describe: 'Even the last ingress nodes (the ingress layer stops serving)' }),
  options: (args) => {
    const nodes = nodeNames(strList(args, 'nodes'));
    if (nodes.length === 0) throw new UsageError('nodes remove needs at least one node name');
    return { action: 'remove', nodes, exclusive: false, force: bool(args, 'force'), dryRun: readDryRun(args), output: readChangeOutput(args) };
  },
  run: (ctx, o) => change(ctx, o),
});

// kubectl ingress-ha nodes add|remove|list: which nodes carry ingress traffic (seed 001 chapter 3,
// step 1: `kubectl label no <node> node-role.kubernetes.io/ingress=true`); each subcommand has its own
// flags and help.
import { defineGroup } from '../../../shared/cli/command.js';
import { INGRESS_SELECTOR } from '../options.js';
import { nodesAddCommand } from './nodes/add.js';
import { nodesListCommand } from './nodes/list.js';
import { nodesRemoveCommand } from './nodes/remove.js';

export const nodesCommand = defineGroup({
  group: 'nodes',
  describe: `Add, remove or list ingress nodes (label ${INGRESS_SELECTOR}; --exclusive also taints)`,
  subcommands: [nodesAddCommand, nodesRemoveCommand, nodesListCommand],
});

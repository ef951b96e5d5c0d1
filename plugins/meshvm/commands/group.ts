// kubectl meshvm group <subcommand>: the WorkloadGroups VMs join (today: create).
import { defineGroup } from '../../../shared/cli/command.js';
import { groupCreateCommand } from './group/create.js';

export const groupCommand = defineGroup({
  group: 'group',
  describe: 'WorkloadGroups: the template VMs join (group create)',
  subcommands: [groupCreateCommand],
});

// kubectl bluegreen rollback <target>: back to the split recorded before the first change (the new
// Service at 0% when nothing was recorded); the preview goes with it.
import { defineCommand } from '../../../shared/cli/command.js';
import { readTargetArgs, targetFlags } from '../flags.js';
import { mutate, type TargetOptions } from '../mutate.js';
import { NAMES } from '../../../shared/commands/complete-names.js';

export const rollbackCommand = defineCommand<TargetOptions>({
  command: 'rollback <target>',
  completions: { target: NAMES.ingress },
  describe: 'Restore the split from before the first blue-green change (new Service at 0% if none was recorded)',
  examples: [['$0 rollback echo', 'mini-echo.io back to old-nginx as it was before kubectl bluegreen set']],
  builder: targetFlags,
  options: readTargetArgs,
  run: async (ctx, o) => void (await mutate(ctx, o, { kind: 'rollback' })),
});

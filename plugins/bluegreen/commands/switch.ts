// kubectl bluegreen switch <target> <new-service>: all of the host/path to the new Service in one
// write; refused while the new Service has no ready endpoints (unless --force).
import { defineCommand } from '../../../shared/cli/command.js';
import { readTargetArgs, serviceArg, targetFlags } from '../flags.js';
import { mutate, type TargetOptions } from '../mutate.js';
import { NAMES } from '../../../shared/commands/complete-names.js';

export const switchCommand = defineCommand<TargetOptions & { service: string }>({
  command: 'switch <target> <service>',
  completions: { target: NAMES.ingress, service: NAMES.service },
  describe: 'Send all traffic of a host/path to the new Service (refused while it has no ready endpoints)',
  examples: [
    ['$0 switch echo new-nginx', 'mini-echo.io goes to new-nginx only; the old backend stays at 0% for rollback'],
    ['$0 switch echo new-nginx --dry-run=server', 'Have the API server check the change first'],
  ],
  builder: (y) => targetFlags(y).positional('service', { type: 'string', describe: 'The new Service' }),
  options: (args) => ({ ...readTargetArgs(args), service: serviceArg(args) }),
  run: async (ctx, o) => void (await mutate(ctx, o, { kind: 'set', service: o.service, percent: 100 })),
});

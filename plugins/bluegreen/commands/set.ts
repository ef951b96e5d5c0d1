// kubectl bluegreen set <target> <new-service> <percent>: the new Service gets that share of the
// host/path (added as a backend if missing); the old one gets the rest.
import { defineCommand, requiredStr } from '../../../shared/cli/command.js';
import { percentage } from '../../../shared/validate.js';
import { readTargetArgs, serviceArg, targetFlags } from '../flags.js';
import { mutate, type TargetOptions } from '../mutate.js';
import { NAMES } from '../../../shared/commands/complete-names.js';

interface Options extends TargetOptions {
  service: string;
  percent: number;
}

export const setCommand = defineCommand<Options>({
  command: 'set <target> <service> <percent>',
  completions: { target: NAMES.ingress, service: NAMES.service },
  describe: 'Give a new Service a share of a host/path; the old Service gets the rest',
  examples: [
    ['$0 set echo new-nginx 50', 'Half of mini-echo.io to new-nginx (ingress.aliyun.weight/new-nginx: "50" with --provider aliyun)'],
    ['$0 set httproute/shop shop-v2 10 --path /api', 'Ten percent of /api on a Gateway API route'],
    ['$0 set echo new-nginx 20 --dry-run=client', 'Print the objects that would be written'],
  ],
  builder: (y) =>
    targetFlags(y)
      .positional('service', { type: 'string', describe: 'The new Service' })
      .positional('percent', { type: 'string', describe: 'Its share, 0-100' }),
  options: (args) => ({ ...readTargetArgs(args), service: serviceArg(args), percent: percentage(requiredStr(args, 'percent')) }),
  run: async (ctx, o) => void (await mutate(ctx, o, { kind: 'set', service: o.service, percent: o.percent })),
});

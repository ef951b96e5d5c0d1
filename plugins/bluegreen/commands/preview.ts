// kubectl bluegreen preview <target> <new-service> --header K=V | --header-pattern K=REGEX | --cookie C:
// only matching requests go to the new Service (test before switch), where the provider can.
import { defineCommand, str } from '../../../shared/cli/command.js';
import { UsageError } from '../../../shared/errors.js';
import { headerValue, httpToken, keyValue, re2Pattern } from '../../../shared/validate.js';
import type { PreviewMatch } from '../model.js';
import { readTargetArgs, serviceArg, targetFlags } from '../flags.js';
import { mutate, type TargetOptions } from '../mutate.js';
import { NAMES } from '../../../shared/commands/complete-names.js';

interface Options extends TargetOptions {
  service: string;
  match: PreviewMatch;
}

export const previewCommand = defineCommand<Options>({
  command: 'preview <target> <service>',
  completions: { target: NAMES.ingress, service: NAMES.service },
  describe: 'Route only requests with a header or cookie to the new Service (nginx, alb, gateway, istio)',
  examples: [
    ['$0 preview echo new-nginx --header x-env=test', "curl -H 'x-env: test' reaches new-nginx; everyone else the old split"],
    ['$0 preview echo new-nginx --cookie beta', 'Requests with the cookie beta=always reach new-nginx'],
  ],
  builder: (y) =>
    targetFlags(y)
      .positional('service', { type: 'string', describe: 'The new Service' })
      .option('header', { type: 'string', describe: 'NAME=VALUE: requests with this header value' })
      .option('header-pattern', { type: 'string', describe: 'NAME=REGEX: requests whose header matches (not ALB)' })
      .option('cookie', { type: 'string', describe: 'NAME: requests with the cookie NAME=always' }),
  options: async (args) => {
    const header = str(args, 'header');
    const pattern = str(args, 'header-pattern');
    const cookie = str(args, 'cookie');
    const given = [header, pattern, cookie].filter((x) => x !== undefined).length;
    if (given !== 1) throw new UsageError('give exactly one of --header NAME=VALUE, --header-pattern NAME=REGEX or --cookie NAME');
    let match: PreviewMatch;
    if (cookie !== undefined) {
      match = { cookie: httpToken(cookie, 'HTTP cookie name') };
    } else {
      const [name, v] = keyValue((header ?? pattern)!, header !== undefined ? '--header' : '--header-pattern');
      httpToken(name);
      match = { header: header !== undefined ? { name, value: headerValue(v, '--header value') } : { name, pattern: await re2Pattern(v, '--header-pattern') } };
    }
    return { ...readTargetArgs(args), service: serviceArg(args), match };
  },
  run: async (ctx, o) => void (await mutate(ctx, o, { kind: 'preview', service: o.service, match: o.match })),
});

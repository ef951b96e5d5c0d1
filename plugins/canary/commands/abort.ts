// kubectl canary abort <canary>: all traffic back to the stable Deployment, with the replicas it had
// before the canary started; the canary is scaled to 0 (kept, for another try).
import { bool, defineCommand, requiredStr, str } from '../../../shared/cli/command.js';
import { dryRunFlag, readDryRun, readTimeout, timeoutFlag } from '../../../shared/cli/flags.js';
import type { DryRun } from '../../../shared/kube/client.js';
import { dnsSubdomain } from '../../../shared/validate.js';
import { planAbort } from '../plan-set.js';
import { runScale } from '../scale.js';
import { scaleFlags } from '../flags.js';

interface Options {
  canary: string;
  service?: string | undefined;
  stable?: string | undefined;
  wait: boolean;
  timeoutMs: number;
  dryRun: DryRun;
  force: boolean;
}

export const abortCommand = defineCommand<Options>({
  command: 'abort <canary>',
  describe: 'Send all traffic back to the stable Deployment and restore its replicas from before the canary',
  examples: [
    ['$0 abort new-nginx', 'old-nginx gets its replicas back, new-nginx is scaled to 0'],
    ['$0 abort new-nginx --dry-run=server', 'Check the changes with the API server first'],
  ],
  builder: (y) => scaleFlags(timeoutFlag(dryRunFlag(y), '5m')).positional('canary', { type: 'string', describe: 'The canary Deployment' }),
  options: (args) => ({
    canary: dnsSubdomain(requiredStr(args, 'canary'), 'deployment name'),
    service: str(args, 'service'),
    stable: str(args, 'stable'),
    wait: bool(args, 'wait'),
    timeoutMs: readTimeout(args),
    dryRun: readDryRun(args),
    force: bool(args, 'force'),
  }),
  run: async (ctx, o) => {
    const { t, plan } = await runScale(ctx, { ...o, lines: true, what: `abort ${o.canary}` }, planAbort);
    ctx.stdout.write(`canary ${t.canary.metadata?.name} ${o.dryRun === 'none' ? 'aborted' : 'would be aborted'}: all traffic of service/${t.service.metadata?.name} to ${t.stable.metadata?.name} (${plan.stable} pods)\n`);
  },
});

// kubectl canary abort <canary>: all traffic back to the stable Deployment, with the replicas it had
// before the canary started; the canary is scaled to 0 (kept, for another try).
import { defineCommand } from '../../../shared/cli/command.js';
import { planAbort } from '../plan-set.js';
import { runScale } from '../scale.js';
import { readScaleArgs, scaleFlags, type ScaleArgs } from '../flags.js';

export const abortCommand = defineCommand<ScaleArgs>({
  command: 'abort <canary>',
  describe: 'Send all traffic back to the stable Deployment and restore its replicas from before the canary',
  examples: [
    ['$0 abort new-nginx', 'old-nginx gets its replicas back, new-nginx is scaled to 0'],
    ['$0 abort new-nginx --dry-run=server', 'Check the changes with the API server first'],
  ],
  builder: scaleFlags,
  options: readScaleArgs,
  run: async (ctx, o) => {
    const { t, plan } = await runScale(ctx, { ...o, lines: true, what: `abort ${o.canary}` }, planAbort);
    ctx.stdout.write(`canary ${t.canary.metadata?.name} ${o.dryRun === 'none' ? 'aborted' : 'would be aborted'}: all traffic of service/${t.service.metadata?.name} to ${t.stable.metadata?.name} (${plan.stable} pods)\n`);
  },
});

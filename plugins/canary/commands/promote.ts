// kubectl canary promote <canary>: all traffic to the canary, at the capacity both had together; the
// stable Deployment is scaled to 0 and kept (abort undoes the promotion), or deleted with --delete-stable.
// Under Istio the VirtualService's default route sends everything to the canary's subset as well.
import { bool, defineCommand } from '../../../shared/cli/command.js';
import { promoteCanary } from '../actions.js';
import { readScaleArgs, scaleFlags, type ScaleArgs } from '../flags.js';
import { NoStableError } from '../topology.js';
import { NAMES } from '../../../shared/commands/complete-names.js';
import { counted } from '../../../shared/output/plural.js';

export const promoteCommand = defineCommand<ScaleArgs & { deleteStable: boolean }>({
  command: 'promote <canary>',
  completions: { canary: NAMES.deployment },
  describe: 'Send all traffic to the canary; the stable Deployment is scaled to 0 (kept for undo) or deleted',
  examples: [
    ['$0 promote new-nginx', 'new-nginx takes all pods; old-nginx stays at 0 replicas (abort brings it back)'],
    ['$0 promote new-nginx --delete-stable', 'The same, and old-nginx is deleted'],
  ],
  builder: (y) =>
    scaleFlags(y).option('delete-stable', { type: 'boolean', default: false, describe: 'Delete the stable Deployment instead of keeping it at 0 replicas' }),
  options: (args) => ({ ...readScaleArgs(args), deleteStable: bool(args, 'delete-stable') }),
  run: async (ctx, o) => {
    let result;
    try {
      result = await promoteCanary(ctx, { ...o, lines: true });
    } catch (err) {
      // Run again after --delete-stable: the stable is gone, so the promotion is already complete.
      if (!(o.deleteStable && err instanceof NoStableError)) throw err;
      ctx.stdout.write(`deployment.apps/${o.canary} unchanged\ncanary ${o.canary} already promoted: no other Deployment behind its Service\n`);
      return;
    }
    const { t, plan, istio: routed } = result;
    const verb = o.dryRun === 'none' ? 'promoted' : 'would be promoted';
    const how = routed ? `subset ${routed.canarySubset} of virtualservice/${routed.virtualService.metadata?.name}` : counted(plan!.canary, 'pod');
    ctx.stdout.write(`canary ${t.canary.metadata?.name} ${verb}: all traffic of service/${t.service.metadata?.name} (${how})\n`);
  },
});

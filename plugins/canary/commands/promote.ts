// kubectl canary promote <canary>: all traffic to the canary, at the capacity both had together; the
// stable Deployment is scaled to 0 and kept (abort undoes the promotion), or deleted with --delete-stable.
// Under Istio the VirtualService's default route sends everything to the canary's subset as well.
import { bool, defineCommand } from '../../../shared/cli/command.js';
import { changeOutputFlag, printChange, readChangeOutput, type ChangeFormat } from '../../../shared/output/change.js';
import { promoteCanary } from '../actions.js';
import { canaryChange } from '../change.js';
import { readScaleArgs, scaleFlags, type ScaleArgs } from '../flags.js';
import { NoStableError } from '../topology.js';
import { NAMES } from '../../../shared/commands/complete-names.js';
import { counted } from '../../../shared/output/plural.js';

export const promoteCommand = defineCommand<ScaleArgs & { deleteStable: boolean; output: ChangeFormat }>({
  command: 'promote <canary>',
  completions: { canary: NAMES.deployment },
  describe: 'Send all traffic to the canary; the stable Deployment is scaled to 0 (kept for undo) or deleted',
  examples: [
    ['$0 promote new-nginx', 'new-nginx takes all pods; old-nginx stays at 0 replicas (abort brings it back)'],
    ['$0 promote new-nginx --delete-stable', 'The same, and old-nginx is deleted'],
    ['$0 promote new-nginx -o yaml', 'The split before and after, as a document'],
  ],
  builder: (y) =>
    scaleFlags(changeOutputFlag(y)).option('delete-stable', {
      type: 'boolean',
      default: false,
      describe: 'Delete the stable Deployment instead of keeping it at 0 replicas',
    }),
  options: (args) => ({ ...readScaleArgs(args), deleteStable: bool(args, 'delete-stable'), output: readChangeOutput(args) }),
  run: async (ctx, o) => {
    let result;
    try {
      result = await promoteCanary(ctx, { ...o, lines: o.output === 'table' });
    } catch (err) {
      // Run again after --delete-stable: the stable is gone, so the promotion is already complete.
      if (!(o.deleteStable && err instanceof NoStableError)) throw err;
      const fields = { canary: o.canary, namespace: ctx.kube().namespace, deleteStable: true };
      const objects = [{ name: `deployment.apps/${o.canary}`, action: 'unchanged' }];
      const lines = [`deployment.apps/${o.canary} unchanged`, `canary ${o.canary} already promoted: no other Deployment behind its Service`];
      return printChange(ctx, o.output, { kind: 'CanaryPromotion', fields, dryRun: o.dryRun, objects, lines });
    }
    const { t, plan, istio: routed } = result;
    const verb = o.dryRun === 'none' ? 'promoted' : 'would be promoted';
    const how = routed ? `subset ${routed.canarySubset} of virtualservice/${routed.virtualService.metadata?.name}` : counted(plan!.canary, 'pod');
    const line = `canary ${t.canary.metadata?.name} ${verb}: all traffic of service/${t.service.metadata?.name} (${how})`;
    await printChange(ctx, o.output, canaryChange('CanaryPromotion', result, o.dryRun, { deleteStable: o.deleteStable }, [line]));
  },
});

// kubectl canary promote <canary>: all traffic to the canary, at the capacity both had together; the
// stable Deployment is scaled to 0 and kept (abort undoes the promotion), or deleted with --delete-stable.
// Under Istio the VirtualService's default route sends everything to the canary's subset as well.
import { bool, defineCommand } from '../../../shared/cli/command.js';
import { baselineOf, planPromote } from '../plan-set.js';
import { runChange } from '../scale.js';
import { applyIstio } from '../istio-apply.js';
import { planIstio, type IstioPlan } from '../istio.js';
import { readScaleArgs, scaleFlags, type ScaleArgs } from '../flags.js';
import { NoStableError, type Topology } from '../topology.js';

export const promoteCommand = defineCommand<ScaleArgs & { deleteStable: boolean }>({
  command: 'promote <canary>',
  describe: 'Send all traffic to the canary; the stable Deployment is scaled to 0 (kept for undo) or deleted',
  examples: [
    ['$0 promote new-nginx', 'new-nginx takes all pods; old-nginx stays at 0 replicas (abort brings it back)'],
    ['$0 promote new-nginx --delete-stable', 'The same, and old-nginx is deleted'],
  ],
  builder: (y) => scaleFlags(y).option('delete-stable', { type: 'boolean', default: false, describe: 'Delete the stable Deployment instead of keeping it at 0 replicas' }),
  options: (args) => ({ ...readScaleArgs(args), deleteStable: bool(args, 'delete-stable') }),
  run: async (ctx, o) => {
    let baseline: string | undefined;
    let result;
    let routed: IstioPlan | undefined;
    try {
      const replicas = (topo: Topology) => planPromote(topo, o.deleteStable, (baseline ??= baselineOf(topo)));
      // Under Istio: the canary scaled to the whole capacity (ready first), all weight to it, then the stable down.
      const istio = async (topo: Topology) =>
        void (routed = await applyIstio(ctx, topo, { ...o, lines: true, plugin: ctx.plugin, replicas: replicas(topo), route: (vs, rules) => planIstio(topo, vs, rules, 100) }));
      result = await runChange(ctx, { ...o, lines: true, what: `promote ${o.canary}`, istio }, replicas);
    } catch (err) {
      // Run again after --delete-stable: the stable is gone, so the promotion is already complete.
      if (!(o.deleteStable && err instanceof NoStableError)) throw err;
      ctx.stdout.write(`deployment.apps/${o.canary} unchanged\ncanary ${o.canary} already promoted: no other Deployment behind its Service\n`);
      return;
    }
    const { t, plan } = result;
    const verb = o.dryRun === 'none' ? 'promoted' : 'would be promoted';
    const how = routed ? `subset ${routed.canarySubset} of virtualservice/${routed.virtualService.metadata?.name}` : `${plan!.canary} pods`;
    ctx.stdout.write(`canary ${t.canary.metadata?.name} ${verb}: all traffic of service/${t.service.metadata?.name} (${how})\n`);
  },
});

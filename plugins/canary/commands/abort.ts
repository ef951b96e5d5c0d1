// kubectl canary abort <canary>: all traffic back to the stable Deployment. Replicas mode: the stable
// gets the replicas it had before the canary started, the canary 0 (kept, for another try). Istio
// mode: the VirtualService's default route as it was before the first set, and the replicas recorded
// by a promote restored (scale-ups before the route moves back).
import { defineCommand } from '../../../shared/cli/command.js';
import { changeOutputFlag, printChange, readChangeOutput, type ChangeFormat } from '../../../shared/output/change.js';
import { abortCanary } from '../actions.js';
import { canaryChange } from '../change.js';
import { readScaleArgs, scaleFlags, type ScaleArgs } from '../flags.js';
import { NAMES } from '../../../shared/commands/complete-names.js';
import { counted } from '../../../shared/output/plural.js';

export const abortCommand = defineCommand<ScaleArgs & { output: ChangeFormat }>({
  command: 'abort <canary>',
  completions: { canary: NAMES.deployment },
  describe: 'Send all traffic back to the stable Deployment and restore its replicas (or VirtualService route) from before the canary',
  examples: [
    ['$0 abort new-nginx', 'old-nginx gets its replicas back, new-nginx is scaled to 0'],
    ['$0 abort reviews-v2', 'Under Istio: the default route as it was before the first set'],
    ['$0 abort new-nginx --dry-run=server', 'Check the changes with the API server first'],
  ],
  builder: (y) => scaleFlags(changeOutputFlag(y)),
  options: (args) => ({ ...readScaleArgs(args), output: readChangeOutput(args) }),
  run: async (ctx, o) => {
    const { t, plan, istio } = await abortCanary(ctx, { ...o, lines: o.output === 'table' });
    const verb = o.dryRun === 'none' ? 'aborted' : 'would be aborted';
    const where = istio
      ? `the route of virtualservice/${istio.virtualService.metadata?.name} from before the canary`
      : `${t.stable.metadata?.name} (${counted(plan!.stable, 'pod')})`;
    const line = `canary ${t.canary.metadata?.name} ${verb}: all traffic of service/${t.service.metadata?.name} to ${where}`;
    await printChange(ctx, o.output, canaryChange('CanaryAbort', { t, plan, istio }, o.dryRun, {}, [line]));
  },
});

// kubectl canary set <canary-deployment> <percent>: give the canary that share of the traffic its
// Service receives. Replicas mode (L4): the share is the canary's fraction of the ready pods.
import { defineCommand, requiredStr } from '../../../shared/cli/command.js';
import { readInt } from '../../../shared/cli/flags.js';
import { changeOutputFlag, printChange, readChangeOutput, type ChangeFormat } from '../../../shared/output/change.js';
import { percentage } from '../../../shared/validate.js';
import { setWeight } from '../actions.js';
import { canaryChange } from '../change.js';
import { modeFlag, readMode, readScaleArgs, scaleFlags, type Mode, type ScaleArgs } from '../flags.js';
import { NAMES } from '../../../shared/commands/complete-names.js';
import { counted } from '../../../shared/output/plural.js';

interface Options extends ScaleArgs {
  percent: number;
  total?: number | undefined;
  output: ChangeFormat;
  mode: Mode;
}

/** More pods than any canary split needs; a typo (an extra zero or two) must not scale a Deployment to it. */
export const MAX_TOTAL = 1000;

export const setCommand = defineCommand<Options>({
  command: 'set <canary> <percent>',
  completions: { canary: NAMES.deployment },
  describe: "Give a canary Deployment a share of its Service's traffic (replicas mode: the share of ready pods)",
  examples: [
    ['$0 set new-nginx 50', 'Half of the pods behind the shared Service run new-nginx'],
    ['$0 set new-nginx 20 --total 10', '2 canary pods and 8 stable pods'],
    ['$0 set new-nginx 0', 'All traffic back to the stable Deployment'],
    ['$0 set new-nginx 100 --dry-run=client', 'Show the changes without making them'],
    ['$0 set new-nginx 30 -o json', 'The split before and after, as a document'],
  ],
  builder: (y) =>
    modeFlag(scaleFlags(changeOutputFlag(y)))
      .positional('percent', { type: 'string', describe: 'Its share of the traffic, 0-100' })
      .option('total', { type: 'string', describe: `Total pods to split, 1-${MAX_TOTAL} (default: the current total)` }),
  options: (args) => {
    return {
      ...readScaleArgs(args),
      percent: percentage(requiredStr(args, 'percent')),
      total: readInt(args, 'total', 1, MAX_TOTAL),
      output: readChangeOutput(args),
      mode: readMode(args),
    };
  },
  run: async (ctx, o) => {
    const done = await setWeight(ctx, { ...o, lines: o.output === 'table' });
    const { t, plan, istio } = done;
    const would = o.dryRun === 'none' ? 'gets' : 'would get';
    if (istio) {
      const line = `canary ${t.canary.metadata?.name} ${would} ${o.percent}% of service/${t.service.metadata?.name} (subset ${istio.canarySubset}; mode istio, virtualservice/${istio.virtualService.metadata?.name})`;
      const fields = { requestedPercent: o.percent, achievedPercent: o.percent, exact: true };
      return printChange(ctx, o.output, canaryChange('CanaryWeight', done, o.dryRun, fields, [line]));
    }
    const s = plan!.solution;
    if (!s.exact) {
      ctx.warn(
        `${o.percent}% of ${counted(s.total, 'pod')} is not a whole number of pods; the canary gets ${s.canary} of ${s.total} (${s.achieved}%). --total ${s.exactTotal} would give exactly ${o.percent}%`,
      );
    }
    const line = `canary ${t.canary.metadata?.name} ${would} ${s.achieved}% of service/${t.service.metadata?.name} (${s.canary} of ${counted(s.total, 'pod')}; mode replicas)`;
    const fields = { requestedPercent: o.percent, achievedPercent: s.achieved, exact: s.exact, ...(s.exactTotal ? { exactTotal: s.exactTotal } : {}) };
    await printChange(ctx, o.output, canaryChange('CanaryWeight', done, o.dryRun, fields, [line]));
  },
});

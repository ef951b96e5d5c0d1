// kubectl canary set <canary-deployment> <percent>: give the canary that share of the traffic its
// Service receives. Replicas mode (L4): the share is the canary's fraction of the ready pods.
import { defineCommand, requiredStr } from '../../../shared/cli/command.js';
import { outputFlag, readInt, readOutput } from '../../../shared/cli/flags.js';
import type { OutputFormat } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { outputDocument } from '../../../shared/output/api.js';
import { percentage } from '../../../shared/validate.js';
import { setWeight } from '../actions.js';
import { modeFlag, readMode, readScaleArgs, scaleFlags, type Mode, type ScaleArgs } from '../flags.js';
import { NAMES } from '../../../shared/commands/complete-names.js';
import { counted } from '../../../shared/output/plural.js';

interface Options extends ScaleArgs {
  percent: number;
  total?: number | undefined;
  output: OutputFormat;
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
  ],
  builder: (y) =>
    modeFlag(scaleFlags(outputFlag(y, ['table', 'json', 'yaml'])))
      .positional('percent', { type: 'string', describe: 'Its share of the traffic, 0-100' })
      .option('total', { type: 'string', describe: `Total pods to split, 1-${MAX_TOTAL} (default: the current total)` }),
  options: (args) => {
    return {
      ...readScaleArgs(args),
      percent: percentage(requiredStr(args, 'percent')),
      total: readInt(args, 'total', 1, MAX_TOTAL),
      output: readOutput(args, ['table', 'json', 'yaml']),
      mode: readMode(args),
    };
  },
  run: async (ctx, o) => {
    const lines = o.output === 'table';
    const { t, plan, istio } = await setWeight(ctx, { ...o, lines });
    if (istio) {
      const vsName = istio.virtualService.metadata?.name;
      if (!lines) {
        const data = {
          canary: t.canary.metadata?.name,
          stable: t.stable.metadata?.name,
          service: t.service.metadata?.name,
          namespace: t.namespace,
          mode: 'istio',
          virtualService: vsName,
          requestedPercent: o.percent,
          achievedPercent: o.percent,
          exact: true,
          subsets: { canary: istio.canarySubset, stable: istio.stableSubset },
        };
        return print(ctx, o.output, { data: outputDocument('canary', 'CanaryWeight', data), rows: [], columns: [] });
      }
      ctx.stdout.write(
        `canary ${t.canary.metadata?.name} ${o.dryRun === 'none' ? 'gets' : 'would get'} ${o.percent}% of service/${t.service.metadata?.name} (subset ${istio.canarySubset}; mode istio, virtualservice/${vsName})\n`,
      );
      return;
    }
    const s = plan!.solution;
    if (!s.exact) {
      ctx.warn(
        `${o.percent}% of ${counted(s.total, 'pod')} is not a whole number of pods; the canary gets ${s.canary} of ${s.total} (${s.achieved}%). --total ${s.exactTotal} would give exactly ${o.percent}%`,
      );
    }
    if (o.output !== 'table') {
      const data = {
        canary: t.canary.metadata?.name,
        stable: t.stable.metadata?.name,
        service: t.service.metadata?.name,
        namespace: t.namespace,
        mode: 'replicas',
        requestedPercent: o.percent,
        achievedPercent: s.achieved,
        exact: s.exact,
        ...(s.exactTotal ? { exactTotal: s.exactTotal } : {}),
        replicas: { canary: s.canary, stable: s.stable },
      };
      return print(ctx, o.output, { data: outputDocument('canary', 'CanaryWeight', data), rows: [], columns: [] });
    }
    ctx.stdout.write(
      `canary ${t.canary.metadata?.name} ${o.dryRun === 'none' ? 'gets' : 'would get'} ${s.achieved}% of service/${t.service.metadata?.name} (${s.canary} of ${counted(s.total, 'pod')}; mode replicas)\n`,
    );
  },
});

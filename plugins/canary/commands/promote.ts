// kubectl canary promote <canary>: all traffic to the canary, at the capacity both had together; the
// stable Deployment is scaled to 0 and kept (abort undoes the promotion), or deleted with --delete-stable.
import { bool, defineCommand, requiredStr, str } from '../../../shared/cli/command.js';
import { dryRunFlag, readDryRun, readTimeout, timeoutFlag } from '../../../shared/cli/flags.js';
import type { DryRun } from '../../../shared/kube/client.js';
import { dnsSubdomain } from '../../../shared/validate.js';
import { baselineOf, planPromote } from '../plan-set.js';
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
  deleteStable: boolean;
}

export const promoteCommand = defineCommand<Options>({
  command: 'promote <canary>',
  describe: 'Send all traffic to the canary; the stable Deployment is scaled to 0 (kept for undo) or deleted',
  examples: [
    ['$0 promote new-nginx', 'new-nginx takes all pods; old-nginx stays at 0 replicas (abort brings it back)'],
    ['$0 promote new-nginx --delete-stable', 'The same, and old-nginx is deleted'],
  ],
  builder: (y) =>
    scaleFlags(timeoutFlag(dryRunFlag(y), '5m'))
      .positional('canary', { type: 'string', describe: 'The canary Deployment' })
      .option('delete-stable', { type: 'boolean', default: false, describe: 'Delete the stable Deployment instead of keeping it at 0 replicas' }),
  options: (args) => ({
    canary: dnsSubdomain(requiredStr(args, 'canary'), 'deployment name'),
    service: str(args, 'service'),
    stable: str(args, 'stable'),
    wait: bool(args, 'wait'),
    timeoutMs: readTimeout(args),
    dryRun: readDryRun(args),
    force: bool(args, 'force'),
    deleteStable: bool(args, 'delete-stable'),
  }),
  run: async (ctx, o) => {
    let baseline: string | undefined;
    const { t, plan } = await runScale(ctx, { ...o, lines: true, what: `promote ${o.canary}` }, (topo) => planPromote(topo, o.deleteStable, (baseline ??= baselineOf(topo))));
    const verb = o.dryRun === 'none' ? 'promoted' : 'would be promoted';
    ctx.stdout.write(`canary ${t.canary.metadata?.name} ${verb}: all traffic of service/${t.service.metadata?.name} (${plan.canary} pods)\n`);
  },
});

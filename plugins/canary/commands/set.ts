// kubectl canary set <canary-deployment> <percent>: give the canary that share of the traffic its
// Service receives. Replicas mode (L4): the share is the canary's fraction of the ready pods.
import { defineCommand, requiredStr, str, bool } from '../../../shared/cli/command.js';
import { dryRunFlag, outputFlag, readDryRun, readOutput, readTimeout, timeoutFlag } from '../../../shared/cli/flags.js';
import type { CommandContext } from '../../../shared/context.js';
import { CliError, KubeApiError, UsageError } from '../../../shared/errors.js';
import { retryOnConflict, type DryRun } from '../../../shared/kube/client.js';
import { applyPlan, executePlan, type Change } from '../../../shared/kube/plan.js';
import { waitForRollout } from '../../../shared/kube/wait.js';
import { withLock } from '../../../shared/kube/lock.js';
import { hostname } from 'node:os';
import { print } from '../../../shared/output/print.js';
import type { OutputFormat } from '../../../shared/output/format.js';
import { startProgress } from '../../../shared/output/spinner.js';
import { dnsSubdomain, percentage } from '../../../shared/validate.js';
import { findTopology, type DeploymentLike, type HpaLike, type ServiceLike, type Topology } from '../topology.js';
import { currentTotal, planSet, type SetPlan } from '../plan-set.js';

interface Options {
  canary: string;
  percent: number;
  service?: string | undefined;
  total?: number | undefined;
  wait: boolean;
  timeoutMs: number;
  dryRun: DryRun;
  force: boolean;
  output: OutputFormat;
}

/** Everything `set` reads: one list per kind in the namespace (three requests). */
export async function observe(ctx: CommandContext, canary: string, service?: string): Promise<Topology> {
  const kube = ctx.kube();
  const namespace = kube.namespace;
  const [deployments, services, autoscalers] = await Promise.all([
    kube.list<DeploymentLike>('apps/v1', 'Deployment', { namespace }),
    kube.list<ServiceLike>('v1', 'Service', { namespace }),
    kube.list<HpaLike>('autoscaling/v2', 'HorizontalPodAutoscaler', { namespace }).catch((err: unknown) => {
      // A cluster without autoscaling/v2 has no autoscalers to fight us.
      if (err instanceof KubeApiError && err.status === 404) return [];
      throw err;
    }),
  ]);
  return findTopology({ namespace, canaryName: canary, serviceName: service, deployments, services, autoscalers });
}

function summary(t: Topology, plan: SetPlan, percent: number): Record<string, unknown> {
  const s = plan.solution;
  return {
    canary: t.canary.metadata?.name,
    stable: t.stable.metadata?.name,
    service: t.service.metadata?.name,
    namespace: t.namespace,
    mode: 'replicas',
    requestedPercent: percent,
    achievedPercent: s.achieved,
    exact: s.exact,
    ...(s.exactTotal ? { exactTotal: s.exactTotal } : {}),
    replicas: { canary: s.canary, stable: s.stable },
  };
}

export const setCommand = defineCommand<Options>({
  command: 'set <canary> <percent>',
  describe: 'Give a canary Deployment a share of its Service\'s traffic (replicas mode: the share of ready pods)',
  examples: [
    ['$0 set new-nginx 50', 'Half of the pods behind the shared Service run new-nginx'],
    ['$0 set new-nginx 20 --total 10', '2 canary pods and 8 stable pods'],
    ['$0 set new-nginx 0', 'All traffic back to the stable Deployment'],
    ['$0 set new-nginx 100 --dry-run=client', 'Show the changes without making them'],
  ],
  builder: (y) =>
    timeoutFlag(dryRunFlag(outputFlag(y, ['table', 'json', 'yaml'])), '5m')
      .positional('canary', { type: 'string', describe: 'The canary Deployment' })
      .positional('percent', { type: 'string', describe: 'Its share of the traffic, 0-100' })
      .option('service', { type: 'string', describe: 'The Service both versions sit behind (when several select the canary)' })
      .option('total', { type: 'number', describe: 'Total pods to split (default: the current total)' })
      .option('wait', { type: 'boolean', default: true, describe: 'Wait until the new replicas are ready' })
      .option('force', { type: 'boolean', default: false, describe: 'Scale even when a HorizontalPodAutoscaler targets the Deployments' }),
  options: (args) => {
    const total = args['total'];
    if (total !== undefined && (typeof total !== 'number' || !Number.isInteger(total) || total < 1)) {
      throw new UsageError(`--total "${String(total)}" must be a whole number of pods, at least 1`);
    }
    return {
      canary: dnsSubdomain(requiredStr(args, 'canary'), 'deployment name'),
      percent: percentage(requiredStr(args, 'percent')),
      service: str(args, 'service'),
      total: total as number | undefined,
      wait: bool(args, 'wait'),
      timeoutMs: readTimeout(args),
      dryRun: readDryRun(args),
      force: bool(args, 'force'),
      output: readOutput(args, ['table', 'json', 'yaml']),
    };
  },
  run: async (ctx, o) => {
    let result: { t: Topology; plan: SetPlan } | undefined;
    let total = o.total;
    const apply = () => retryOnConflict(async () => {
      const t = await observe(ctx, o.canary, o.service);
      if (t.autoscalers.length) {
        const list = t.autoscalers.map((h) => `horizontalpodautoscaler.autoscaling/${h.metadata?.name}`).join(', ');
        if (!o.force) throw new CliError(`${list} scales these Deployments and would undo the change; remove it, or pass --force to scale anyway`);
        ctx.warn(`${list} scales these Deployments and may undo the change`);
      }
      // The total is fixed at the first read, so a retry after a conflict splits the same pods.
      total ??= currentTotal(t);
      const plan = planSet(t, o.percent, total);
      result = { t, plan };
      const changes: Change[] = plan.steps.map((s) => ({ action: 'patch', ref: s.ref, patch: s.patch, verb: s.from === s.to ? 'annotated' : `scaled (${s.from} -> ${s.to})` }));
      if (o.dryRun !== 'none') {
        if (o.output === 'table') await executePlan(ctx, changes, o.dryRun);
        return;
      }
      // One step at a time; wait for a scale-up to be ready before the scale-down that follows it.
      for (const [i, step] of plan.steps.entries()) {
        const [done] = await applyPlan(ctx.kube(), [changes[i]!], 'none');
        if (o.output === 'table') ctx.stdout.write(`${done!.line}\n`);
        if (step.to > step.from && i < plan.steps.length - 1) {
          await waitReady(ctx, t.namespace, step.name, o.timeoutMs, `waiting for ${step.name} to have ${step.to} ready pods before scaling down`);
        }
      }
    });
    if (o.dryRun === 'none') {
      // Two sets on the same canary at once would each scale one side: one runs at a time.
      const kube = ctx.kube();
      await withLock(
        kube,
        {
          namespace: kube.namespace,
          name: `kubectl-canary.${o.canary}`,
          holder: `kubectl canary set ${o.canary} ${o.percent} (${ctx.env['USER'] ?? 'unknown'}@${hostname()})`,
          ttlMs: 2 * o.timeoutMs + 60_000,
          waitMs: o.timeoutMs,
          clock: ctx.clock,
          onWait: (m) => ctx.stderr.write(`${m}\n`),
        },
        apply,
      );
    } else {
      await apply();
    }
    const { t, plan } = result!;
    if (o.wait && o.dryRun === 'none' && plan.steps.length) {
      for (const d of [t.canary, t.stable]) await waitReady(ctx, t.namespace, d.metadata?.name ?? '', o.timeoutMs, `waiting for ${d.metadata?.name} to roll out`);
    }
    const s = plan.solution;
    if (!s.exact) {
      ctx.warn(`${o.percent}% of ${s.total} pods is not a whole number of pods; the canary gets ${s.canary} of ${s.total} (${s.achieved}%). --total ${s.exactTotal} would give exactly ${o.percent}%`);
    }
    if (o.output !== 'table') return print(ctx, o.output, { data: summary(t, plan, o.percent), rows: [], columns: [] });
    if (plan.steps.length === 0) {
      for (const d of [t.canary, t.stable]) ctx.stdout.write(`deployment.apps/${d.metadata?.name} unchanged\n`);
    }
    ctx.stdout.write(
      `canary ${t.canary.metadata?.name} ${o.dryRun === 'none' ? 'gets' : 'would get'} ${s.achieved}% of service/${t.service.metadata?.name} (${s.canary} of ${s.total} pods; mode replicas)\n`,
    );
  },
});

async function waitReady(ctx: CommandContext, namespace: string, name: string, timeoutMs: number, what: string): Promise<void> {
  const progress = await startProgress(ctx.stderr, ctx.interactive, ctx.color, what);
  try {
    await waitForRollout(ctx.kube(), namespace, name, { timeoutMs, clock: ctx.clock, onProgress: (m) => progress.update(`${what}: ${m}`) });
    progress.stop();
  } catch (err) {
    progress.fail();
    throw err;
  }
}


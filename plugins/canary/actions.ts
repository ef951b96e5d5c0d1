// The three changes a canary goes through, each in either mode, as functions the commands (and
// `run`, which chains them) call: set a weight, promote, abort. Each returns what it did; the lines
// kubectl would print for each object are written as it goes when `lines` is set.
import type { CommandContext } from '../../shared/context.js';
import { sibling } from '../../shared/kube/journal.js';
import type { Change } from '../../shared/kube/plan.js';
import { planIstioChange } from './istio-apply.js';
import { planIstio, planIstioRestore, type IstioPlan } from './istio.js';
import { baselineOf, currentTotal, planAbort, planPromote, planReplicas, planSet, readPrevious, type ScalePlan, type SetPlan } from './plan-set.js';
import { runChange } from './scale.js';
import type { ScaleArgs } from './flags.js';
import type { Topology } from './topology.js';
import { readRun, runPatch } from './progressive.js';

export interface Done<P extends ScalePlan> {
  t: Topology;
  /** Replicas mode: the plan carried out. */
  plan?: P | undefined;
  /** Istio mode: the route change carried out. */
  istio?: IstioPlan | undefined;
  /** The writes planned, in order (none when nothing was to change). */
  changes?: Change[] | undefined;
}

type Common = ScaleArgs & { lines: boolean; mode?: 'auto' | 'replicas' | 'istio' };

/** What decides a change besides its verb: a rerun with the same intent continues an interrupted one. */
function intent(verb: string, o: Common, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ verb, canary: o.canary, service: o.service ?? null, stable: o.stable ?? null, mode: o.mode ?? 'auto', ...extra });
}

/** The same Service and stable as the user named them. */
const targetFlags = (o: Common) => [...(o.service ? ['--service', o.service] : []), ...(o.stable ? ['--stable', o.stable] : [])];

/** set and promote are undone by abort. */
const abortCommand = (ctx: CommandContext, o: Common) => () => sibling(ctx.plugin, ctx.argv, ['abort', o.canary, ...targetFlags(o)]);

/** An abort is undone by giving the canary back what it had: its replicas, or its weight under Istio. */
function undoAbort(ctx: CommandContext, o: Common) {
  return (t: Topology, istio?: IstioPlan): string => {
    if (istio) {
      const http = (t.virtualServices[0]?.spec?.http ?? []).filter((r) => !r.match?.length);
      const weight = Math.max(
        0,
        ...http.flatMap((r) => (r.route ?? []).filter((d) => d.destination?.subset === istio.canarySubset).map((d) => d.weight ?? 100)),
      );
      return sibling(ctx.plugin, ctx.argv, ['set', o.canary, String(weight), ...targetFlags(o)]);
    }
    return [t.canary, t.stable].map((d) => `kubectl scale deployment ${d.metadata?.name} --replicas=${d.spec?.replicas ?? 1} -n ${t.namespace}`).join(' && ');
  };
}

/** A run's recorded progress is over once the canary is aborted or promoted (by the run or by hand). */
async function endRun(ctx: CommandContext, t: Topology, o: Common): Promise<void> {
  const deployment = t.canary.metadata?.name ?? '';
  if (o.dryRun !== 'none' || !readRun(t.canary) || !deployment) return;
  await ctx.kube().patch({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment, namespace: t.namespace }, runPatch(null));
}

export async function setWeight(ctx: CommandContext, o: Common & { percent: number; total?: number | undefined }): Promise<Done<SetPlan>> {
  let total = o.total;
  let baseline: string | undefined;
  const r = await runChange(
    ctx,
    {
      ...o,
      what: `set ${o.canary} ${o.percent}`,
      intent: intent('set', o, { percent: o.percent, total: o.total ?? null }),
      undo: abortCommand(ctx, o),
      istio: (topo, routed) => planIstioChange(ctx, topo, routed, { plugin: ctx.plugin, route: (vs, rules) => planIstio(topo, vs, rules, o.percent) }),
    },
    // Total and baseline are fixed at the first read, so a retry after a conflict plans the same change.
    (topo) => planSet(topo, o.percent, (total ??= currentTotal(topo)), (baseline ??= baselineOf(topo))),
  );
  return r;
}

/** Under Istio, the replicas a promote changed go back to the recorded baseline (nothing otherwise). */
function restoreReplicas(t: Topology): ScalePlan | undefined {
  const previous = readPrevious(t.canary);
  if (!previous) return undefined;
  const name = (d: Topology['canary']) => d.metadata?.name ?? '';
  const target = { canary: previous[name(t.canary)] ?? t.canary.spec?.replicas ?? 1, stable: previous[name(t.stable)] ?? t.stable.spec?.replicas ?? 1 };
  return planReplicas(t, target, 'clear');
}

/**
 * All traffic back to the stable. Replicas mode: its recorded replicas, the canary to 0. Istio mode:
 * the default route from before the first set, and replicas a promote changed restored (scale-ups first).
 */
export async function abortCanary(ctx: CommandContext, o: Common): Promise<Done<ScalePlan>> {
  const r = await runChange(
    ctx,
    {
      ...o,
      what: `abort ${o.canary}`,
      intent: intent('abort', o),
      undo: undoAbort(ctx, o),
      supersede: true,
      istio: (topo, routed) =>
        planIstioChange(ctx, topo, routed, { plugin: ctx.plugin, replicas: restoreReplicas(topo), route: (vs, rules) => planIstioRestore(topo, vs, rules) }),
    },
    planAbort,
  );
  await endRun(ctx, r.t, o);
  return r;
}

/**
 * All traffic to the canary at the capacity both had; the stable to 0 (kept) or deleted. Under Istio
 * the canary is scaled up and ready before all weight moves to it, and the stable goes down after.
 */
export async function promoteCanary(ctx: CommandContext, o: Common & { deleteStable: boolean }): Promise<Done<ScalePlan>> {
  let baseline: string | undefined;
  const replicas = (topo: Topology) => planPromote(topo, o.deleteStable, (baseline ??= baselineOf(topo)));
  const r = await runChange(
    ctx,
    {
      ...o,
      what: `promote ${o.canary}`,
      intent: intent('promote', o, { deleteStable: o.deleteStable }),
      undo: abortCommand(ctx, o),
      istio: (topo, routed) =>
        planIstioChange(ctx, topo, routed, { plugin: ctx.plugin, replicas: replicas(topo), route: (vs, rules) => planIstio(topo, vs, rules, 100) }),
    },
    replicas,
  );
  await endRun(ctx, r.t, o);
  return r;
}

// Carrying out a replica plan for set, abort and promote, the same careful way each time: under a
// lock (one change to a canary's traffic target at a time), re-read and re-planned on conflicts, scale-ups ready before
// the scale-downs that follow them, and dry runs that write nothing.
import type { CommandContext } from '../../shared/context.js';
import { CliError } from '../../shared/errors.js';
import { retryOnConflict, type DryRun } from '../../shared/kube/client.js';
import { commandLock, withLock, type LockTarget } from '../../shared/kube/lock.js';
import { applyPlan, executePlan, type Change } from '../../shared/kube/plan.js';
import { waitForRollout } from '../../shared/kube/wait.js';
import { startProgress } from '../../shared/output/spinner.js';
import { observe } from './observe.js';
import { canaryLock, refuseOtherCanary } from './target.js';
import type { Topology } from './topology.js';
import type { ScalePlan, ScaleStep } from './plan-set.js';

export interface ScaleOptions {
  canary: string;
  service?: string | undefined;
  stable?: string | undefined;
  force: boolean;
  dryRun: DryRun;
  timeoutMs: number;
  wait: boolean;
  /** Print one line per change (false with -o json|yaml). */
  lines: boolean;
  /** For the lock holder: the command being run, e.g. "set new-nginx 50". */
  what: string;
  /** When a VirtualService routes the Service: do the change with Istio instead (inside the lock and retry). */
  istio: (t: Topology) => Promise<void>;
  /** --mode: auto picks Istio when a VirtualService routes the Service. */
  mode?: 'auto' | 'replicas' | 'istio';
}

/** The traffic moved to another target (a VirtualService appeared) between the lock and the re-read: lock that one. */
class TargetMoved extends CliError {
  static override readonly kind: string = 'TargetMoved';
  constructor(
    readonly from: LockTarget,
    readonly to: LockTarget,
  ) {
    super(`the traffic of this canary moved from ${from.what} to ${to.what} while it waited; run the command again`);
  }
}

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

export function toChange(s: ScaleStep): Change {
  if (s.delete) return { action: 'delete', ref: s.ref };
  return { action: 'patch', ref: s.ref, patch: s.patch, verb: s.from === s.to ? 'annotated' : `scaled (${s.from} -> ${s.to})` };
}

/**
 * Steps to carry out before a route change (the leading scale-ups, and a baseline written first) and
 * after it (scale-downs, deletes, a baseline cleared last).
 */
export function splitSteps(steps: ScaleStep[]): [ScaleStep[], ScaleStep[]] {
  let n = 0;
  while (n < steps.length && (steps[n].to > steps[n].from || (n === 0 && steps[n].to === steps[n].from && !steps[n].delete && steps.length > 1))) n++;
  return [steps.slice(0, n), steps.slice(n)];
}

/** Apply steps one at a time; a scale-up is ready before the next step (or, with waitLast, before returning). */
export async function applySteps(
  ctx: CommandContext,
  t: Topology,
  steps: ScaleStep[],
  o: { lines: boolean; timeoutMs: number; waitLast: boolean },
): Promise<void> {
  for (const [i, step] of steps.entries()) {
    const [done] = await applyPlan(ctx.kube(), [toChange(step)], 'none');
    if (o.lines) ctx.stdout.write(`${done.line}\n`);
    if (step.to > step.from && (i < steps.length - 1 || o.waitLast)) {
      const why = i < steps.length - 1 ? 'before scaling down' : 'before moving traffic';
      await waitReady(ctx, t.namespace, step.name, o.timeoutMs, `waiting for ${step.name} to have ${step.to} ready pods ${why}`);
    }
  }
}

/** Observe, plan with `plan`, apply; a Service routed by a VirtualService is changed through `o.istio` instead (then no plan). */
export async function runChange<P extends ScalePlan>(ctx: CommandContext, o: ScaleOptions, plan: (t: Topology) => P): Promise<{ t: Topology; plan?: P }> {
  let result: { t: Topology; plan?: P } | undefined;
  let locked: LockTarget | undefined;
  const apply = () =>
    retryOnConflict(
      async () => {
        const t = await observe(ctx, o.canary, o.service, o.stable);
        // Under the lock: the target it was taken on must still be the one this change is about.
        const target = canaryLock(t, o.mode);
        if (locked && target.name !== locked.name) throw new TargetMoved(locked, target);
        refuseOtherCanary(t);
        if (o.mode === 'istio' && !t.virtualServices.length) {
          throw new CliError(
            `no VirtualService in namespace "${t.namespace}" routes service "${t.service.metadata?.name}"; --mode istio needs one (or use --mode replicas)`,
          );
        }
        if (t.virtualServices.length && o.mode !== 'replicas') {
          result = { t };
          return o.istio(t);
        }
        if (t.virtualServices.length) {
          // Under Istio the split follows the VirtualService's weights: changing replicas would not move traffic.
          const vs = t.virtualServices.map((v) => `virtualservice.networking.istio.io/${v.metadata?.name}`).join(', ');
          throw new CliError(
            `${vs} routes service "${t.service.metadata?.name}", so its weights, not replica counts, decide the split; --mode replicas cannot move traffic, use --mode istio (or auto)`,
          );
        }
        if (t.others.length) {
          // Their pods take a share too: a replica ratio between two of them is not the canary's share.
          throw new CliError(
            `service "${t.service.metadata?.name}" also selects ${t.others.map((d) => `deployment.apps/${d.metadata?.name}`).join(', ')}, whose pods take traffic too; replicas mode needs the canary and one stable Deployment alone behind the Service`,
          );
        }
        // An autoscaler would undo replica changes (it cannot touch VirtualService weights).
        if (t.autoscalers.length) {
          const list = t.autoscalers.map((h) => `horizontalpodautoscaler.autoscaling/${h.metadata?.name}`).join(', ');
          if (!o.force) throw new CliError(`${list} scales these Deployments and would undo the change; remove it, or pass --force to scale anyway`);
          ctx.warn(`${list} scales these Deployments and may undo the change`);
        }

        const p = plan(t);
        result = { t, plan: p };
        const changes = p.steps.map(toChange);
        if (o.dryRun !== 'none') {
          if (o.lines) await executePlan(ctx, changes, o.dryRun);
          else if (o.dryRun === 'server') await applyPlan(ctx.kube(), changes, 'server'); // validated, not printed (-o json)
          return;
        }
        await applySteps(ctx, t, p.steps, { ...o, waitLast: false });
      },
      { timeoutMs: o.timeoutMs },
    );
  if (o.dryRun === 'none') {
    // Two changes to the same traffic at once would each scale one side: one runs at a time, per target
    // (found by a first read; re-read under the lock).
    const kube = ctx.kube();
    const first = await observe(ctx, o.canary, o.service, o.stable);
    refuseOtherCanary(first); // at once, rather than after waiting for the lock (and again under it)
    locked = canaryLock(first, o.mode);
    for (let round = 1; ; round++) {
      try {
        await withLock(kube, commandLock(ctx, locked, o.what, o.timeoutMs), apply);
        break;
      } catch (err) {
        if (!(err instanceof TargetMoved) || round >= 3) throw err;
        locked = err.to;
      }
    }
  } else {
    await apply();
  }
  const { t, plan: done } = result!;
  if (!done) return result!;
  if (o.wait && o.dryRun === 'none' && done.steps.length) {
    for (const s of done.steps.filter((x) => !x.delete)) await waitReady(ctx, t.namespace, s.name, o.timeoutMs, `waiting for ${s.name} to roll out`);
  }
  if (o.lines && done.steps.length === 0) {
    for (const d of [t.canary, t.stable]) ctx.stdout.write(`deployment.apps/${d.metadata?.name} unchanged\n`);
  }
  return result!;
}

// Carrying out a canary change (set, abort, promote) in either mode, the same careful way each time:
// planned first from what is observed (nothing to write: no lock, no write), then under the lock of
// its traffic target (the Service, or its VirtualService under Istio: target.ts)
// re-observed and re-planned (on conflicts too), and carried out step by step with a journal
// (shared/kube/carry-out.ts), scale-ups ready before the scale-downs that follow them. A rerun of an
// interrupted change continues its recorded steps; abort plans from the recorded baseline.
import type { CommandContext } from '../../shared/context.js';
import { CliError } from '../../shared/errors.js';
import { type DryRun, type KubeObject } from '../../shared/kube/object.js';
import { retryOnConflict } from '../../shared/kube/conflict.js';
import { carryOut } from '../../shared/kube/carry-out.js';
import { commandLine, journalRef, pendingMessage, readJournal, removeJournal, type Journal, type JournalStep } from '../../shared/kube/journal.js';
import { commandLock, withLock, type LockTarget } from '../../shared/kube/lock.js';
import { annotationKey } from '../../shared/kube/ownership.js';
import { applyPlan, executePlan, type Change } from '../../shared/kube/plan.js';
import { waitForRollout } from '../../shared/kube/wait.js';
import { startProgress } from '../../shared/output/spinner.js';
import { PREVIOUS_WEIGHTS, defaultRouteIndex, readPreviousRoute, type IstioPlan } from './istio.js';
import { observe } from './observe.js';
import { PREVIOUS_REPLICAS, readPrevious, type PreviousReplicas, type ScalePlan } from './plan-set.js';
import { scaleSteps } from './scale-steps.js';
import { canaryLock } from './target.js';
import { decideMode } from './decide.js';
import type { Topology } from './topology.js';
import { counted } from '../../shared/output/plural.js';
import type { RouteDestination, VirtualService } from '../../shared/istio/types.js';

/** What a canary's objects were before its first change, kept in the journal. */
export interface CanaryBaseline {
  replicas: PreviousReplicas;
  /** The VirtualService's default route, under Istio. */
  route?: RouteDestination[] | undefined;
}

export interface IstioPlanned {
  plan: IstioPlan;
  steps: JournalStep[];
  warnings: string[];
}

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
  /** The options that decide the change: a rerun with the same intent continues its journal. */
  intent: string;
  /** The command that undoes the change planned on t. */
  undo: (t: Topology, istio?: IstioPlan) => string;
  /** abort: takes over the journal of a half-done change, planning from its baseline. */
  supersede?: boolean;
  /** When the decision is Istio mode: plan the change on the VirtualService routing the Service instead. */
  istio: (t: Topology, vs: VirtualService) => Promise<IstioPlanned>;
  /** --mode: auto picks Istio when a VirtualService routes the Service. */
  mode?: 'auto' | 'replicas' | 'istio';
}

/** The traffic moved to another target (a VirtualService appeared) between the lock and the re-read. */
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

const withAnnotation = <T extends KubeObject>(o: T, key: string, value: string): T => ({
  ...o,
  metadata: { ...o.metadata, annotations: { ...(o.metadata?.annotations ?? {}), [annotationKey(key)]: value } },
});

/** The state before the first change: the one recorded on the objects, else what they are now. */
export function canaryBaseline(t: Topology): CanaryBaseline {
  const name = (d: Topology['canary']) => d.metadata?.name ?? '';
  const replicas = readPrevious(t.canary) ?? { [name(t.stable)]: t.stable.spec?.replicas ?? 1, [name(t.canary)]: t.canary.spec?.replicas ?? 1 };
  const vs = t.virtualServices[0] as VirtualService | undefined;
  let route: RouteDestination[] | undefined;
  if (vs) {
    try {
      route = readPreviousRoute(vs) ?? vs.spec?.http?.[defaultRouteIndex(t, vs)]?.route;
    } catch {
      route = undefined; // no default route: the change itself will say so
    }
  }
  return { replicas, ...(route ? { route } : {}) };
}

/** The topology as it was recorded before the half-done change (what abort plans from). */
export function withBaseline(t: Topology, b: CanaryBaseline): Topology {
  const vss = t.virtualServices.map((v, i) => (i === 0 && b.route ? withAnnotation(v, PREVIOUS_WEIGHTS, JSON.stringify(b.route)) : v));
  return { ...t, canary: withAnnotation(t.canary, PREVIOUS_REPLICAS, JSON.stringify(b.replicas)), virtualServices: vss };
}

interface Prepared<P> {
  t: Topology;
  plan?: P | undefined;
  istio?: IstioPlan | undefined;
  steps: JournalStep[];
  /** A half-done change's journal found (continued, or superseded by abort). */
  journal?: Journal<CanaryBaseline> | undefined;
  resume: boolean;
  /** A finished change's journal left behind (removed with this change's first write). */
  stale: boolean;
  warnings: string[];
  /** What the change is taken on: the decided VirtualService, or the Service. */
  lock: LockTarget;
}

/** Observe, plan with `plan`, carry out; a Service routed by a VirtualService is changed through `o.istio` instead. */
export async function runChange<P extends ScalePlan>(
  ctx: CommandContext,
  o: ScaleOptions,
  plan: (t: Topology) => P,
): Promise<{ t: Topology; plan?: P; istio?: IstioPlan; changes: Change[] }> {
  const kube = ctx.kube();
  let warned = false;
  /** locked: under the lock (or a dry run); a journal another change left is only judged there. */
  const prepare = async (locked: boolean): Promise<Prepared<P>> => {
    let t = await observe(ctx, o.canary, o.service, o.stable);
    // Decided at once, rather than after waiting for the lock (and again under it).
    const decision = decideMode(t, o);
    if (decision.mode === 'refused') throw decision.error;
    const warnings = [...decision.warnings];
    const lock = canaryLock(t, decision);
    const ref = journalRef(ctx.plugin, t.namespace, 'Service', t.service.metadata?.name ?? '');
    const found = await readJournal<CanaryBaseline>(kube, ref);
    const stale = Boolean(found && found.done >= found.steps.length);
    const journal = stale ? undefined : found;
    if (journal && journal.intent === o.intent) {
      // The same change, interrupted: its recorded steps, not a plan from the half-changed state.
      return { t, steps: journal.steps.slice(journal.done), journal, resume: true, stale, warnings, lock };
    }
    if (journal && !o.supersede) {
      // Another change's journal: its run may still be going on (it holds the lock). Wait for the lock,
      // then judge: finished by then, or left half-done by a run that died.
      if (!locked) return { t, steps: [], journal, resume: false, stale, warnings, lock };
      throw new CliError(pendingMessage(journal, ref));
    }
    if (journal) t = withBaseline(t, journal.baseline);
    if (decision.mode === 'istio') {
      // The one VirtualService decided on, as the baseline of a superseded change left it (withBaseline).
      const vs = t.virtualServices.find((v) => v.metadata?.name === decision.virtualService.metadata?.name) ?? decision.virtualService;
      const i = await o.istio(t, vs);
      return { t, istio: i.plan, steps: i.steps, journal, resume: false, stale, warnings: [...warnings, ...i.warnings], lock };
    }
    const p = plan(t);
    return { t, plan: p, steps: scaleSteps(p.steps, false), journal, resume: false, stale, warnings, lock };
  };
  const warnOnce = (p: Prepared<P>) => {
    if (!warned) for (const w of p.warnings) ctx.warn(w);
    warned = true;
  };

  let result = await prepare(o.dryRun !== 'none');
  warnOnce(result);
  if (o.dryRun !== 'none') {
    const changes = result.steps.flatMap((s) => s.changes);
    if (o.lines) await executePlan(ctx, changes, o.dryRun);
    else if (o.dryRun === 'server') await applyPlan(kube, changes, 'server'); // validated, not printed (-o json)
    return { ...result, changes };
  }
  const idle = (p: Prepared<P>) => p.steps.length === 0 && !p.journal && !p.stale;
  let wrote = false;
  if (!idle(result)) {
    // Two changes to the same traffic at once would each scale one side: one runs at a time, per target.
    const target = result.lock;
    await withLock(kube, commandLock(ctx, target, o.what, o.timeoutMs), () =>
      retryOnConflict(async () => {
        const p = (result = await prepare(true)); // re-checked under the lock: another run may have done it
        warnOnce(p);
        if (p.lock.name !== target.name) throw new TargetMoved(target, p.lock);
        const ref = journalRef(ctx.plugin, p.t.namespace, 'Service', p.t.service.metadata?.name ?? '');
        const wait = (key: string) => {
          const [, name, to, why] = key.split(':');
          const reason = why === 'traffic' ? 'before moving traffic' : 'before scaling down';
          return waitReady(ctx, p.t.namespace, name, o.timeoutMs, `waiting for ${name} to have ${counted(Number(to), 'ready pod')} ${reason}`);
        };
        if (p.resume) {
          ctx.stderr.write(`continuing the interrupted '${p.journal!.command}' from step ${p.journal!.done + 1} of ${p.journal!.steps.length}\n`);
          await carryOut(ctx, ref, p.journal!, { lines: o.lines, wait, resume: p.journal });
          result = await prepare(true); // what it came to, for the summary
          wrote = true;
          return;
        }
        if (p.steps.length === 0) {
          // Nothing to change: only a journal left by a change with nothing written, or a finished one.
          if (p.journal || p.stale) await removeJournal(kube, ref);
          return;
        }
        const command = ctx.argv ? commandLine(ctx.plugin, ctx.argv) : `kubectl canary ${o.what}`;
        const journaled = { intent: o.intent, command, undo: o.undo(p.t, p.istio), baseline: p.journal?.baseline ?? canaryBaseline(p.t), steps: p.steps };
        await carryOut(ctx, ref, journaled, { lines: o.lines, wait, supersede: Boolean(p.journal) || p.stale });
        wrote = true;
      }, ctx),
    );
  }
  const { t, plan: done, istio } = result;
  if (o.lines && !wrote) {
    if (istio) ctx.stdout.write(`virtualservice.networking.istio.io/${istio.virtualService.metadata?.name} unchanged\n`);
    else for (const d of [t.canary, t.stable]) ctx.stdout.write(`deployment.apps/${d.metadata?.name} unchanged\n`);
  }
  if (done && wrote && o.wait) {
    for (const s of done.steps.filter((x) => !x.delete)) await waitReady(ctx, t.namespace, s.name, o.timeoutMs, `waiting for ${s.name} to roll out`);
  }
  return { t, ...(done ? { plan: done } : {}), ...(istio ? { istio } : {}), changes: result.steps.flatMap((s) => s.changes) };
}

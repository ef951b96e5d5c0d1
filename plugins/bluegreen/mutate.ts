// Carrying out one blue-green operation, the same careful way for every command: observe, detect the
// provider, plan, refuse traffic to a Service without ready endpoints (unless --force), write each
// changed object once (conditional on the version read; re-read and re-planned on a conflict), say
// "unchanged" when there is nothing to do, and end with one line on where the traffic goes. A change
// of several objects (a canary Ingress and its main one) is carried out with a journal: a rerun of
// an interrupted one continues it, and rollback starts from the split recorded before it.
import type { CommandContext } from '../../shared/context.js';
import { CliError, KubeApiError } from '../../shared/errors.js';
import { type DryRun } from '../../shared/kube/object.js';
import { retryOnConflict } from '../../shared/kube/conflict.js';
import { carryOut, needsJournal } from '../../shared/kube/carry-out.js';
import { commandLock, lockTarget, withLock, type LockTarget } from '../../shared/kube/lock.js';
import { commandLine, journalRef, pendingMessage, readJournal, removeJournal, sibling, type Journal } from '../../shared/kube/journal.js';
import { annotationKey, readState } from '../../shared/kube/ownership.js';
import { executePlan, type ApplyResult, type Change } from '../../shared/kube/plan.js';
import { appliedObjects, printChange, workContext, type ChangeFormat } from '../../shared/output/change.js';
import { detectProvider } from './detect.js';
import { slotKey, type Provider, type Slot } from './model.js';
import { observe, readyEndpoints, type Cluster } from './observe.js';
import { NEW_SERVICE, PREVIOUS_SPLIT, normalize, type Operation, type Selection } from './operations.js';
import { planBlueGreen, targetName, type BlueGreenPlan } from './plan.js';

/** How long a change waits for another run changing the same target (blue-green commands have no --timeout). */
const LOCK_WAIT_MS = 60_000;

export interface TargetOptions extends Selection {
  target: string;
  provider?: string | undefined;
  dryRun: DryRun;
  force: boolean;
  /** -o: with json|yaml|name, the lines go to stderr and stdout gets a BlueGreenChange. */
  output: ChangeFormat;
}

export interface MutateResult {
  cluster: Cluster;
  provider: Provider;
  result: BlueGreenPlan;
}

const describeSlot = (s: Slot): string =>
  `${s.host}${s.path} ${s.backends.map((b) => `${b.service} ${b.percent}%`).join(', ')}${s.preview ? `; preview ${s.preview.cookie !== undefined ? `cookie ${s.preview.cookie}=always` : `header ${s.preview.header!.name}${s.preview.header!.value !== undefined ? `: ${s.preview.header!.value}` : ` ~ ${s.preview.header!.pattern}`}`} -> ${s.preview.service}` : ''}`;

/** What the target routed before the first change (what rollback restores), kept in the journal. */
interface SplitBaseline {
  previousSplit: string;
  newService: string;
}

/** The flags that pick the same slots and provider, for the commands printed to finish or undo. */
const selectionFlags = (o: TargetOptions) => [
  ...(o.host !== undefined ? ['--host', o.host] : []),
  ...(o.path !== undefined ? ['--path', o.path] : []),
  ...(o.provider ? ['--provider', o.provider] : []),
];

/** Undo: set and switch are undone by rollback; a rollback by giving the new Service back its share. */
function undoOf(ctx: CommandContext, o: TargetOptions, op: Operation, r: BlueGreenPlan): string {
  if (op.kind !== 'rollback') return sibling(ctx.plugin, ctx.argv, ['rollback', o.target, ...selectionFlags(o)]);
  const slot = r.read.slots.find((s) => r.plan.selected.includes(slotKey(s)));
  const share = slot?.backends.find((b) => b.service === r.plan.newService)?.percent ?? 0;
  return sibling(ctx.plugin, ctx.argv, ['set', o.target, r.plan.newService, String(share), ...selectionFlags(o)]);
}

/** The target as recorded before a half-done change: rollback plans from that split. */
function withRecorded(c: Cluster, b: SplitBaseline): Cluster {
  const annotations = {
    ...(c.target.metadata?.annotations ?? {}),
    [annotationKey(PREVIOUS_SPLIT)]: b.previousSplit,
    [annotationKey(NEW_SERVICE)]: b.newService,
  };
  return { ...c, target: { ...c.target, metadata: { ...c.target.metadata, annotations } } };
}

export async function mutate(
  out: CommandContext,
  o: TargetOptions,
  op: Operation,
  extra: (c: Cluster, r: BlueGreenPlan) => Change[] = () => [],
): Promise<MutateResult> {
  const ctx = workContext(out, o.output);
  const kube = ctx.kube();
  let applied: ApplyResult[] = [];
  let warned = false;
  let done: MutateResult | undefined;
  const intent = JSON.stringify({ op, target: o.target, host: o.host ?? null, path: o.path ?? null, provider: o.provider ?? null });
  let resumed = false;
  let needsLock: LockTarget | undefined;
  const lockOf = (c: Cluster) => lockTarget(c.target.kind ?? '', c.namespace, c.target.metadata?.name ?? '');
  /** Under the lock: every change. Without it: only a single write (atomic, conditional on the version read). */
  const attempt = async (locked: boolean): Promise<'lock' | void> => {
    let cluster = await observe(kube, o.target, o.provider);
    const ref = journalRef(ctx.plugin, cluster.namespace, cluster.target.kind ?? '', cluster.target.metadata?.name ?? '');
    const found = await readJournal<SplitBaseline>(kube, ref);
    const stale = Boolean(found && found.done >= found.steps.length);
    let journal: Journal<SplitBaseline> | undefined = stale ? undefined : found;
    // A change of several objects, or one left half-done, is carried out by one run at a time.
    if (!locked && o.dryRun === 'none' && found) {
      needsLock = lockOf(cluster);
      return 'lock';
    }
    if (journal && journal.intent === intent && o.dryRun === 'none') {
      // The same change, interrupted: its recorded steps, not a plan from the half-changed objects.
      ctx.stderr.write(`continuing the interrupted '${journal.command}' from step ${journal.done + 1} of ${journal.steps.length}\n`);
      applied = await carryOut(ctx, ref, journal, { lines: true, resume: journal });
      resumed = true;
      journal = undefined;
      cluster = await observe(kube, o.target, o.provider);
    } else if (journal && op.kind === 'rollback') {
      cluster = withRecorded(cluster, journal.baseline);
    } else if (journal) {
      throw new CliError(pendingMessage(journal, ref));
    }
    const provider = detectProvider(cluster.target, { ingresses: cluster.ingresses, classes: cluster.classes, explicit: o.provider });
    const result = planBlueGreen(provider, cluster, op, o);
    if (!warned) {
      if (provider.notice) ctx.warn(provider.notice);
      for (const w of result.read.warnings) ctx.warn(w);
      warned = true;
    }
    // Traffic to a Service with no ready endpoint fails (503s): refuse before writing.
    const before = new Map(result.read.slots.map((s) => [`${s.host}${s.path}`, s]));
    for (const s of result.plan.desired.filter((x) => result.plan.selected.includes(`${x.host}${x.path}`))) {
      for (const b of s.backends) {
        const had = before.get(`${s.host}${s.path}`)?.backends.find((x) => x.service === b.service)?.percent ?? 0;
        if (b.percent === 0 || b.percent <= had || readyEndpoints(cluster.slices, cluster.namespace, b.service) > 0) continue;
        const msg = `service "${b.service}" has no ready endpoints, so the ${b.percent}% of ${s.host}${s.path} sent to it would fail`;
        if (!o.force)
          throw new CliError(`${msg}; wait for its pods to be ready (kubectl get endpointslices -l kubernetes.io/service-name=${b.service}), or pass --force`);
        ctx.warn(msg);
      }
    }
    const changes = [...result.changes, ...extra(cluster, result)];
    if (!locked && o.dryRun === 'none' && needsJournal(changes.map((change) => ({ changes: [change] })))) {
      needsLock = lockOf(cluster);
      return 'lock';
    }
    done = { cluster, provider, result };
    if (changes.length === 0) {
      if (o.dryRun === 'none' && (journal || stale)) await removeJournal(kube, ref); // a finished change's, or one that wrote nothing
      if (!resumed) ctx.stdout.write(`${targetName(cluster)} unchanged${op.kind === 'rollback' ? ' (already rolled back)' : ''}\n`);
      return;
    }
    if (o.dryRun !== 'none') {
      applied = await executePlan(ctx, changes, o.dryRun);
      return;
    }
    const state = readState(cluster.target);
    const baseline: SplitBaseline = journal?.baseline ?? {
      previousSplit: state[PREVIOUS_SPLIT] ?? JSON.stringify(Object.fromEntries(result.read.slots.map((s) => [slotKey(s), normalize(s)]))),
      newService: state[NEW_SERVICE] ?? result.plan.newService,
    };
    const command = ctx.argv ? commandLine(ctx.plugin, ctx.argv) : `kubectl bluegreen ${op.kind} ${o.target}`;
    try {
      applied = await carryOut(
        ctx,
        ref,
        { intent, command, undo: undoOf(ctx, o, op, result), baseline, steps: changes.map((change) => ({ changes: [change] })) },
        { lines: true, supersede: Boolean(journal) || stale },
      );
    } catch (err) {
      // Another run created the canary Ingress first: re-read and re-plan, as for any conflict.
      if (err instanceof KubeApiError && err.status === 409 && err.reason === 'AlreadyExists')
        throw new KubeApiError(err.message, 409, 'Conflict', { cause: err });
      throw err;
    }
  };
  if ((await retryOnConflict(() => attempt(false), ctx)) === 'lock' && needsLock) {
    await withLock(kube, commandLock(ctx, needsLock, `${op.kind} ${o.target}`, LOCK_WAIT_MS), () => retryOnConflict(() => attempt(true), ctx));
  }
  const { cluster, provider, result } = done!;
  const verb = o.dryRun === 'none' ? 'routes' : 'would route';
  const selected = result.plan.desired.filter((x) => result.plan.selected.includes(`${x.host}${x.path}`));
  const objects = applied.length ? appliedObjects(applied) : [{ name: targetName(cluster), action: 'unchanged' }];
  await printChange(out, o.output, {
    kind: 'BlueGreenChange',
    fields: changeFields(done!, op, selected),
    dryRun: o.dryRun,
    objects,
    lines: selected.map((s) => `${targetName(cluster)} ${verb} ${describeSlot(s)} (provider ${provider.name})`),
  });
  return done!;
}

/** A slot's backends and preview rule as the document shows them. */
const slotView = (s: Slot | undefined) => ({
  backends: (s?.backends ?? []).map((b) => ({ service: b.service, percent: b.percent })),
  ...(s?.preview ? { preview: s.preview } : {}),
});

/** The BlueGreenChange fields: what was asked, and each selected host/path before and after. */
function changeFields(r: MutateResult, op: Operation, selected: Slot[]) {
  const before = new Map(r.result.read.slots.map((s) => [`${s.host}${s.path}`, s]));
  return {
    operation: op.kind,
    target: targetName(r.cluster),
    namespace: r.cluster.namespace,
    provider: r.provider.name,
    slots: selected.map((s) => ({ host: s.host, path: s.path, before: slotView(before.get(`${s.host}${s.path}`)), after: slotView(s) })),
  };
}

// Carrying out a multi-step change with its journal (journal.ts): record the plan before the first
// write, do each step and mark it done, remove the journal after the last. A failure part-way is one
// line saying what was done, the command that finishes it (as typed, every flag kept) and the one
// that undoes it; a rerun of the same command continues the recorded steps.
import type { CommandContext } from '../context.js';
import { CliError, KubeApiError, errorText } from '../errors.js';
import { isConflict } from './api-errors.js';
import { createJournal, markDone, removeJournal, type Journal, type JournalRef, type JournalStep } from './journal.js';
import { applyPlan, changeName, type ApplyResult, type Change } from './plan.js';

export type ChangePlan<B> = Omit<Journal<B>, 'done' | 'startedAt'>;

/**
 * Test seam, not configuration: the crash tests (test/integration/crash.test.ts) run a command
 * in-process and kill the API server at each step boundary from here. `done` steps are done (0: the
 * journal is recorded, nothing else written yet).
 */
export const stepHooks: { atBoundary?: ((done: number, total: number) => Promise<void>) | undefined } = {};

export interface CarryOutOptions {
  /** Print each write's kubectl-style line once it is done. */
  lines: boolean;
  /** The waits steps name ("ready:new-nginx"), as the command knows them. */
  wait?: (key: string) => Promise<void>;
  /** A journal of the same change found by this run: continue it from its first step not done. */
  resume?: Journal | undefined;
  /** A journal of another change this one takes over (abort after an interrupted set): replaced in one write. */
  supersede?: boolean;
  /** How a step's change is written and described (default: applyPlan's kubectl-style line). */
  apply?: (change: Change) => Promise<ApplyResult>;
}

/** The same change without the version it was planned on: once some steps are done, the plan stands. */
function unconditional(c: Change): Change {
  if (c.action !== 'patch') return c;
  const meta = c.patch['metadata'] as Record<string, unknown> | undefined;
  if (!meta || !('resourceVersion' in meta)) return c;
  const { resourceVersion: _rv, ...rest } = meta;
  return { ...c, patch: { ...c.patch, metadata: rest } };
}

/** A change with one step or none needs no journal: it is done or not. */
export function needsJournal(steps: JournalStep[]): boolean {
  return steps.length > 1;
}

export async function carryOut<B>(ctx: CommandContext, ref: JournalRef, plan: ChangePlan<B>, o: CarryOutOptions): Promise<ApplyResult[]> {
  const kube = ctx.kube();
  const j: Journal<B> = (o.resume as Journal<B> | undefined) ?? { ...plan, done: 0, startedAt: ctx.clock.now().toISOString() };
  const journaled = Boolean(o.resume) || Boolean(o.supersede) || needsJournal(j.steps);
  if (journaled && !o.resume) await createJournal(kube, ref, j, ctx.plugin, o.supersede ?? false);
  const results: ApplyResult[] = [];
  const apply = o.apply ?? (async (c: Change) => (await applyPlan(kube, [c], 'none'))[0]);
  const total = j.steps.length;
  let at = j.done;
  const fail = async (err: unknown): Promise<never> => {
    if (results.length === 0 && !o.resume) {
      // Nothing written by this run: no journal to leave behind, and a conflict is re-planned by the caller.
      const kept =
        journaled &&
        (await removeJournal(kube, ref).then(
          () => false,
          () => true,
        ));
      if (kept) throw new CliError(`${errorText(err)}; nothing was changed yet; run it again (it goes on from its journal): ${j.command}`, 1, { cause: err });
      throw err;
    }
    const done = results.map((r) => changeName(r.change));
    // Writes of the step under way done (its wait failed, or a later write of it): it is where the change stands.
    const within = results.length > 0 && results.length > doneBefore.get(at)!;
    const note = (within ? j.steps[at] : j.steps[at - 1])?.note;
    const where = within ? `in step ${at + 1} of ${total}` : `after step ${at} of ${total}`;
    const message =
      `${errorText(err)}; the change stopped ${where}` +
      `${done.length ? ` (written now: ${done.join(', ')})` : ''}${note ? `; ${note}` : ''}; to finish it: ${j.command}; to undo it: ${j.undo}`;
    throw new CliError(message, err instanceof CliError && !(err instanceof KubeApiError) ? err.exitCode : 1, { cause: err });
  };
  if (journaled) await stepHooks.atBoundary?.(at, total);
  const doneBefore = new Map<number, number>();
  for (; at < total; at++) {
    const step = j.steps[at];
    doneBefore.set(at, results.length);
    try {
      for (const change of step.changes) {
        let r: ApplyResult;
        try {
          r = await apply(change);
        } catch (err) {
          const first = results.length === 0 && !o.resume;
          if (!first && isConflict(err)) r = await apply(unconditional(change));
          else if (o.resume && err instanceof KubeApiError && err.reason === 'AlreadyExists')
            r = { change, line: `${changeName(change)} unchanged`, verb: 'unchanged' };
          else throw err;
        }
        results.push(r);
        if (o.lines) ctx.stdout.write(`${r.line}\n`);
      }
      if (step.wait) await o.wait?.(step.wait);
      if (journaled) await markDone(kube, ref, at + 1);
    } catch (err) {
      return fail(err);
    }
    if (journaled) await stepHooks.atBoundary?.(at + 1, total);
  }
  if (journaled) {
    // Everything is done; a journal left behind (the API went away just now) is finished by the next run.
    await removeJournal(kube, ref).catch((err: unknown) =>
      ctx.warn(`the change is complete, but its journal stays (${errorText(err)}); the next run removes it`),
    );
  }
  return results;
}

// A plan is the list of changes a command decided on (by a pure planner); this applies it the same
// way everywhere: --dry-run=client prints the objects, =server has the API server validate them, and
// a real run prints one kubectl-style line per object. When a step fails after others succeeded, the
// error says what was already changed and how to undo it, so nothing is left half-done silently.
import { CliError, KubeApiError, errorText } from '../errors.js';
import { objectName } from '../output/names.js';
import type { Kube } from './client.js';
import type { DryRun, KubeObject, ObjectRef, ServerDryRun } from './object.js';
import type { CommandContext } from '../context.js';

export type Change =
  /** Server-side apply of a full desired object (create or update). */
  | { action: 'apply'; object: KubeObject; verb?: string; undo?: string }
  /** Create; fails if the object exists (a concurrent creator makes it a conflict, not an overwrite). */
  | { action: 'create'; object: KubeObject; verb?: string; undo?: string }
  /** A merge patch of an existing object. */
  | { action: 'patch'; ref: ObjectRef; patch: Record<string, unknown>; verb?: string; undo?: string }
  | { action: 'delete'; ref: ObjectRef; undo?: string };

export interface ApplyResult {
  change: Change;
  line: string;
  /** What happened to the object, the verb of its line: created, configured, scaled, deleted, unchanged... */
  verb: string;
  object?: KubeObject;
}

function refOf(c: Change): ObjectRef {
  if (c.action === 'apply' || c.action === 'create') {
    const m = c.object.metadata ?? {};
    return { apiVersion: c.object.apiVersion ?? '', kind: c.object.kind ?? '', name: m.name ?? '', namespace: m.namespace };
  }
  return c.ref;
}

export function changeName(c: Change): string {
  const r = refOf(c);
  return objectName(r.apiVersion, r.kind, r.name);
}

/** What --dry-run=client prints: the objects as they would be sent. */
export function plannedObjects(changes: Change[]): unknown[] {
  return changes.map((c) => {
    if (c.action === 'apply' || c.action === 'create') return c.object;
    const r = refOf(c);
    const header = { apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.name, ...(r.namespace ? { namespace: r.namespace } : {}) } };
    return c.action === 'delete'
      ? { ...header, '# action': 'delete' }
      : { ...header, ...c.patch, metadata: { ...header.metadata, ...((c.patch['metadata'] as object) ?? {}) } };
  });
}

const PAST: Record<Change['action'], string> = { apply: 'configured', create: 'created', patch: 'patched', delete: 'deleted' };

/** The lines a client dry run reports (nothing is sent). */
export function dryRunLines(changes: Change[]): string[] {
  return changes.map((c) => `${changeName(c)} ${verbOf(c)} (dry run)`);
}

/** The verb of a change's line, as a dry run says it. */
function verbOf(c: Change): string {
  return c.action === 'delete' ? 'deleted' : (c.verb ?? PAST[c.action]);
}

export async function applyPlan(kube: Kube, changes: Change[], dryRun: ServerDryRun): Promise<ApplyResult[]> {
  const suffix = dryRun === 'server' ? ' (server dry run)' : '';
  const done: ApplyResult[] = [];
  for (const c of changes) {
    try {
      let object: KubeObject | undefined;
      let verb: string;
      if (c.action === 'apply') {
        object = await kube.apply(c.object, { dryRun, force: true });
        verb = c.verb ?? PAST.apply;
      } else if (c.action === 'create') {
        object = await kube.create(c.object, { dryRun });
        verb = c.verb ?? PAST.create;
      } else if (c.action === 'patch') {
        object = await kube.patch(c.ref, c.patch, 'merge', { dryRun });
        verb = c.verb ?? PAST.patch;
      } else {
        verb = (await kube.delete(c.ref, { dryRun })) ? 'deleted' : 'already gone';
      }
      done.push({ change: c, line: `${changeName(c)} ${verb}${suffix}`, verb, ...(object ? { object } : {}) });
    } catch (err) {
      if (done.length === 0 || dryRun !== 'none') throw err;
      const undo = done.map((d) => d.change.undo).filter(Boolean);
      const message =
        `${errorText(err)}; already changed: ${done.map((d) => changeName(d.change)).join(', ')}` +
        (undo.length ? `; to undo: ${undo.join(' && ')}` : '; run the command again to finish');
      // Keep the API error's status, so a conflict is still retried (re-read, re-planned) by the caller.
      if (err instanceof KubeApiError) throw new KubeApiError(message, err.status, err.reason, { cause: err });
      throw new CliError(message, err instanceof CliError ? err.exitCode : 1, { cause: err });
    }
  }
  return done;
}

/**
 * Apply a plan and print the outcome, as a mutating command does: with --dry-run=client the planned
 * objects as a YAML stream on stdout (nothing sent); otherwise one kubectl-style line per object.
 * `on`: another cluster than the context's (its lines end with `where`, e.g. ' (context remote1)').
 */
export async function executePlan(ctx: CommandContext, changes: Change[], dryRun: DryRun, on?: { kube: Kube; where: string }): Promise<ApplyResult[]> {
  const where = on?.where ?? '';
  if (dryRun === 'client') {
    const { renderYamlStream } = await import('../output/printers.js');
    ctx.stdout.write(renderYamlStream(plannedObjects(changes)));
    return dryRunLines(changes).map((line, i) => ({ change: changes[i], line: `${line}${where}`, verb: verbOf(changes[i]) }));
  }
  const results = await applyPlan(on?.kube ?? ctx.kube(), changes, dryRun);
  for (const r of results) ctx.stdout.write(`${r.line}${where}\n`);
  return results;
}

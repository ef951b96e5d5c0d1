// The journal of a multi-step change: before the first write, the plan (its steps, the baseline seen
// before any change, the command line as typed and the command that undoes it) is recorded in a
// ConfigMap beside the traffic target; each step marks itself done; the last step removes it. A run
// that finds it continues the recorded plan instead of planning again from a half-changed cluster,
// and abort/rollback start from its baseline.
//
// Why a ConfigMap of its own, not an annotation on the target: writing the target would change its
// resourceVersion under the plan's own conditional writes (and wake the ingress controller or istiod
// for nothing); the lock's Lease is renewed and taken over when its holder dies, while a journal must
// outlive its writer; and `kubectl get configmap -l app.kubernetes.io/managed-by=kubectl-<plugin>`
// shows every change left half-done, with its commands readable in the data.
import { CliError, KubeApiError } from '../errors.js';
import { binaryName } from '../cli/command.js';
import { connectionArgv } from '../cli/flags.js';
import type { Kube } from './client.js';
import type { ObjectRef } from './object.js';
import { MANAGED_BY, managerName } from './ownership.js';
import type { Change } from './plan.js';
import type { ConfigMap } from './types.js';

export interface JournalStep {
  /** Written in order; a step of several is for idempotent writes (server-side applies) done again whole on a rerun. */
  changes: Change[];
  /** Something to wait for once the write is done (the command's waiter knows the key), e.g. "ready:new-nginx". */
  wait?: string;
  /** Where the change stands when this is the last step done, e.g. "the old controller still serves". */
  note?: string;
}

export interface Journal<B = unknown> {
  /** What the change is, as options decide it: a rerun with the same intent continues the plan. */
  intent: string;
  /** The command line as typed, with all its flags: what finishes the change. */
  command: string;
  /** The command that undoes it. */
  undo: string;
  /** What the objects were before the first write (what abort and rollback restore). */
  baseline: B;
  steps: JournalStep[];
  /** Steps done so far (0..steps.length). */
  done: number;
  startedAt: string;
}

export interface JournalRef {
  namespace: string;
  name: string;
}

const cmRef = (r: JournalRef): ObjectRef => ({ apiVersion: 'v1', kind: 'ConfigMap', name: r.name, namespace: r.namespace });

/** The journal of changes to one traffic target, e.g. kubectl-canary.journal.service.nginx. */
export function journalRef(plugin: string, namespace: string, kind: string, name: string): JournalRef {
  return { namespace, name: `${binaryName(plugin).replace(/_/g, '-')}.journal.${kind.toLowerCase()}.${name}`.slice(0, 253) };
}

const quote = (v: string): string => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'"'"'`)}'`);

/** `kubectl <plugin> <args>` as a shell line. */
export function commandLine(plugin: string, args: readonly string[]): string {
  return ['kubectl', plugin, ...args].map(quote).join(' ');
}

/** Another command of the same plugin on the same cluster and namespace (the connection flags typed are kept). */
export function sibling(plugin: string, argv: readonly string[] | undefined, args: string[]): string {
  return commandLine(plugin, [...args, ...connectionArgv(argv ?? [])]);
}

/** The journal left by a change, or undefined when none is pending (or it is not one of ours to trust). */
export async function readJournal<B>(kube: Kube, ref: JournalRef): Promise<Journal<B> | undefined> {
  const cm = await kube.find<ConfigMap>(cmRef(ref));
  const raw = cm?.data?.['journal'];
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as Omit<Journal<B>, 'done'>;
    if (typeof parsed.intent !== 'string' || !Array.isArray(parsed.steps)) return undefined;
    const done = Number(cm.data?.['done'] ?? '0');
    return { ...parsed, done: Number.isInteger(done) && done >= 0 ? Math.min(done, parsed.steps.length) : 0 };
  } catch {
    return undefined;
  }
}

/**
 * Record the plan before its first write. Another run's journal there already is a refusal with its
 * commands, unless this change supersedes it (an abort of a half-done set): then it is replaced in one write.
 */
export async function createJournal(kube: Kube, ref: JournalRef, j: Journal, plugin: string, supersede = false): Promise<void> {
  const { done: _done, ...rest } = j;
  const cm: ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: ref.name, namespace: ref.namespace, labels: { [MANAGED_BY]: managerName(plugin) } },
    data: { command: j.command, undo: j.undo, done: String(j.done), journal: JSON.stringify(rest) },
  };
  if (supersede && (await kube.find(cmRef(ref)))) {
    await kube.patch(cmRef(ref), { data: cm.data });
    return;
  }
  try {
    await kube.create(cm);
  } catch (err) {
    if (!(err instanceof KubeApiError && err.status === 409)) throw err;
    const other = await readJournal(kube, ref);
    throw new CliError(pendingMessage(other, ref));
  }
}

export async function markDone(kube: Kube, ref: JournalRef, done: number): Promise<void> {
  await kube.patch(cmRef(ref), { data: { done: String(done) } });
}

export async function removeJournal(kube: Kube, ref: JournalRef): Promise<void> {
  await kube.delete(cmRef(ref));
}

/** One line on a change left half-done by another run, with how to finish or undo it. */
export function pendingMessage(j: Journal | undefined, ref: JournalRef): string {
  if (!j) return `configmap/${ref.name} in namespace "${ref.namespace}" records a change in progress; finish or undo it first`;
  return `a change is half done here (${j.done} of ${j.steps.length} steps of '${j.command}', recorded in configmap/${ref.name}); finish it: ${j.command}; or undo it: ${j.undo}`;
}

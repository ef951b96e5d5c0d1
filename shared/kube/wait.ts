// Waiting with a deadline: for a Deployment's rollout (kubectl rollout status's rules) and for a
// condition on any object. Progress is reported as it changes; the timeout names what was awaited.
import { CliError, TimeoutError } from '../errors.js';
import type { Clock } from '../context.js';
import type { Kube } from './client.js';
import type { KubeObject, ObjectRef } from './object.js';
import type { DaemonSet, Deployment } from './types.js';

export interface WaitState {
  done: boolean;
  /** One line describing where things stand, e.g. "2 of 3 updated replicas are available". */
  message: string;
}

/** Has a Deployment finished rolling out? The same rules as `kubectl rollout status`. */
export function deploymentRollout(d: Deployment): WaitState & { failed?: string } {
  const s = d.status ?? {};
  const want = d.spec?.replicas ?? 1;
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) return { done: false, message: 'waiting for the deployment spec update to be observed' };
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      done: false,
      failed: `deployment "${d.metadata?.name}" exceeded its progress deadline`,
      message: progressing.message ?? 'progress deadline exceeded',
    };
  }
  const updated = s.updatedReplicas ?? 0;
  const total = s.replicas ?? 0;
  const available = s.availableReplicas ?? 0;
  if (want === 0) return total === 0 ? { done: true, message: 'scaled to 0' } : { done: false, message: `${total} replicas are pending termination` };
  if (updated < want) return { done: false, message: `${updated} of ${want} new replicas have been updated` };
  if (total > updated) return { done: false, message: `${total - updated} old replicas are pending termination` };
  if (available < updated) return { done: false, message: `${available} of ${updated} updated replicas are available` };
  return { done: true, message: `${want} of ${want} replicas available` };
}

/** The status of a condition of type `type` on an object ('True', 'False', 'Unknown' or undefined). */
export function conditionStatus(obj: KubeObject, type: string): string | undefined {
  const conditions = (obj.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions;
  return conditions?.find((c) => c.type === type)?.status;
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  clock: Clock;
  onProgress?: (message: string) => void;
}

/** Poll `check` until done or the deadline; a TimeoutError says what was awaited and the last state. */
export async function waitFor(what: string, check: () => Promise<WaitState & { failed?: string }>, opts: WaitOptions): Promise<WaitState> {
  const start = opts.clock.now().getTime();
  let last = '';
  const timeout = () =>
    new TimeoutError(
      `timed out after ${formatDuration(opts.timeoutMs)} waiting for ${what}: ${last || 'no answer yet'}; raise --timeout or check the pods (kubectl get pods)`,
    );
  for (;;) {
    // A check that hangs (a stalled request) must not carry the wait past its deadline.
    const remaining = opts.timeoutMs - (opts.clock.now().getTime() - start);
    let timer: NodeJS.Timeout | undefined;
    const state = await Promise.race([
      check(),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(timeout()), Math.max(remaining, 0) + 1000))),
    ]).finally(() => clearTimeout(timer));
    if (state.failed) throw new CliError(`${what} failed: ${state.failed}`);
    if (state.message !== last) opts.onProgress?.(state.message);
    last = state.message;
    if (state.done) return state;
    const elapsed = opts.clock.now().getTime() - start;
    if (elapsed >= opts.timeoutMs) throw timeout();
    await opts.clock.sleep(Math.min(opts.intervalMs ?? 500, opts.timeoutMs - elapsed));
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
}

export async function waitForRollout(kube: Kube, namespace: string, name: string, opts: WaitOptions): Promise<WaitState> {
  return waitFor(
    `deployment.apps/${name} to roll out`,
    async () => deploymentRollout(await kube.get<Deployment>({ apiVersion: 'apps/v1', kind: 'Deployment', name, namespace })),
    opts,
  );
}

export async function waitForCondition(kube: Kube, ref: ObjectRef, type: string, status: string, opts: WaitOptions): Promise<WaitState> {
  return waitFor(
    `${ref.kind.toLowerCase()}/${ref.name} to be ${type}=${status}`,
    async () => {
      const got = conditionStatus(await kube.get(ref), type);
      return { done: got === status, message: `${type} is ${got ?? 'not reported yet'}` };
    },
    opts,
  );
}

/** Has a DaemonSet finished rolling out? The same rules as `kubectl rollout status daemonset`. */
export function daemonSetRollout(ds: DaemonSet): WaitState {
  const s = ds.status ?? {};
  if ((ds.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) return { done: false, message: 'waiting for the daemon set spec update to be observed' };
  const want = s.desiredNumberScheduled ?? 0;
  const updated = s.updatedNumberScheduled ?? 0;
  const available = s.numberAvailable ?? 0;
  if (updated < want) return { done: false, message: `${updated} of ${want} updated pods have been scheduled` };
  if (available < want) return { done: false, message: `${available} of ${want} updated pods are available` };
  return { done: true, message: `${available} of ${want} pods available` };
}

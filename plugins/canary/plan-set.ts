// Planning replica changes for a canary (set, abort, promote): which Deployment to scale to what, in
// which order, and the state kept for abort. Pure: the topology and targets in, ordered steps out.
import { CliError } from '../../shared/errors.js';
import type { ObjectRef } from '../../shared/kube/object.js';
import { readState, stateAnnotations } from '../../shared/kube/ownership.js';
import { solveReplicas, type ReplicaSolution } from './replicas.js';
import type { Topology } from './topology.js';
import type { Deployment } from '../../shared/kube/types.js';

export const PREVIOUS_REPLICAS = 'previous-replicas';

export interface ScaleStep {
  ref: ObjectRef;
  name: string;
  from: number;
  to: number;
  /** Delete the Deployment instead of patching it (promote --delete-stable). */
  delete?: boolean;
  /** Merge patch: replicas, the resourceVersion read (so a concurrent change is a conflict), state. */
  patch: Record<string, unknown>;
}

export interface ScalePlan {
  canary: number;
  stable: number;
  /** Scale-ups first, then scale-downs, so capacity never drops below what it was. */
  steps: ScaleStep[];
}

export interface SetPlan extends ScalePlan {
  solution: ReplicaSolution;
}

/** What abort restores: the replicas before the first change, kept on the canary Deployment. */
export interface PreviousReplicas {
  [deployment: string]: number;
}

const replicas = (d: Deployment) => d.spec?.replicas ?? 1;
const nameOf = (d: Deployment) => d.metadata?.name ?? '';

/** The pods the split is over when --total is not given: what both Deployments ask for now. */
export function currentTotal(t: Topology): number {
  return replicas(t.canary) + replicas(t.stable);
}

export function readPrevious(canary: Deployment): PreviousReplicas | undefined {
  const raw = readState(canary)[PREVIOUS_REPLICAS];
  if (!raw) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    // Hand-edited or foreign annotations must not become replica counts.
    if (typeof parsed !== 'object' || parsed === null || !Object.values(parsed).every((n) => Number.isInteger(n) && (n as number) >= 0)) return undefined;
    return parsed as PreviousReplicas;
  } catch {
    return undefined;
  }
}

/** The replicas now, as the baseline abort restores. */
export function baselineOf(t: Topology): string {
  return JSON.stringify({ [nameOf(t.stable)]: replicas(t.stable), [nameOf(t.canary)]: replicas(t.canary) });
}

/**
 * Steps to bring both Deployments to the targets. `state`: record the baseline for abort (unless one
 * is recorded already; `baseline` fixes it across retries), clear it, or leave it. A new baseline is
 * written with the first write, and a cleared one with the last, so a change that stops half-way
 * still leaves abort what it needs. `deleteStable` removes the stable Deployment.
 */
export function planReplicas(
  t: Topology,
  target: { canary: number; stable: number },
  state: 'record' | 'clear' | 'keep',
  deleteStable = false,
  baseline?: string,
): ScalePlan {
  const canaryName = nameOf(t.canary);
  const stableName = nameOf(t.stable);
  const current = { canary: replicas(t.canary), stable: replicas(t.stable) };
  const ref = (name: string): ObjectRef => ({ apiVersion: 'apps/v1', kind: 'Deployment', name, namespace: t.namespace });
  const changes = [
    { d: t.canary, name: canaryName, from: current.canary, to: target.canary },
    { d: t.stable, name: stableName, from: current.stable, to: target.stable },
  ].filter((c) => c.from !== c.to || (c.d === t.stable && deleteStable));
  const hasBaseline = readPrevious(t.canary) !== undefined;
  let annotation: string | null | undefined;
  if (state === 'record' && changes.length && !hasBaseline) annotation = baseline ?? baselineOf(t);
  if (state === 'clear' && hasBaseline) annotation = null;
  const steps: ScaleStep[] = changes
    .sort((a, b) => Number(b.to > b.from) - Number(a.to > a.from))
    .map((c) => ({
      ref: ref(c.name),
      name: c.name,
      from: c.from,
      to: c.to,
      ...(c.d === t.stable && deleteStable ? { delete: true } : {}),
      patch: { metadata: { resourceVersion: c.d.metadata?.resourceVersion }, spec: { replicas: c.to } },
    }));
  if (annotation !== undefined) {
    const value = stateAnnotations({ [PREVIOUS_REPLICAS]: annotation }).metadata.annotations;
    const at = annotation === null ? steps.length - 1 : 0; // record first, clear last
    const step = steps[at];
    if (step && step.name === canaryName) {
      (step.patch['metadata'] as Record<string, unknown>)['annotations'] = value;
    } else {
      const canaryStep = steps.find((s) => s.name === canaryName);
      const annotate: ScaleStep = {
        ref: ref(canaryName),
        name: canaryName,
        from: canaryStep?.to ?? current.canary,
        to: canaryStep?.to ?? current.canary,
        patch: { metadata: { annotations: value } },
      };
      if (annotation === null) {
        steps.push(annotate); // after the canary's own write: no version to hold it to
      } else {
        // First: conditional on the version read; the canary's own later write then follows it unconditionally.
        Object.assign(annotate, { from: current.canary, to: current.canary });
        (annotate.patch['metadata'] as Record<string, unknown>)['resourceVersion'] = t.canary.metadata?.resourceVersion;
        if (canaryStep) delete (canaryStep.patch['metadata'] as Record<string, unknown>)['resourceVersion'];
        steps.unshift(annotate);
      }
    }
  }
  return { canary: target.canary, stable: target.stable, steps };
}

export function planSet(t: Topology, percent: number, total?: number, baseline?: string): SetPlan {
  const n = total ?? currentTotal(t);
  if (n < 1) {
    throw new CliError(`deployments "${nameOf(t.stable)}" and "${nameOf(t.canary)}" both have 0 replicas; say how many pods to split with --total`);
  }
  const solution = solveReplicas(percent, n);
  return { ...planReplicas(t, { canary: solution.canary, stable: solution.stable }, 'record', false, baseline), solution };
}

/** All traffic back to stable: the stable Deployment gets its recorded replicas back, the canary none. */
export function planAbort(t: Topology): ScalePlan {
  const previous = readPrevious(t.canary)?.[nameOf(t.stable)];
  const stable = previous !== undefined && previous > 0 ? previous : Math.max(currentTotal(t), 1);
  return planReplicas(t, { canary: 0, stable }, 'clear');
}

/** All traffic to the canary, keeping the capacity; the stable is kept at 0 for undo, or deleted. */
export function planPromote(t: Topology, deleteStable: boolean, baseline?: string): ScalePlan {
  const canary = Math.max(currentTotal(t), 1);
  return planReplicas(t, { canary, stable: 0 }, deleteStable ? 'clear' : 'record', deleteStable, baseline);
}

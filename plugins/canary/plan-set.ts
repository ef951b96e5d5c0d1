// Planning `canary set` in replicas mode: which Deployment to scale to what, in which order, and the
// state to keep for abort. Pure: the topology and the wanted share in, ordered steps out.
import { CliError } from '../../shared/errors.js';
import type { ObjectRef } from '../../shared/kube/client.js';
import { annotationKey } from '../../shared/kube/ownership.js';
import { solveReplicas, type ReplicaSolution } from './replicas.js';
import type { DeploymentLike, Topology } from './topology.js';

export const PREVIOUS_REPLICAS = 'previous-replicas';

export interface ScaleStep {
  ref: ObjectRef;
  name: string;
  from: number;
  to: number;
  /** Merge patch: replicas, the resourceVersion read (so a concurrent change is a conflict), state. */
  patch: Record<string, unknown>;
}

export interface SetPlan {
  solution: ReplicaSolution;
  /** Scale-ups first, then scale-downs, so capacity never drops below what it was. */
  steps: ScaleStep[];
}

const replicas = (d: DeploymentLike) => d.spec?.replicas ?? 1;

/** The pods the split is over when --total is not given: what both Deployments ask for now. */
export function currentTotal(t: Topology): number {
  return replicas(t.canary) + replicas(t.stable);
}

/** What abort restores: the replicas before the first `set`, kept on the canary Deployment. */
export interface PreviousReplicas {
  [deployment: string]: number;
}

export function readPrevious(canary: DeploymentLike): PreviousReplicas | undefined {
  const raw = canary.metadata?.annotations?.[annotationKey(PREVIOUS_REPLICAS)];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as PreviousReplicas;
  } catch {
    return undefined;
  }
}

export function planSet(t: Topology, percent: number, total?: number): SetPlan {
  const canaryName = t.canary.metadata?.name ?? '';
  const stableName = t.stable.metadata?.name ?? '';
  const current = { canary: replicas(t.canary), stable: replicas(t.stable) };
  const n = total ?? current.canary + current.stable;
  if (n < 1) {
    throw new CliError(`deployments "${stableName}" and "${canaryName}" both have 0 replicas; say how many pods to split with --total`);
  }
  const solution = solveReplicas(percent, n);
  const changes = [
    { d: t.canary, name: canaryName, from: current.canary, to: solution.canary },
    { d: t.stable, name: stableName, from: current.stable, to: solution.stable },
  ].filter((c) => c.from !== c.to);
  // Keep the replicas from before the first set (a later set must not overwrite the baseline).
  const previous = changes.length && !readPrevious(t.canary) ? JSON.stringify({ [stableName]: current.stable, [canaryName]: current.canary }) : undefined;
  const steps: ScaleStep[] = changes
    .sort((a, b) => Number(b.to > b.from) - Number(a.to > a.from))
    .map((c) => ({
      ref: { apiVersion: 'apps/v1', kind: 'Deployment', name: c.name, namespace: t.namespace },
      name: c.name,
      from: c.from,
      to: c.to,
      patch: {
        metadata: {
          resourceVersion: c.d.metadata?.resourceVersion,
          ...(previous && c.d === t.canary ? { annotations: { [annotationKey(PREVIOUS_REPLICAS)]: previous } } : {}),
        },
        spec: { replicas: c.to },
      },
    }));
  if (previous && !changes.some((c) => c.d === t.canary)) {
    // Only the stable side changes (a new --total): the baseline still belongs on the canary.
    steps.push({
      ref: { apiVersion: 'apps/v1', kind: 'Deployment', name: canaryName, namespace: t.namespace },
      name: canaryName,
      from: current.canary,
      to: current.canary,
      patch: { metadata: { resourceVersion: t.canary.metadata?.resourceVersion, annotations: { [annotationKey(PREVIOUS_REPLICAS)]: previous } } },
    });
  }
  return { solution, steps };
}

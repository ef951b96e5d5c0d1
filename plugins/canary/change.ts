// What set, promote, abort and run print with -o json|yaml|name: the canary, its Service and mode, the
// split before and after (replicas, or the default route's weights under Istio) and the objects written.
// Pure: the change carried out (actions.ts) in, the fields of the document out.
import type { DryRun } from '../../shared/kube/object.js';
import type { ChangeResult, ObjectChange } from '../../shared/output/change.js';
import { objectChange } from '../../shared/output/change.js';
import type { Done } from './actions.js';
import { defaultRouteIndex, type IstioPlan } from './istio.js';
import type { VirtualService } from '../../shared/istio/types.js';
import type { ScalePlan } from './plan-set.js';
import { changeName, type Change } from '../../shared/kube/plan.js';
import type { Topology } from './topology.js';

/** One side of the split: the canary's and the stable's replicas, or their weights. */
export interface Split {
  canary: number;
  stable: number;
}

/** The split at one moment: replicas in replicas mode, the default route's weights under Istio. */
export type SplitState = { replicas: Split } | { weights: Split };

export interface CanaryChangeFields {
  canary: string;
  stable: string;
  service: string;
  namespace: string;
  mode: 'replicas' | 'istio';
  virtualService?: string;
  subsets?: { canary: string; stable: string };
  before: SplitState;
  after: SplitState;
}

/** The weights the default route of vs gives the canary's and the stable's subsets. */
function weights(t: Topology, vs: VirtualService | undefined, plan: IstioPlan): Split {
  const out = { canary: 0, stable: 0 };
  if (!vs) return out;
  let route;
  try {
    route = vs.spec?.http?.[defaultRouteIndex(t, vs)]?.route ?? [];
  } catch {
    return out;
  }
  for (const d of route) {
    const w = d.weight ?? (route.length === 1 ? 100 : 0);
    if (d.destination?.subset === plan.canarySubset) out.canary += w;
    else if (d.destination?.subset === plan.stableSubset) out.stable += w;
  }
  return out;
}

/**
 * Each object the change writes (in the order written) with the verb of its line, then the canary's
 * and the stable's Deployments (and the VirtualService) that it leaves unchanged.
 */
function changedObjects(t: Topology, changes: readonly Change[], istio: IstioPlan | undefined): ObjectChange[] {
  const actions = new Map<string, string>();
  for (const c of changes) {
    const name = changeName(c);
    // "scaled (1 -> 3)": the verb alone; a Deployment annotated and then scaled counts as scaled.
    const action = c.action === 'delete' ? 'deleted' : c.action === 'create' ? 'created' : (c.verb ?? 'configured').split(' ')[0];
    if (actions.get(name) === undefined || actions.get(name) === 'annotated') actions.set(name, action);
  }
  const touched = [...(istio ? [istio.virtualService] : []), t.canary, t.stable].map((o) => objectChange(o, 'unchanged'));
  for (const o of touched) if (!actions.has(o.name)) actions.set(o.name, o.action);
  return [...actions].map(([name, action]) => ({ name, action }));
}

/** The document of a canary change of kind `kind`; `extra`: the command's own fields. */
export function canaryChange<E extends object>(
  kind: string,
  done: Done<ScalePlan>,
  dryRun: DryRun,
  extra: E,
  lines: string[] = [],
): ChangeResult<CanaryChangeFields & E> {
  const { t, plan, istio } = done;
  const base = {
    canary: t.canary.metadata?.name ?? '',
    stable: t.stable.metadata?.name ?? '',
    service: t.service.metadata?.name ?? '',
    namespace: t.namespace,
  };
  if (istio) {
    const fields = {
      ...base,
      mode: 'istio' as const,
      virtualService: istio.virtualService.metadata?.name ?? '',
      subsets: { canary: istio.canarySubset, stable: istio.stableSubset },
      before: { weights: weights(t, t.virtualServices[0], istio) },
      after: { weights: weights(t, istio.virtualService, istio) },
      ...extra,
    };
    return { kind, fields, dryRun, objects: changedObjects(t, done.changes ?? [], istio), lines };
  }
  const replicas = (d: Topology['canary']) => d.spec?.replicas ?? 1;
  const fields = {
    ...base,
    mode: 'replicas' as const,
    before: { replicas: { canary: replicas(t.canary), stable: replicas(t.stable) } },
    after: { replicas: { canary: plan?.canary ?? replicas(t.canary), stable: plan?.stable ?? replicas(t.stable) } },
    ...extra,
  };
  return { kind, fields, dryRun, objects: changedObjects(t, done.changes ?? [], undefined), lines };
}

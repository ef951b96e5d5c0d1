// Planning an Istio change: scale-ups first (ready before traffic moves to them), then the
// DestinationRule's subsets (the routes refer to them), then the VirtualService's default route, then
// scale-downs; each write conditional on the version read. scale.ts carries the steps out.
import type { CommandContext } from '../../shared/context.js';
import { CliError } from '../../shared/errors.js';
import type { JournalStep } from '../../shared/kube/journal.js';
import { markManaged } from '../../shared/kube/ownership.js';
import type { Change } from '../../shared/kube/plan.js';
import type { IstioPlan } from './istio.js';
import { listDestinationRules } from './observe.js';
import type { ScalePlan } from './plan-set.js';
import { scaleSteps, splitSteps } from './scale-steps.js';
import type { Topology } from './topology.js';
import type { DestinationRule, VirtualService } from '../../shared/istio/types.js';
import type { Deployment } from '../../shared/kube/types.js';

export interface IstioChange {
  /** The route change, from the VirtualService and DestinationRules read. */
  route: (vs: VirtualService, rules: DestinationRule[]) => IstioPlan;
  /** Replica changes around it: scale-ups before the route change, scale-downs after. */
  replicas?: ScalePlan | undefined;
  plugin: string;
}

/** The writes of an Istio plan: the DestinationRule (created or patched), then the VirtualService. */
export function istioChanges(plan: IstioPlan, namespace: string, plugin: string): Change[] {
  const changes: Change[] = [];
  if (plan.destinationRule) {
    const dr = plan.destinationRule;
    changes.push(
      plan.createRule
        ? { action: 'create', object: markManaged(dr, plugin) }
        : {
            action: 'patch',
            ref: { apiVersion: dr.apiVersion!, kind: dr.kind!, name: dr.metadata?.name ?? '', namespace },
            patch: { metadata: dr.metadata, spec: dr.spec },
            verb: 'configured',
          },
    );
  }
  if (plan.vsChanged) {
    const vs = plan.virtualService;
    const metadata = { ...vs.metadata, ...(plan.state ? { annotations: plan.state } : {}) };
    changes.push({
      action: 'patch',
      ref: { apiVersion: vs.apiVersion!, kind: vs.kind!, name: vs.metadata?.name ?? '', namespace },
      patch: { metadata, spec: vs.spec },
      verb: 'configured',
    });
  }
  return changes;
}

/** The weight the route gives a subset (0 when absent). */
function weightOf(plan: IstioPlan, subset: string): number {
  const http = plan.virtualService.spec?.http ?? [];
  return Math.max(
    0,
    ...http.flatMap((r) => (r.match?.length ? [] : (r.route ?? []).filter((d) => d.destination?.subset === subset).map((d) => d.weight ?? 100))),
  );
}

/** The Istio change planned (no write): checks that refuse it, and its steps in order. */
export async function planIstioChange(
  ctx: CommandContext,
  t: Topology,
  vs: VirtualService,
  o: IstioChange,
): Promise<{ plan: IstioPlan; steps: JournalStep[]; warnings: string[] }> {
  // Read already when the route had to say which version is stable.
  const rules = t.destinationRules ?? (await listDestinationRules(ctx, t.namespace));
  const plan = o.route(vs, rules);
  // Weight on a version with no ready pod is traffic to nothing (503s): refuse before writing,
  // unless this change scales that version up first.
  const scaledUp = new Set((o.replicas?.steps ?? []).filter((s) => s.to > s.from).map((s) => s.name));
  const ready = (d: Deployment) => d.status?.readyReplicas ?? 0;
  for (const [d, subset] of [
    [t.canary, plan.canarySubset],
    [t.stable, plan.stableSubset],
  ] as const) {
    const share = weightOf(plan, subset);
    if (plan.vsChanged && share > 0 && ready(d) === 0 && !scaledUp.has(d.metadata?.name ?? '')) {
      throw new CliError(
        `deployment "${d.metadata?.name}" has no ready pods, so ${share}% of the traffic would fail; scale it up first (kubectl scale deployment ${d.metadata?.name} --replicas=N)`,
      );
    }
  }
  const warnings = plan.dropped.length
    ? [`the default route also sent traffic to ${plan.dropped.join(', ')}; it now goes only to ${plan.stableSubset} and ${plan.canarySubset}`]
    : [];
  const [before, after] = splitSteps(o.replicas?.steps ?? []);
  const steps: JournalStep[] = [
    ...scaleSteps(before, true),
    ...istioChanges(plan, t.namespace, o.plugin).map((change) => ({ changes: [change] })),
    ...scaleSteps(after, false),
  ];
  return { plan, steps, warnings };
}

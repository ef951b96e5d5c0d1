// Carrying out an Istio split: the DestinationRule's subsets first (the routes refer to them), then
// the VirtualService's default route, each conditional on the version read.
import type { CommandContext } from '../../shared/context.js';
import { CliError, UsageError } from '../../shared/errors.js';
import type { DryRun } from '../../shared/kube/client.js';
import { KubeApiError } from '../../shared/errors.js';
import { markManaged } from '../../shared/kube/ownership.js';
import { applyPlan, executePlan, type Change } from '../../shared/kube/plan.js';
import { planIstio, type DestinationRule, type IstioPlan, type VirtualService } from './istio.js';
import type { Topology } from './topology.js';

export async function applyIstio(ctx: CommandContext, t: Topology, o: { percent: number; dryRun: DryRun; lines: boolean; plugin: string }): Promise<IstioPlan> {
  if (t.virtualServices.length > 1) {
    throw new UsageError(`several VirtualServices route service "${t.service.metadata?.name}": ${t.virtualServices.map((v) => v.metadata?.name).join(', ')}; keep one default route for it`);
  }
  const kube = ctx.kube();
  const rules = await kube.list<DestinationRule>('networking.istio.io/v1', 'DestinationRule', { namespace: t.namespace }).catch((err: unknown) => {
    if (err instanceof KubeApiError && err.status === 404) return [];
    throw err;
  });
  // Weight on a version with no ready pod is traffic to nothing (503s): refuse before writing.
  const ready = (d: Topology['canary']) => d.status?.readyReplicas ?? 0;
  for (const [d, share] of [[t.canary, o.percent], [t.stable, 100 - o.percent]] as const) {
    if (share > 0 && ready(d) === 0) {
      throw new CliError(`deployment "${d.metadata?.name}" has no ready pods, so ${share}% of the traffic would fail; scale it up first (kubectl scale deployment ${d.metadata?.name} --replicas=N)`);
    }
  }
  const plan = planIstio(t, t.virtualServices[0] as VirtualService, rules, o.percent);
  if (plan.dropped.length) ctx.warn(`the default route also sent traffic to ${plan.dropped.join(', ')}; it now goes only to ${plan.stableSubset} and ${plan.canarySubset}`);
  const changes: Change[] = [];
  if (plan.destinationRule) {
    const dr = plan.destinationRule;
    changes.push(
      plan.createRule
        ? { action: 'create', object: markManaged(dr, o.plugin) }
        : { action: 'patch', ref: { apiVersion: dr.apiVersion!, kind: dr.kind!, name: dr.metadata?.name ?? '', namespace: t.namespace }, patch: { metadata: dr.metadata, spec: dr.spec }, verb: 'configured' },
    );
  }
  if (plan.vsChanged) {
    const vs = plan.virtualService;
    changes.push({ action: 'patch', ref: { apiVersion: vs.apiVersion!, kind: vs.kind!, name: vs.metadata?.name ?? '', namespace: t.namespace }, patch: { metadata: vs.metadata, spec: vs.spec }, verb: 'configured' });
  }
  if (o.dryRun !== 'none') {
    if (o.lines) await executePlan(ctx, changes, o.dryRun);
    else if (o.dryRun === 'server') await applyPlan(kube, changes, 'server');
    return plan;
  }
  for (const r of await applyPlan(kube, changes, 'none')) if (o.lines) ctx.stdout.write(`${r.line}\n`);
  if (o.lines && changes.length === 0) ctx.stdout.write(`virtualservice.networking.istio.io/${plan.virtualService.metadata?.name} unchanged\n`);
  return plan;
}

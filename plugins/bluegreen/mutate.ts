// Carrying out one blue-green operation, the same careful way for every command: observe, detect the
// provider, plan, refuse traffic to a Service without ready endpoints (unless --force), write each
// changed object once (under the lock of the target, conditional on the version read; re-read and re-planned on a conflict), say
// "unchanged" when there is nothing to do, and end with one line on where the traffic goes.
import type { CommandContext } from '../../shared/context.js';
import { CliError, KubeApiError } from '../../shared/errors.js';
import { retryOnConflict, type DryRun } from '../../shared/kube/client.js';
import { commandLock, lockTarget, withLock, type LockTarget } from '../../shared/kube/lock.js';
import { executePlan, type Change } from '../../shared/kube/plan.js';
import { detectProvider } from './detect.js';
import type { Provider, Slot } from './model.js';
import { observe, readyEndpoints, type Cluster } from './observe.js';
import type { Operation, Selection } from './operations.js';
import { planBlueGreen, targetName, type BlueGreenPlan } from './plan.js';

/** How long a change waits for another run changing the same target (blue-green commands have no --timeout). */
const LOCK_WAIT_MS = 60_000;

export interface TargetOptions extends Selection {
  target: string;
  provider?: string | undefined;
  dryRun: DryRun;
  force: boolean;
}

export interface MutateResult {
  cluster: Cluster;
  provider: Provider;
  result: BlueGreenPlan;
}

const describeSlot = (s: Slot): string =>
  `${s.host}${s.path} ${s.backends.map((b) => `${b.service} ${b.percent}%`).join(', ')}${s.preview ? `; preview ${s.preview.cookie !== undefined ? `cookie ${s.preview.cookie}=always` : `header ${s.preview.header!.name}${s.preview.header!.value !== undefined ? `: ${s.preview.header!.value}` : ` ~ ${s.preview.header!.pattern}`}`} -> ${s.preview.service}` : ''}`;

export async function mutate(
  ctx: CommandContext,
  o: TargetOptions,
  op: Operation,
  extra: (c: Cluster, r: BlueGreenPlan) => Change[] = () => [],
): Promise<MutateResult> {
  const kube = ctx.kube();
  let warned = false;
  let out: MutateResult | undefined;
  // Planned first without the lock: a change that writes takes the lock on its target and plans again under it.
  let needsLock: LockTarget | undefined;
  const attempt = (locked: boolean) => async () => {
    const cluster = await observe(kube, o.target, o.provider);
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
    out = { cluster, provider, result };
    if (changes.length === 0) {
      ctx.stdout.write(`${targetName(cluster)} unchanged\n`);
      return;
    }
    if (o.dryRun === 'none' && !locked) {
      needsLock = lockTarget(cluster.target.kind ?? '', cluster.namespace, cluster.target.metadata?.name ?? '');
      return;
    }
    try {
      await executePlan(ctx, changes, o.dryRun);
    } catch (err) {
      // Another run created the canary Ingress first: re-read and re-plan, as for any conflict.
      if (err instanceof KubeApiError && err.status === 409 && err.reason === 'AlreadyExists')
        throw new KubeApiError(err.message, 409, 'Conflict', { cause: err });
      throw err;
    }
  };
  await retryOnConflict(attempt(false));
  if (needsLock) {
    await withLock(kube, commandLock(ctx, needsLock, `${op.kind} ${o.target}`, LOCK_WAIT_MS), () => retryOnConflict(attempt(true)));
  }
  const { cluster, provider, result } = out!;
  const verb = o.dryRun === 'none' ? 'routes' : 'would route';
  for (const s of result.plan.desired.filter((x) => result.plan.selected.includes(`${x.host}${x.path}`))) {
    ctx.stdout.write(`${targetName(cluster)} ${verb} ${describeSlot(s)} (provider ${provider.name})\n`);
  }
  return out!;
}

// kubectl bluegreen finalize <target>: the new Service becomes the only backend; weight annotations,
// canary Ingresses, preview rules and zero-weight backends go. --delete-old also deletes the Services
// no longer routed (never without the flag, never one another Ingress, HTTPRoute or VirtualService
// still routes to).
import { bool, defineCommand, str } from '../../../shared/cli/command.js';
import { serviceName } from '../../../shared/validate.js';
import type { Change } from '../../../shared/kube/plan.js';
import type { KubeObject } from '../../../shared/kube/object.js';
import { optionalList } from '../../../shared/kube/api-errors.js';
import { KINDS } from '../detect.js';
import type { IngressLike } from '../model.js';
import { readTargetArgs, targetFlags } from '../flags.js';
import { pathGroups } from '../ingress-rules.js';
import { mutate, type TargetOptions } from '../mutate.js';
import type { Cluster } from '../observe.js';
import type { BlueGreenPlan } from '../plan.js';
import { NAMES } from '../../../shared/commands/complete-names.js';

interface Options extends TargetOptions {
  service?: string | undefined;
  deleteOld: boolean;
}

/** Services an HTTPRoute or VirtualService in namespace ns sends traffic to. */
export function routedServices(o: KubeObject, ns: string): string[] {
  const spec = (o as { spec?: Record<string, unknown> }).spec ?? {};
  if (o.kind === 'HTTPRoute') {
    const rules = (spec['rules'] ?? []) as { backendRefs?: { name?: string; kind?: string; group?: string; namespace?: string }[] }[];
    return rules
      .flatMap((r) => r.backendRefs ?? [])
      .filter((b) => (b.kind ?? 'Service') === 'Service' && (b.group ?? '') === '' && (b.namespace ?? ns) === ns)
      .map((b) => b.name ?? '');
  }
  const routes = ['http', 'tcp', 'tls'].flatMap((k) => (spec[k] ?? []) as { route?: { destination?: { host?: string } }[] }[]);
  return routes
    .flatMap((r) => r.route ?? [])
    .map((d) => (d.destination?.host ?? '').split('.'))
    .filter((p) => p.length === 1 || p[1] === ns)
    .map((p) => p[0]);
}

const refOf = (o: KubeObject) => `${o.kind?.toLowerCase()}/${o.metadata?.name}`;

/**
 * The Services finalize --delete-old deletes, and those it keeps because another Ingress, HTTPRoute or
 * VirtualService (`routes`, read for the purpose) still routes to them.
 */
export function oldServices(c: Cluster, r: BlueGreenPlan, routes: KubeObject[] = []): { deletes: Change[]; stillRouted: [string, string][] } {
  // Objects this change deletes (canary Ingresses) no longer route anything; the target is judged by its new state.
  const gone = new Set(r.changes.filter((x) => x.action === 'delete').map((x) => (x.action === 'delete' ? `${x.ref.kind.toLowerCase()}/${x.ref.name}` : '')));
  const target = refOf(c.target);
  const others = [...c.ingresses.map((i) => ({ ...i, kind: 'Ingress' })), ...routes].filter((o) => refOf(o) !== target && !gone.has(refOf(o)));
  const uses = (o: KubeObject, name: string) =>
    o.kind === 'Ingress' ? pathGroups(o as IngressLike).some((g) => g.entries.some((e) => e.service === name)) : routedServices(o, c.namespace).includes(name);
  const deletes: Change[] = [];
  const stillRouted: [string, string][] = [];
  for (const name of r.plan.released.filter((s) => c.services.some((x) => x.metadata?.name === s))) {
    const user = others.find((o) => uses(o, name));
    if (user) stillRouted.push([name, refOf(user)]);
    else deletes.push({ action: 'delete', ref: { apiVersion: 'v1', kind: 'Service', name, namespace: c.namespace } });
  }
  return { deletes, stillRouted };
}

export const finalizeCommand = defineCommand<Options>({
  command: 'finalize <target>',
  completions: { target: NAMES.ingress },
  describe: 'Make the new Service the only backend and remove weights, canary Ingresses and previews (--delete-old: the old Service too)',
  examples: [
    ['$0 finalize echo', 'new-nginx alone behind mini-echo.io; old-nginx is kept'],
    ['$0 finalize echo --delete-old', 'The same, and the Service old-nginx is deleted'],
  ],
  builder: (y) =>
    targetFlags(y)
      .option('service', { type: 'string', describe: 'The Service to keep (default: the one the last set or switch named)' })
      .option('delete-old', { type: 'boolean', default: false, describe: 'Delete the Services no longer routed' }),
  options: (args) => {
    const service = str(args, 'service');
    return { ...readTargetArgs(args), service: service === undefined ? undefined : serviceName(service), deleteOld: bool(args, 'delete-old') };
  },
  run: async (ctx, o) => {
    let kept: [string, string][] = [];
    // Only to know what still routes to an old Service: read before, and only with --delete-old.
    const kube = ctx.kube();
    const routes = o.deleteOld
      ? (
          await Promise.all(
            (['HTTPRoute', 'VirtualService'] as const).map((kind) =>
              optionalList(kube.list<KubeObject>(KINDS[kind], kind, { namespace: kube.namespace })).then((items) => items.map((i) => ({ ...i, kind }))),
            ),
          )
        ).flat()
      : [];
    const { result } = await mutate(ctx, o, { kind: 'finalize', service: o.service, deleteOld: o.deleteOld }, (c, r) => {
      if (!o.deleteOld) return [];
      const { deletes, stillRouted } = oldServices(c, r, routes);
      kept = stillRouted;
      return deletes;
    });
    for (const [svc, user] of kept) ctx.warn(`service/${svc} not deleted: ${user} still routes to it`);
    if (!o.deleteOld && result.plan.released.length)
      ctx.stderr.write(`kept ${result.plan.released.map((s) => `service/${s}`).join(', ')} (delete with --delete-old)\n`);
  },
});

// kubectl bluegreen finalize <target>: the new Service becomes the only backend; weight annotations,
// canary Ingresses, preview rules and zero-weight backends go. --delete-old also deletes the Services
// no longer routed (never without the flag, never one another Ingress still routes to).
import { bool, defineCommand, str } from '../../../shared/cli/command.js';
import { dnsLabel } from '../../../shared/validate.js';
import type { Change } from '../../../shared/kube/plan.js';
import { readTargetArgs, targetFlags } from '../flags.js';
import { pathGroups } from '../ingress-rules.js';
import { mutate, type TargetOptions } from '../mutate.js';
import type { Cluster } from '../observe.js';
import type { BlueGreenPlan } from '../plan.js';

interface Options extends TargetOptions {
  service?: string | undefined;
  deleteOld: boolean;
}

/** The Services finalize --delete-old deletes, and those it keeps because another Ingress routes to them. */
export function oldServices(c: Cluster, r: BlueGreenPlan): { deletes: Change[]; stillRouted: [string, string][] } {
  const gone = new Set(r.changes.filter((x) => x.action === 'delete').map((x) => (x.action === 'delete' ? x.ref.name : '')));
  const others = c.ingresses.filter((i) => i.metadata?.name !== c.target.metadata?.name && !gone.has(i.metadata?.name ?? ''));
  const deletes: Change[] = [];
  const stillRouted: [string, string][] = [];
  for (const name of r.plan.released.filter((s) => c.services.some((x) => x.metadata?.name === s))) {
    const user = others.find((i) => pathGroups(i).some((g) => g.entries.some((e) => e.service === name)));
    if (user) stillRouted.push([name, user.metadata?.name ?? '']);
    else deletes.push({ action: 'delete', ref: { apiVersion: 'v1', kind: 'Service', name, namespace: c.namespace } });
  }
  return { deletes, stillRouted };
}

export const finalizeCommand = defineCommand<Options>({
  command: 'finalize <target>',
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
    return { ...readTargetArgs(args), service: service === undefined ? undefined : dnsLabel(service, 'service name'), deleteOld: bool(args, 'delete-old') };
  },
  run: async (ctx, o) => {
    let kept: [string, string][] = [];
    const { result } = await mutate(ctx, o, { kind: 'finalize', service: o.service, deleteOld: o.deleteOld }, (c, r) => {
      if (!o.deleteOld) return [];
      const { deletes, stillRouted } = oldServices(c, r);
      kept = stillRouted;
      return deletes;
    });
    for (const [svc, ing] of kept) ctx.warn(`service/${svc} not deleted: ingress/${ing} still routes to it`);
    if (!o.deleteOld && result.plan.released.length) ctx.stderr.write(`kept ${result.plan.released.map((s) => `service/${s}`).join(', ')} (delete with --delete-old)\n`);
  },
});

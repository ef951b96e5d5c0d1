// kubectl bluegreen finalize <target>: the new Service becomes the only backend; weight annotations,
// canary Ingresses, preview rules and zero-weight backends go. --delete-old also deletes the Services
// no longer routed (never without the flag).
import { bool, defineCommand, str } from '../../../shared/cli/command.js';
import { dnsLabel } from '../../../shared/validate.js';
import type { Change } from '../../../shared/kube/plan.js';
import { readTargetArgs, targetFlags } from '../flags.js';
import { mutate, type TargetOptions } from '../mutate.js';

interface Options extends TargetOptions {
  service?: string | undefined;
  deleteOld: boolean;
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
    const deletes = (c: { namespace: string; services: { metadata?: { name?: string } }[] }, released: string[]): Change[] =>
      o.deleteOld
        ? released
            .filter((s) => c.services.some((x) => x.metadata?.name === s))
            .map((name) => ({ action: 'delete', ref: { apiVersion: 'v1', kind: 'Service', name, namespace: c.namespace } }) satisfies Change)
        : [];
    const { result } = await mutate(ctx, o, { kind: 'finalize', service: o.service, deleteOld: o.deleteOld }, (c, r) => deletes(c, r.plan.released));
    if (!o.deleteOld && result.plan.released.length) ctx.stderr.write(`kept ${result.plan.released.map((s) => `service/${s}`).join(', ')} (delete with --delete-old)\n`);
  },
});

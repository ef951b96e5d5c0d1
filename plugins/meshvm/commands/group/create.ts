// kubectl meshvm group create <name> --port http=9080: the WorkloadGroup (networking.istio.io/v1)
// that VMs join, the template istiod fills in when a VM auto-registers and that bootstrap reads. What
// `istioctl x workload group create` prints, written to the cluster (or printed with --dry-run=client
// -o yaml), with a readiness probe when asked.
import { isDeepStrictEqual } from 'node:util';
import { defineCommand, requiredStr, strList } from '../../../../shared/cli/command.js';
import { dryRunFlag, readDryRun } from '../../../../shared/cli/flags.js';
import { CliError, UsageError } from '../../../../shared/errors.js';
import type { Kube } from '../../../../shared/kube/client.js';
import type { DryRun } from '../../../../shared/kube/object.js';
import { isManagedBy, markManaged } from '../../../../shared/kube/ownership.js';
import { executePlan, type Change } from '../../../../shared/kube/plan.js';
import { NETWORKING_V1, type WorkloadGroup, type WorkloadProbe } from '../../../../shared/istio/workload.js';
import { changeOutputFlag, printObjects, readChangeOutput, type ChangeFormat } from '../../../../shared/output/change.js';
import { dnsLabel, dnsSubdomain, keyValue, port, qualifiedName } from '../../../../shared/validate.js';
import { findObject, readAll, requireIstiod, requireNamespace } from '../../cluster.js';
import { readWorkloadFlags, workloadFlags, type WorkloadFlags } from '../../flags.js';
import { probeFlags, readProbe } from '../../probe.js';
import { PLUGIN } from '../../register-plan.js';

interface Options extends WorkloadFlags {
  name: string;
  ports: Record<string, number>;
  annotations: Record<string, string>;
  probe?: WorkloadProbe | undefined;
  dryRun: DryRun;
  output: ChangeFormat;
}

export const groupCreateCommand = defineCommand<Options>({
  command: 'create <name>',
  describe: 'Create the WorkloadGroup VMs join (the template of their WorkloadEntries, and what bootstrap reads)',
  examples: [
    ['$0 -n bookinfo group create details --port http=9080 -l app=details --service-account details', 'VMs of details, serving HTTP on 9080'],
    [
      '$0 -n bookinfo group create details --port http=9080 --probe http:9080/health --probe-period 5s',
      'With a readiness probe (health on the auto-registered entries)',
    ],
    ['$0 -n bookinfo group create details --port http=9080 --dry-run=client -o yaml', 'Print it, as istioctl x workload group create does'],
  ],
  builder: (y) =>
    changeOutputFlag(dryRunFlag(probeFlags(workloadFlags(y))))
      .positional('name', { type: 'string', describe: 'The WorkloadGroup' })
      .option('port', { alias: 'p', type: 'string', array: true, describe: "A port the VMs serve, NAME=PORT (repeatable; the name as the Service port's)" })
      .option('annotations', { alias: 'a', type: 'string', array: true, describe: 'Annotation of the workloads, KEY=VALUE (repeatable)' }),
  options: (args) => {
    const ports: Record<string, number> = {};
    for (const raw of strList(args, 'port')) {
      for (const item of raw.split(',').filter(Boolean)) {
        const [n, p] = keyValue(item, '--port');
        dnsLabel(n, '--port name');
        if (ports[n] !== undefined) throw new UsageError(`--port ${n} is given twice`);
        ports[n] = port(p, `--port ${n}`);
      }
    }
    const annotations: Record<string, string> = {};
    for (const raw of strList(args, 'annotations')) {
      const [k, v] = keyValue(raw, '--annotations');
      annotations[qualifiedName(k, '--annotations key')] = v;
    }
    return {
      ...readWorkloadFlags(args),
      name: dnsSubdomain(requiredStr(args, 'name'), 'workload group name'),
      ports,
      annotations,
      probe: readProbe(args),
      dryRun: readDryRun(args),
      output: readChangeOutput(args),
    };
  },
  run: async (ctx, o) => {
    const kube = ctx.kube();
    const namespace = dnsLabel(kube.namespace, 'namespace');
    const existing = await observe(kube, o.name, namespace, o.serviceAccount ?? 'default');
    const labels = Object.keys(o.labels).length ? o.labels : { app: o.name };
    if (!Object.keys(o.labels).length) ctx.stderr.write(`the workloads get the label app=${o.name} (a Service selecting it reaches them; give -l to choose)\n`);
    if (!existing.serviceAccount)
      ctx.warn(
        `serviceaccount ${o.serviceAccount ?? 'default'} does not exist in namespace ${namespace}; bootstrap needs it: kubectl -n ${namespace} create serviceaccount ${o.serviceAccount ?? 'default'}`,
      );
    const desired = markManaged<WorkloadGroup>(
      {
        apiVersion: NETWORKING_V1,
        kind: 'WorkloadGroup',
        metadata: { name: o.name, namespace },
        spec: {
          metadata: { labels, ...(Object.keys(o.annotations).length ? { annotations: o.annotations } : {}) },
          template: {
            ...(Object.keys(o.ports).length ? { ports: o.ports } : {}),
            serviceAccount: o.serviceAccount ?? 'default',
            ...(o.network ? { network: o.network } : {}),
            ...(o.locality ? { locality: o.locality } : {}),
            ...(o.weight ? { weight: o.weight } : {}),
          },
          ...(o.probe ? { probe: o.probe } : {}),
        },
      },
      PLUGIN,
    );
    const changes = planGroup(existing.group, desired, namespace);
    if (o.dryRun === 'client' && o.output !== 'table') return printObjects(ctx, o.output, [desired]);
    if (changes.length === 0) {
      if (o.output !== 'table') return printObjects(ctx, o.output, [existing.group ?? desired]);
      ctx.stdout.write(`workloadgroup.networking.istio.io/${o.name} unchanged\n`);
      return;
    }
    const quiet = o.output !== 'table';
    const results = await executePlan(quiet ? { ...ctx, stdout: { write: () => true } } : ctx, changes, o.dryRun);
    if (quiet)
      await printObjects(
        ctx,
        o.output,
        results.flatMap((r) => (r.object ? [r.object] : [])),
      );
  },
});

/** Create, update our own, or refuse to rewrite someone else's. */
export function planGroup(existing: WorkloadGroup | undefined, desired: WorkloadGroup, namespace: string): Change[] {
  if (!existing) return [{ action: 'apply', object: desired, verb: 'created', undo: `kubectl -n ${namespace} delete workloadgroup ${desired.metadata?.name}` }];
  if (!isManagedBy(existing, PLUGIN))
    throw new CliError(
      `workloadgroup ${desired.metadata?.name} exists in namespace ${namespace} and was not written by kubectl meshvm; edit it yourself (kubectl -n ${namespace} edit workloadgroup ${desired.metadata?.name}) or choose another name`,
    );
  if (isDeepStrictEqual(existing.spec ?? {}, desired.spec)) return [];
  return [{ action: 'apply', object: desired, verb: 'configured' }];
}

async function observe(kube: Kube, name: string, namespace: string, serviceAccount: string) {
  const [, , group, sa] = await readAll([
    requireNamespace(kube, namespace),
    requireIstiod(kube, namespace),
    findObject<WorkloadGroup>(kube, { apiVersion: NETWORKING_V1, kind: 'WorkloadGroup', name, namespace }),
    kube.find({ apiVersion: 'v1', kind: 'ServiceAccount', name: serviceAccount, namespace }),
  ] as const);
  return { group, serviceAccount: Boolean(sa) };
}

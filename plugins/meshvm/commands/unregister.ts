// kubectl meshvm unregister <service> <ip>: take a VM out from behind a service (what `istioctl
// deregister` did). The Service or ServiceEntry that register created goes too once nothing else is
// behind it. A second run finds nothing to do and says so.
import { defineCommand, requiredStr } from '../../../shared/cli/command.js';
import { dryRunFlag, readDryRun } from '../../../shared/cli/flags.js';
import type { Kube } from '../../../shared/kube/client.js';
import type { DryRun, KubeObject } from '../../../shared/kube/object.js';
import { executePlan } from '../../../shared/kube/plan.js';
import { appliedObjects, changeOutputFlag, printChange, readChangeOutput, workContext, type ChangeFormat } from '../../../shared/output/change.js';
import { NETWORKING_V1, type ServiceEntry, type WorkloadEntry } from '../../../shared/istio/workload.js';
import { dnsLabel, serviceName, unicastAddress } from '../../../shared/validate.js';
import { istioMissing, readAll, requireNamespace } from '../cluster.js';
import { planUnregister, type UnregisterObserved } from '../unregister-plan.js';
import { isManagedBy } from '../../../shared/kube/ownership.js';
import { PLUGIN, vmObjectName } from '../register-plan.js';
import type { EndpointSlice, Service } from '../../../shared/kube/types.js';

interface Options {
  service: string;
  address: string;
  dryRun: DryRun;
  output: ChangeFormat;
}

export const unregisterCommand = defineCommand<Options>({
  command: 'unregister <service> <ip>',
  describe: 'Take a VM out from behind a service (the Service goes too when register created it and nothing else is behind it)',
  examples: [
    ['$0 -n bookinfo unregister details 192.0.2.10', 'The VM no longer answers for details'],
    ['$0 -n bookinfo unregister details 192.0.2.10 --dry-run=client', 'What would be deleted'],
    ['$0 -n bookinfo unregister details 192.0.2.10 -o name', 'The names of the objects deleted'],
  ],
  builder: (y) =>
    dryRunFlag(changeOutputFlag(y))
      .positional('service', { type: 'string', describe: 'The service the VM was registered under' })
      .positional('ip', { type: 'string', describe: "The VM's address" }),
  options: (args) => ({
    service: serviceName(requiredStr(args, 'service')),
    address: unicastAddress(requiredStr(args, 'ip'), 'VM address').address,
    dryRun: readDryRun(args),
    output: readChangeOutput(args),
  }),
  run: async (out, o) => {
    const ctx = workContext(out, o.output);
    const kube = ctx.kube();
    const namespace = dnsLabel(kube.namespace, 'namespace');
    const r = { ...o, namespace };
    const plan = planUnregister(r, await observe(kube, r));
    const fields = { service: o.service, namespace, address: o.address };
    if (plan.changes.length === 0) {
      const line = `nothing to unregister: no VM at ${o.address} is registered for service ${o.service} in namespace ${namespace}`;
      return printChange(out, o.output, { kind: 'VMUnregistration', fields, dryRun: o.dryRun, objects: [], lines: [line] });
    }
    const results = await executePlan(ctx, plan.changes, o.dryRun);
    for (const k of plan.kept) ctx.stderr.write(`${k}\n`);
    await printChange(out, o.output, { kind: 'VMUnregistration', fields, dryRun: o.dryRun, objects: appliedObjects(results) });
  },
});

/** An Istio kind the cluster does not serve holds nothing to unregister. */
function absentIfNoIstio<T>(p: Promise<T | undefined>, ref: { apiVersion: string; kind: string }): Promise<T | undefined> {
  return p.catch((err: unknown) => {
    if (istioMissing(err, ref)) return undefined;
    throw err;
  });
}

async function observe(kube: Kube, r: { service: string; namespace: string; address: string }): Promise<UnregisterObserved> {
  const ns = r.namespace;
  const name = vmObjectName(r.service, r.address);
  const we = { apiVersion: NETWORKING_V1, kind: 'WorkloadEntry' };
  const se = { apiVersion: NETWORKING_V1, kind: 'ServiceEntry' };
  const [, service, serviceEntry, entry, slice] = await readAll([
    requireNamespace(kube, ns),
    kube.find<Service>({ apiVersion: 'v1', kind: 'Service', name: r.service, namespace: ns }),
    absentIfNoIstio(kube.find<ServiceEntry>({ ...se, name: r.service, namespace: ns }), se),
    absentIfNoIstio(kube.find<WorkloadEntry>({ ...we, name, namespace: ns }), we),
    kube.find<EndpointSlice>({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', name, namespace: ns }),
  ] as const);
  // What else is behind the service matters only when the service's object is ours to delete.
  const ours = [service, serviceEntry].some((x) => x && isManagedBy(x, PLUGIN));
  const selector = (service && isManagedBy(service, PLUGIN) ? service.spec?.selector : undefined) ?? serviceEntry?.spec?.workloadSelector?.labels ?? {};
  const podSelector = Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const [otherEntries, pods, slices] =
    ours && (entry || slice)
      ? await readAll([
          entry ? kube.list<WorkloadEntry>(we.apiVersion, we.kind, { namespace: ns }) : Promise.resolve([] as WorkloadEntry[]),
          entry && podSelector ? kube.list<KubeObject>('v1', 'Pod', { namespace: ns, labelSelector: podSelector }) : Promise.resolve([] as KubeObject[]),
          slice
            ? kube.list<EndpointSlice>('discovery.k8s.io/v1', 'EndpointSlice', { namespace: ns, labelSelector: `kubernetes.io/service-name=${r.service}` })
            : Promise.resolve([] as EndpointSlice[]),
        ] as const)
      : [[], [], []];
  return { service, serviceEntry, entry, slice, otherEntries, pods, slices };
}

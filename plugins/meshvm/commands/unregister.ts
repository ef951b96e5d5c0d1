// kubectl meshvm unregister <service> <ip>: take a VM out from behind a service (what `istioctl
// deregister` did). The Service or ServiceEntry that register created goes too once nothing else is
// behind it. A second run finds nothing to do and says so.
import { defineCommand, requiredStr } from '../../../shared/cli/command.js';
import { dryRunFlag, readDryRun } from '../../../shared/cli/flags.js';
import type { DryRun, Kube, KubeObject } from '../../../shared/kube/client.js';
import { executePlan } from '../../../shared/kube/plan.js';
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
}

export const unregisterCommand = defineCommand<Options>({
  command: 'unregister <service> <ip>',
  describe: 'Take a VM out from behind a service (the Service goes too when register created it and nothing else is behind it)',
  examples: [
    ['$0 -n bookinfo unregister details 192.0.2.10', 'The VM no longer answers for details'],
    ['$0 -n bookinfo unregister details 192.0.2.10 --dry-run=client', 'What would be deleted'],
  ],
  builder: (y) =>
    dryRunFlag(y)
      .positional('service', { type: 'string', describe: 'The service the VM was registered under' })
      .positional('ip', { type: 'string', describe: "The VM's address" }),
  options: (args) => ({
    service: serviceName(requiredStr(args, 'service')),
    address: unicastAddress(requiredStr(args, 'ip'), 'VM address').address,
    dryRun: readDryRun(args),
  }),
  run: async (ctx, o) => {
    const kube = ctx.kube();
    const namespace = dnsLabel(kube.namespace, 'namespace');
    const r = { ...o, namespace };
    const plan = planUnregister(r, await observe(kube, r));
    if (plan.changes.length === 0) {
      ctx.stdout.write(`nothing to unregister: no VM at ${o.address} is registered for service ${o.service} in namespace ${namespace}\n`);
      return;
    }
    await executePlan(ctx, plan.changes, o.dryRun);
    for (const k of plan.kept) ctx.stderr.write(`${k}\n`);
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

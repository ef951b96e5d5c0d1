// kubectl meshvm register <service> <ip> [name:]port...: put a VM behind a service name of the mesh,
// what `istioctl register` did before Istio 1.9 removed it, in today's shape: a WorkloadEntry for the
// VM and the Kubernetes Service that selects it (created when missing; an existing one is matched).
// --mode serviceentry: a MESH_INTERNAL ServiceEntry selecting the entry instead; --mode legacy: the
// pre-1.9 shape (a selector-less Service and an EndpointSlice). Reads five objects, writes at most two.
import { defineCommand, requiredStr, str, strList } from '../../../shared/cli/command.js';
import { dryRunFlag, readDryRun } from '../../../shared/cli/flags.js';
import { UsageError } from '../../../shared/errors.js';
import { type Kube } from '../../../shared/kube/client.js';
import { type DryRun, type KubeObject } from '../../../shared/kube/object.js';
import { executePlan } from '../../../shared/kube/plan.js';
import { NETWORKING_V1, type ServiceEntry, type WorkloadEntry } from '../../../shared/istio/workload.js';
import { objectName } from '../../../shared/output/names.js';
import { changeOutputFlag, printObjects, readChangeOutput, type ChangeFormat } from '../../../shared/output/change.js';
import { dnsLabel, dnsSubdomain, serviceName, unicastAddress } from '../../../shared/validate.js';
import { findObject, readAll, requireIstiod, requireNamespace } from '../cluster.js';
import { readWorkloadFlags, workloadFlags, type WorkloadFlags } from '../flags.js';
import { checkDistinct, parsePortArg, type PortArg } from '../ports.js';
import { planRegister, REGISTER_MODES, vmObjectName, type RegisterMode, type RegisterObserved, type RegisterRequest } from '../register-plan.js';
import type { EndpointSlice, Service } from '../../../shared/kube/types.js';

interface Options extends WorkloadFlags {
  service: string;
  address: string;
  family: 4 | 6;
  ports: PortArg[];
  mode: RegisterMode;
  host?: string | undefined;
  dryRun: DryRun;
  output: ChangeFormat;
}

export const registerCommand = defineCommand<Options>({
  command: 'register <service> <ip> <ports..>',
  describe: 'Put a VM behind a service of the mesh: a WorkloadEntry for it and the Service that selects it',
  examples: [
    ['$0 -n bookinfo register details 192.168.3.202 http:9080', 'details.bookinfo.svc.cluster.local answered by the VM on 9080'],
    ['$0 -n bookinfo register mysqldb 192.0.2.10 3306', 'A port without a name: 3306 is named mysql, as istioctl register named it'],
    ['$0 -n bookinfo register details 192.0.2.11 http:9080', 'A second VM behind the same Service'],
    ['$0 -n bookinfo register details 2001:db8::7 http:9080 --network vm-net', 'An IPv6 VM on a network of its own'],
    ['$0 -n bookinfo register details 192.168.3.202 http:9080 --mode serviceentry', 'A ServiceEntry selecting the VM instead of a Kubernetes Service'],
    ['$0 -n bookinfo register details 192.168.3.202 http:9080 --dry-run=client', 'Print the objects instead of writing them'],
  ],
  builder: (y) =>
    changeOutputFlag(dryRunFlag(workloadFlags(y)))
      .positional('service', { type: 'string', describe: 'The service name clients use (a Kubernetes Service name)' })
      .positional('ip', { type: 'string', describe: "The VM's address (IPv4 or IPv6)" })
      .positional('ports', { type: 'string', array: true, describe: '[name:]port: a port the VM serves, with the Service port name (guessed when left out)' })
      .option('mode', {
        type: 'string',
        choices: [...REGISTER_MODES],
        default: 'service',
        describe: 'What routes to the VM: a Kubernetes Service (default), a ServiceEntry, or the pre-1.9 selector-less Service with an EndpointSlice',
      })
      .option('host', { type: 'string', describe: 'With --mode serviceentry: the host clients use (default <service>.<namespace>.svc.cluster.local)' }),
  options: (args) => {
    const ports = strList(args, 'ports').map(parsePortArg);
    checkDistinct(ports);
    const { address, family } = unicastAddress(requiredStr(args, 'ip'), 'VM address');
    const mode = (str(args, 'mode') ?? 'service') as RegisterMode;
    const host = str(args, 'host');
    const workload = readWorkloadFlags(args);
    if (host !== undefined && mode !== 'serviceentry') throw new UsageError('--host applies to --mode serviceentry only');
    if (mode === 'legacy') {
      const given = (['labels', 'serviceAccount', 'network', 'locality', 'weight'] as const).filter((k) =>
        k === 'labels' ? Object.keys(workload.labels).length > 0 : workload[k] !== undefined,
      );
      if (given.length)
        throw new UsageError(
          `--${given.map((g) => (g === 'labels' ? 'labels' : g.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`))).join(', --')} describe a WorkloadEntry; --mode legacy writes an EndpointSlice, which has none of them`,
        );
    }
    return {
      ...workload,
      service: serviceName(requiredStr(args, 'service')),
      address,
      family,
      ports,
      mode,
      host: host === undefined ? undefined : dnsSubdomain(host, '--host'),
      dryRun: readDryRun(args),
      output: readChangeOutput(args),
    };
  },
  run: async (ctx, o) => {
    const kube = ctx.kube();
    const namespace = dnsLabel(kube.namespace, 'namespace');
    const req: RegisterRequest = { ...o, namespace };
    const observed = await observe(kube, req);
    const plan = planRegister(req, observed.objects);
    for (const n of plan.notes) ctx.stderr.write(`${n}\n`);
    if (!observed.serviceAccount && o.mode !== 'legacy')
      ctx.warn(
        `serviceaccount ${req.serviceAccount ?? 'default'} does not exist in namespace ${namespace}; the VM's identity needs it: kubectl -n ${namespace} create serviceaccount ${req.serviceAccount ?? 'default'}`,
      );
    if (o.output !== 'table' && o.dryRun === 'client') {
      await printObjects(ctx, o.output, plan.changes.map((c) => (c.action === 'apply' || c.action === 'create' ? c.object : undefined)).filter(isObject));
      return;
    }
    const quiet = o.output !== 'table';
    const results = plan.changes.length ? await executePlan(quiet ? { ...ctx, stdout: { write: () => true } } : ctx, plan.changes, o.dryRun) : [];
    const written = new Set(plan.changes.map((c) => (c.action === 'apply' || c.action === 'create' ? objectKey(c.object) : '')));
    const unchanged = [observed.objects.service, observed.objects.serviceEntry, observed.objects.entry, observed.objects.slice]
      .filter(isObject)
      .filter((x) => !written.has(objectKey(x)) && isPart(x, req, plan.name));
    if (quiet) {
      const objects = [...results.map((r) => r.object).filter(isObject), ...unchanged];
      await printObjects(ctx, o.output, objects);
      return;
    }
    for (const x of unchanged) ctx.stdout.write(`${objectName(x.apiVersion ?? '', x.kind ?? '', x.metadata?.name ?? '')} unchanged\n`);
    const verb = o.dryRun === 'none' ? 'reaches' : 'would reach';
    const ports = plan.ports.map((p) => (p.servicePort === p.vmPort ? `${p.name} ${p.vmPort}` : `${p.name} ${p.servicePort}->${p.vmPort}`)).join(', ');
    ctx.stdout.write(`${plan.host} ${verb} ${req.address} (${ports})\n`);
  },
});

function isObject(x: KubeObject | undefined): x is KubeObject {
  return x !== undefined;
}

function objectKey(x: KubeObject): string {
  return `${x.kind}/${x.metadata?.name}`;
}

/** The objects of this registration: the VM's own and the service's (in the mode used). */
function isPart(x: KubeObject, r: RegisterRequest, name: string): boolean {
  if (x.metadata?.name === name) return true;
  return r.mode === 'serviceentry' ? x.kind === 'ServiceEntry' : x.kind === 'Service';
}

interface Observed {
  objects: RegisterObserved;
  serviceAccount: boolean;
}

/** The reads register needs, all at once: namespace, istiod, the service's object, the VM's object, the identity. */
async function observe(kube: Kube, r: RegisterRequest): Promise<Observed> {
  const name = vmObjectName(r.service, r.address);
  const ns = r.namespace;
  const none = Promise.resolve(undefined);
  const legacy = r.mode === 'legacy';
  const [, , service, serviceEntry, entry, slice, sa] = await readAll([
    requireNamespace(kube, ns),
    legacy ? none : requireIstiod(kube, ns),
    kube.find<Service>({ apiVersion: 'v1', kind: 'Service', name: r.service, namespace: ns }),
    r.mode === 'serviceentry' ? findObject<ServiceEntry>(kube, { apiVersion: NETWORKING_V1, kind: 'ServiceEntry', name: r.service, namespace: ns }) : none,
    legacy ? none : findObject<WorkloadEntry>(kube, { apiVersion: NETWORKING_V1, kind: 'WorkloadEntry', name, namespace: ns }),
    legacy ? kube.find<EndpointSlice>({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', name, namespace: ns }) : none,
    legacy ? none : kube.find({ apiVersion: 'v1', kind: 'ServiceAccount', name: r.serviceAccount ?? 'default', namespace: ns }),
  ] as const);
  return { objects: { service, serviceEntry, entry, slice }, serviceAccount: Boolean(sa) };
}

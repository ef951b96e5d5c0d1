// `register` decided from what the cluster holds: the per-VM object (a WorkloadEntry, or an
// EndpointSlice in legacy mode) and the per-service object that routes to it (a Kubernetes Service
// selecting the entry by its labels, a MESH_INTERNAL ServiceEntry with a workloadSelector, or a
// selector-less Service). Objects that already say the same are left alone, so a second run writes
// nothing; objects that are not ours are matched, never rewritten. Pure.
import { isDeepStrictEqual } from 'node:util';
import { CliError } from '../../shared/errors.js';
import { isManagedBy, markManaged } from '../../shared/kube/ownership.js';
import type { Change } from '../../shared/kube/plan.js';
import { portProtocol } from '../../shared/istio/protocol.js';
import {
  AUTO_REGISTRATION_GROUP,
  NETWORKING_V1,
  addressForName,
  type ServiceEntry,
  type WorkloadEntry,
  type WorkloadEntrySpec,
} from '../../shared/istio/workload.js';
import { resolvePorts, type PortArg, type PortResolution, type ResolvedPort, type RoutedPort } from './ports.js';
import type { EndpointSlice, Service, ServicePort } from '../../shared/kube/types.js';

export const REGISTER_MODES = ['service', 'serviceentry', 'legacy'] as const;
export type RegisterMode = (typeof REGISTER_MODES)[number];

export interface RegisterRequest {
  service: string;
  namespace: string;
  address: string;
  family: 4 | 6;
  ports: PortArg[];
  /** -l: labels of the WorkloadEntry (beyond what the Service selects). */
  labels: Record<string, string>;
  serviceAccount?: string | undefined;
  network?: string | undefined;
  locality?: string | undefined;
  weight?: number | undefined;
  mode: RegisterMode;
  /** serviceentry mode: the host clients use (default <service>.<namespace>.svc.cluster.local). */
  host?: string | undefined;
}

export interface RegisterObserved {
  service?: Service | undefined;
  serviceEntry?: ServiceEntry | undefined;
  entry?: WorkloadEntry | undefined;
  slice?: EndpointSlice | undefined;
}

export interface RegisterPlan {
  /** The per-VM object's name: <service>-<address> (':' as '-'). */
  name: string;
  changes: Change[];
  ports: ResolvedPort[];
  notes: string[];
  /** Where clients reach the VM. */
  host: string;
}

export const PLUGIN = 'meshvm';
/** Labels EndpointSlices carry (discovery.k8s.io). */
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const SLICE_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';

export function vmObjectName(service: string, address: string): string {
  return `${service}-${addressForName(address)}`;
}

export function defaultHost(service: string, namespace: string): string {
  return `${service}.${namespace}.svc.cluster.local`;
}

const ns = (r: RegisterRequest) => `-n ${r.namespace}`;

function servicePorts(svc: Service): RoutedPort[] {
  return (svc.spec?.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, target: p.targetPort }));
}

function addPortHint(r: RegisterRequest, kind: string, name: string) {
  return (p: RoutedPort) =>
    `add it (kubectl ${ns(r)} patch ${kind} ${name} --type=json -p '[{"op":"add","path":"/spec/ports/-","value":{"name":"${p.name}","port":${p.port}}}]') or register only the ports it has`;
}

/** Labels the entry needs so the selector selects it, plus the user's; a user label that contradicts the selector is refused. */
function entryLabels(r: RegisterRequest, selector: Record<string, string>, what: string): Record<string, string> {
  for (const [k, v] of Object.entries(r.labels)) {
    if (selector[k] !== undefined && selector[k] !== v)
      throw new CliError(`label ${k}=${v} contradicts the selector of ${what} (${k}=${selector[k]}), which would then not select the VM; leave it out`);
  }
  return { ...selector, ...r.labels };
}

/** The WorkloadEntry as we write it: spec fields only when set, labels on the object too (as istiod's own entries). */
function desiredEntry(r: RegisterRequest, name: string, labels: Record<string, string>, ports: ResolvedPort[]): WorkloadEntry {
  const spec: WorkloadEntrySpec = {
    address: r.address,
    labels,
    ports: Object.fromEntries(ports.map((p) => [p.key, p.vmPort])),
    serviceAccount: r.serviceAccount ?? 'default',
    ...(r.network ? { network: r.network } : {}),
    ...(r.locality ? { locality: r.locality } : {}),
    ...(r.weight ? { weight: r.weight } : {}),
  };
  return markManaged({ apiVersion: NETWORKING_V1, kind: 'WorkloadEntry', metadata: { name, namespace: r.namespace, labels }, spec }, PLUGIN);
}

/** The entry's change: none when it already says the same; refused when the entry is not ours. */
function entryChange(r: RegisterRequest, existing: WorkloadEntry | undefined, desired: WorkloadEntry): Change[] {
  const name = desired.metadata?.name ?? '';
  if (existing && !isManagedBy(existing, PLUGIN)) {
    const group = existing.metadata?.annotations?.[AUTO_REGISTRATION_GROUP];
    throw new CliError(
      group
        ? `workloadentry ${name} ${ns(r)} was auto-registered by WorkloadGroup ${group}: the VM at ${r.address} is in the mesh already; unregister it there, or leave it`
        : `workloadentry ${name} ${ns(r)} exists and was not written by kubectl meshvm; remove it first (kubectl ${ns(r)} delete workloadentry ${name}) or leave it`,
    );
  }
  if (existing && isDeepStrictEqual(existing.spec ?? {}, desired.spec) && isDeepStrictEqual(existing.metadata?.labels ?? {}, desired.metadata?.labels ?? {}))
    return [];
  return [
    {
      action: 'apply',
      object: desired,
      verb: existing ? 'configured' : 'created',
      undo: existing ? undefined : `kubectl ${ns(r)} delete workloadentry ${name}`,
    },
  ];
}

function toServicePorts(ports: ResolvedPort[]): ServicePort[] {
  return ports.map((p) => ({ name: p.name, port: p.servicePort, targetPort: p.vmPort, protocol: 'TCP' }));
}

/** Ports of our own Service after adding the missing ones (existing entries unchanged, new ones appended). */
function withAdded(existing: ServicePort[], resolution: PortResolution): ServicePort[] {
  return [...existing, ...resolution.added.map((a) => ({ name: a.name, port: a.port, targetPort: a.port, protocol: 'TCP' }))];
}

function serviceObject(r: RegisterRequest, selector: Record<string, string> | undefined, ports: ServicePort[]): Service {
  return markManaged(
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: r.service, namespace: r.namespace },
      spec: { ...(selector ? { selector } : {}), ports },
    },
    PLUGIN,
  );
}

function planServiceMode(r: RegisterRequest, o: RegisterObserved, name: string): RegisterPlan {
  const svc = o.service;
  const what = `service/${r.service}`;
  const changes: Change[] = [];
  let selector: Record<string, string>;
  let resolution: PortResolution;
  if (!svc) {
    selector = { app: r.labels['app'] ?? r.service };
    resolution = resolvePorts(r.ports, undefined, { what, canAdd: true, addHint: () => '' });
    changes.push({
      action: 'apply',
      object: serviceObject(r, selector, toServicePorts(resolution.ports)),
      verb: 'created',
      undo: `kubectl ${ns(r)} delete service ${r.service}`,
    });
  } else {
    selector = svc.spec?.selector ?? {};
    if (Object.keys(selector).length === 0)
      throw new CliError(
        `${what} ${ns(r)} has no selector (its endpoints are listed by hand, as istioctl register did), so it cannot select a WorkloadEntry; register with --mode legacy, or give it a selector first`,
      );
    const ours = isManagedBy(svc, PLUGIN);
    resolution = resolvePorts(r.ports, servicePorts(svc), { what, canAdd: ours, addHint: addPortHint(r, 'service', r.service) });
    if (resolution.added.length)
      changes.push({ action: 'apply', object: serviceObject(r, selector, withAdded(svc.spec?.ports ?? [], resolution)), verb: 'configured' });
  }
  const labels = entryLabels(r, selector, what);
  changes.push(...entryChange(r, o.entry, desiredEntry(r, name, labels, resolution.ports)));
  return { name, changes, ports: resolution.ports, notes: resolution.notes, host: defaultHost(r.service, r.namespace) };
}

function planServiceEntryMode(r: RegisterRequest, o: RegisterObserved, name: string): RegisterPlan {
  const host = r.host ?? defaultHost(r.service, r.namespace);
  const what = `serviceentry/${r.service}`;
  if (o.service && host === defaultHost(r.service, r.namespace))
    throw new CliError(
      `service/${r.service} ${ns(r)} exists, and a ServiceEntry for ${host} would compete with it for that name; register without --mode serviceentry to use the Service, or give the ServiceEntry another --host`,
    );
  const se = o.serviceEntry;
  const changes: Change[] = [];
  let selector: Record<string, string>;
  let resolution: PortResolution;
  const sePorts = (ports: { name: string; port: number }[]) =>
    ports.map((p) => {
      const protocol = portProtocol({ name: p.name, port: p.port }).protocol;
      return { number: p.port, name: p.name, ...(protocol ? { protocol } : {}) };
    });
  const object = (selectorLabels: Record<string, string>, ports: ReturnType<typeof sePorts>, hosts: string[]): ServiceEntry =>
    markManaged(
      {
        apiVersion: NETWORKING_V1,
        kind: 'ServiceEntry',
        metadata: { name: r.service, namespace: r.namespace },
        spec: { hosts, location: 'MESH_INTERNAL', resolution: 'STATIC', ports, workloadSelector: { labels: selectorLabels } },
      },
      PLUGIN,
    );
  if (!se) {
    selector = { app: r.labels['app'] ?? r.service };
    resolution = resolvePorts(r.ports, undefined, { what, canAdd: true, addHint: () => '' });
    changes.push({
      action: 'apply',
      object: object(selector, sePorts(resolution.ports.map((p) => ({ name: p.name, port: p.servicePort }))), [host]),
      verb: 'created',
      undo: `kubectl ${ns(r)} delete serviceentry ${r.service}`,
    });
  } else {
    selector = se.spec?.workloadSelector?.labels ?? {};
    if (Object.keys(selector).length === 0 || se.spec?.endpoints?.length)
      throw new CliError(
        `${what} ${ns(r)} lists its endpoints itself (no workloadSelector), so it cannot select a WorkloadEntry; add the VM to its endpoints, or use another service name`,
      );
    if (!(se.spec?.hosts ?? []).includes(host))
      throw new CliError(`${what} ${ns(r)} is for ${(se.spec?.hosts ?? []).join(', ')}, not ${host}; give --host ${se.spec?.hosts?.[0] ?? host}`);
    const ours = isManagedBy(se, PLUGIN);
    const existing = (se.spec?.ports ?? []).map((p) => ({ name: p.name, port: p.number, target: p.targetPort }));
    resolution = resolvePorts(r.ports, existing, { what, canAdd: ours, addHint: addPortHint(r, 'serviceentry', r.service) });
    if (resolution.added.length)
      changes.push({
        action: 'apply',
        object: object(selector, [...(se.spec?.ports ?? []), ...sePorts(resolution.added)], se.spec?.hosts ?? [host]),
        verb: 'configured',
      });
  }
  const labels = entryLabels(r, selector, what);
  changes.push(...entryChange(r, o.entry, desiredEntry(r, name, labels, resolution.ports)));
  return { name, changes, ports: resolution.ports, notes: resolution.notes, host };
}

function planLegacyMode(r: RegisterRequest, o: RegisterObserved, name: string): RegisterPlan {
  const svc = o.service;
  const what = `service/${r.service}`;
  const changes: Change[] = [];
  let resolution: PortResolution;
  if (!svc) {
    resolution = resolvePorts(r.ports, undefined, { what, canAdd: true, addHint: () => '' });
    changes.push({
      action: 'apply',
      object: serviceObject(r, undefined, toServicePorts(resolution.ports)),
      verb: 'created',
      undo: `kubectl ${ns(r)} delete service ${r.service}`,
    });
  } else {
    if (Object.keys(svc.spec?.selector ?? {}).length > 0)
      throw new CliError(
        `${what} ${ns(r)} has a selector, so Kubernetes lists its endpoints and an EndpointSlice written by hand would fight it; register without --mode legacy (a WorkloadEntry it selects)`,
      );
    resolution = resolvePorts(r.ports, servicePorts(svc), { what, canAdd: isManagedBy(svc, PLUGIN), addHint: addPortHint(r, 'service', r.service) });
    if (resolution.added.length)
      changes.push({ action: 'apply', object: serviceObject(r, undefined, withAdded(svc.spec?.ports ?? [], resolution)), verb: 'configured' });
  }
  const slice: EndpointSlice = markManaged(
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name, namespace: r.namespace, labels: { [SERVICE_NAME_LABEL]: r.service, [SLICE_MANAGED_BY]: 'kubectl-meshvm' } },
      addressType: r.family === 4 ? 'IPv4' : 'IPv6',
      endpoints: [{ addresses: [r.address], conditions: { ready: true } }],
      ports: resolution.ports.map((p) => ({ name: p.name, port: p.vmPort, protocol: 'TCP' })),
    },
    PLUGIN,
  );
  if (o.slice && !isManagedBy(o.slice, PLUGIN))
    throw new CliError(`endpointslice ${name} ${ns(r)} exists and was not written by kubectl meshvm; remove it first or leave it`);
  const same =
    o.slice &&
    isDeepStrictEqual(
      [o.slice.addressType, o.slice.endpoints, o.slice.ports, o.slice.metadata?.labels],
      [slice.addressType, slice.endpoints, slice.ports, slice.metadata?.labels],
    );
  if (!same)
    changes.push({
      action: 'apply',
      object: slice,
      verb: o.slice ? 'configured' : 'created',
      undo: o.slice ? undefined : `kubectl ${ns(r)} delete endpointslice ${name}`,
    });
  return { name, changes, ports: resolution.ports, notes: resolution.notes, host: defaultHost(r.service, r.namespace) };
}

export function planRegister(r: RegisterRequest, o: RegisterObserved): RegisterPlan {
  const name = vmObjectName(r.service, r.address);
  switch (r.mode) {
    case 'service':
      return planServiceMode(r, o, name);
    case 'serviceentry':
      return planServiceEntryMode(r, o, name);
    case 'legacy':
      return planLegacyMode(r, o, name);
  }
}

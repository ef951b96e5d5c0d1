// Istio's objects for workloads outside Kubernetes (networking.istio.io/v1 WorkloadEntry, WorkloadGroup,
// ServiceEntry), the fields the plugins read and write, and the rules istiod applies to them: how a
// Service selects a WorkloadEntry (labels, same namespace), how auto-registration names its entries.
import type { KubeObject } from '../kube/object.js';

export const NETWORKING_V1 = 'networking.istio.io/v1';

/** istio.io/api networking/v1alpha3 WorkloadEntry (the spec; the template of a WorkloadGroup too). */
export interface WorkloadEntrySpec {
  address?: string;
  /** Service port name (or a Service targetPort name) -> the port the workload listens on. */
  ports?: Record<string, number>;
  labels?: Record<string, string>;
  network?: string;
  locality?: string;
  weight?: number;
  serviceAccount?: string;
}

export interface IstioCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

export interface WorkloadEntry extends KubeObject {
  spec?: WorkloadEntrySpec;
  status?: { conditions?: IstioCondition[] };
}

/** A readiness probe as WorkloadGroup.probe holds it (the fields people set). */
export interface WorkloadProbe {
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  httpGet?: { path?: string; port: number; host?: string; scheme?: string; httpHeaders?: { name: string; value: string }[] };
  tcpSocket?: { host?: string; port: number };
  grpc?: { port: number; service?: string };
  exec?: { command: string[] };
}

export interface WorkloadGroup extends KubeObject {
  spec?: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    template?: WorkloadEntrySpec;
    probe?: WorkloadProbe;
  };
}

export interface ServiceEntryPort {
  number: number;
  protocol?: string;
  name: string;
  targetPort?: number;
}

export interface ServiceEntry extends KubeObject {
  spec?: {
    hosts?: string[];
    addresses?: string[];
    ports?: ServiceEntryPort[];
    location?: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
    resolution?: 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';
    endpoints?: WorkloadEntrySpec[];
    workloadSelector?: { labels?: Record<string, string> };
    exportTo?: string[];
  };
}

/** Annotations istiod puts on the WorkloadEntries it creates for a WorkloadGroup (pilot/pkg/autoregistration). */
export const AUTO_REGISTRATION_GROUP = 'istio.io/autoRegistrationGroup';
export const HEALTH_CHECKS_ENABLED = 'proxy.istio.io/health-checks-enabled';
/** ProxyConfig overrides on a WorkloadGroup (or a pod), merged into the VM's mesh.yaml. */
export const PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';

/** An IP address as it can appear in an object name: IPv6's ':' become '-' (Istio's sanitizeIP). */
export function addressForName(address: string): string {
  return address.replace(/:/g, '-');
}

/** The name istiod gives an auto-registered WorkloadEntry: <group>-<ip>[-<network>], the last 253 characters. */
export function autoRegisteredName(group: string, address: string, network?: string): string {
  const name = [group, addressForName(address), ...(network ? [network] : [])].join('-');
  return name.length > 253 ? name.slice(name.length - 253) : name;
}

/** A label selector given as a map selects an object when it has every key with that value; an empty one selects nothing. */
export function selectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels?.[k] === v);
}

/** The Healthy condition istiod keeps on health-checked (auto-registered) WorkloadEntries, if any. */
export function healthCondition(we: WorkloadEntry): IstioCondition | undefined {
  return we.status?.conditions?.find((c) => c.type === 'Healthy');
}

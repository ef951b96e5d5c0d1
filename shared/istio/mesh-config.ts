// Istio's mesh config (istio.io/api mesh/v1alpha1 MeshConfig) as the ConfigMap `istio` (or
// `istio-<revision>`) carries it under the key `mesh`: the shapes and rules the plugins need, the
// defaults istiod applies, and who manages the ConfigMap. Every field we do not know is kept as it is.
import yaml from 'js-yaml';
import { ValidationError } from '../errors.js';

export const MESH_CONFIG_KEY = 'mesh';
/** istiod's defaults (pkg/config/mesh DefaultMeshConfig, pilot/pkg/features PILOT_TRACE_SAMPLING). */
export const MESH_DEFAULTS = { rootNamespace: 'istio-system', enableTracing: true, traceSampling: 1 } as const;

/** The tracing providers of MeshConfig.ExtensionProvider (a oneof: one key per provider). */
export const TRACING_PROVIDER_KINDS = ['zipkin', 'opentelemetry', 'datadog', 'skywalking', 'lightstep', 'stackdriver', 'opencensus'] as const;
export type TracingProviderKind = (typeof TRACING_PROVIDER_KINDS)[number];

export interface HostPort {
  service: string;
  port: number;
  [field: string]: unknown;
}

export interface ExtensionProvider {
  name: string;
  zipkin?: HostPort & { path?: string; maxTagLength?: number; enable64bitTraceId?: boolean; traceContextOption?: string };
  opentelemetry?: HostPort & { http?: { path?: string; timeout?: string; headers?: unknown[] }; grpc?: Record<string, unknown> };
  [provider: string]: unknown;
}

/** ProxyConfig (meshConfig.defaultConfig, and the pod annotation proxy.istio.io/config): the tracing part. */
export interface ProxyConfig {
  tracing?: {
    sampling?: number;
    zipkin?: { address?: string };
    datadog?: { address?: string };
    lightstep?: { address?: string };
    stackdriver?: Record<string, unknown>;
    openCensusAgent?: { address?: string };
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

export interface MeshConfig {
  rootNamespace?: string;
  enableTracing?: boolean;
  defaultConfig?: ProxyConfig;
  defaultProviders?: { tracing?: string[]; metrics?: string[]; accessLogging?: string[]; [k: string]: unknown };
  extensionProviders?: ExtensionProvider[];
  [field: string]: unknown;
}

/** The ConfigMap a revision's istiod reads (pilot/pkg/bootstrap getMeshConfigMapName). */
export function meshConfigMapName(revision?: string): string {
  return !revision || revision === 'default' ? 'istio' : `istio-${revision}`;
}

export function parseMeshConfig(text: string | undefined, where: string): MeshConfig {
  if (text === undefined || text.trim() === '') return {};
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    throw new ValidationError(`${where}: the mesh config is not valid YAML (${(err as Error).message.split('\n')[0]}); fix it before changing it`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ValidationError(`${where}: the mesh config is not a YAML mapping`);
  return doc as MeshConfig;
}

/** YAML for the ConfigMap: key order as read, no line folding (comments are not kept by any YAML round trip). */
export function dumpMeshConfig(m: MeshConfig): string {
  return yaml.dump(m, { noRefs: true, lineWidth: -1, sortKeys: false });
}

/** The provider type of an extension provider (its one oneof key), if it is a tracing provider. */
export function tracingKind(p: ExtensionProvider): TracingProviderKind | undefined {
  return TRACING_PROVIDER_KINDS.find((k) => p[k] !== undefined && p[k] !== null);
}

export function tracingProviders(m: MeshConfig): ExtensionProvider[] {
  return (m.extensionProviders ?? []).filter((p) => tracingKind(p) !== undefined);
}

/** Istio looks providers up by name without regard to case (Telemetries.fetchProvider). */
export function findProvider(m: MeshConfig, name: string): ExtensionProvider | undefined {
  return (m.extensionProviders ?? []).find((p) => p.name.toLowerCase() === name.toLowerCase());
}

/** Where a provider sends spans, for people: "zipkin.istio-system.svc.cluster.local:9411". */
export function providerTarget(p: ExtensionProvider): string {
  const kind = tracingKind(p);
  const body = kind ? (p[kind] as Partial<HostPort> | undefined) : undefined;
  if (!body?.service) return kind ?? 'not a tracing provider';
  return `${body.service}${body.port ? `:${body.port}` : ''}`;
}

const DNS_NAME = /^(\*\.)?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*$/;
const IPV4 = /^(\d{1,3})(\.\d{1,3}){3}$/;

/** An extension provider's `service`: a host name or IP, optionally `namespace/host` (validateExtensionProviderService). */
export function validateProviderService(service: string): string | undefined {
  if (service === '') return 'service must not be empty';
  const parts = service.split('/');
  if (parts.length > 2) return `service "${service}" must be HOST or NAMESPACE/HOST`;
  const host = parts[parts.length - 1];
  if (parts.length === 2 && !/^([a-z0-9]([-a-z0-9]*[a-z0-9])?|\*|\.|~)$/.test(parts[0])) return `namespace "${parts[0]}" in service "${service}" is not valid`;
  if (!DNS_NAME.test(host) && !IPV4.test(host)) return `service "${service}" is not a host name or an IP address`;
  return undefined;
}

/** What istiod's validateExtensionProvider would reject (names empty or repeated; tracing service and port). */
export function validateExtensionProviders(list: ExtensionProvider[]): string[] {
  const errors: string[] = [];
  const names = new Set<string>();
  for (const p of list) {
    if (!p.name) errors.push('an extension provider has an empty name');
    else if (names.has(p.name)) errors.push(`extension provider name "${p.name}" is used twice`);
    names.add(p.name);
    const kind = tracingKind(p);
    if (kind !== 'zipkin' && kind !== 'opentelemetry' && kind !== 'datadog' && kind !== 'skywalking') continue;
    const body = p[kind] as Partial<HostPort>;
    const svc = validateProviderService(String(body.service ?? ''));
    if (svc) errors.push(`extension provider "${p.name}": ${svc}`);
    if (!Number.isInteger(body.port) || (body.port as number) < 1 || (body.port as number) > 65535)
      errors.push(`extension provider "${p.name}": port must be 1-65535`);
    if (kind === 'opentelemetry' && p.opentelemetry?.http && p.opentelemetry.grpc)
      errors.push(`extension provider "${p.name}": opentelemetry cannot set both http and grpc`);
  }
  return errors;
}

export interface ConfigMapMeta {
  labels?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
}

/**
 * Who installs and rewrites the mesh ConfigMap: a Helm release (the chart's labels and Helm's
 * annotations), istioctl install / the operator (operator.istio.io/managed=Reconcile), or another tool
 * that says so in app.kubernetes.io/managed-by. Their next install or upgrade replaces hand edits.
 */
export function meshConfigManager(meta: ConfigMapMeta): { tool: string; detail: string } | undefined {
  const l = meta.labels ?? {};
  const a = meta.annotations ?? {};
  const release = a['meta.helm.sh/release-name'] ?? l['release'];
  if (l['app.kubernetes.io/managed-by'] === 'Helm' || a['meta.helm.sh/release-name']) {
    return {
      tool: 'Helm',
      detail: `Helm release ${release ?? '(unknown)'}${a['meta.helm.sh/release-namespace'] ? ` in ${a['meta.helm.sh/release-namespace']}` : ''}: the next helm upgrade replaces this edit; put it in the chart's meshConfig values too`,
    };
  }
  if (
    l['operator.istio.io/managed'] === 'Reconcile' ||
    (l['install.operator.istio.io/owning-resource'] && l['install.operator.istio.io/owning-resource'] !== 'unknown')
  ) {
    const owner = l['install.operator.istio.io/owning-resource'];
    return {
      tool: 'istioctl',
      detail: `istioctl install / the Istio operator${owner ? ` (IstioOperator ${owner})` : ''}: the next install or upgrade replaces this edit; put it in spec.meshConfig too`,
    };
  }
  const other = l['app.kubernetes.io/managed-by'];
  if (other) return { tool: other, detail: `${other} (app.kubernetes.io/managed-by): it may replace this edit; change its source too` };
  return undefined;
}

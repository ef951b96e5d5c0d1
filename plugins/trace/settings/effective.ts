// The tracing a workload's sidecar gets, and where each value comes from, by istiod's precedence:
// Telemetry (workload > namespace > root namespace) over the pod annotation proxy.istio.io/config over
// MeshConfig defaultConfig.tracing.sampling over istiod's PILOT_TRACE_SAMPLING (default 1%); the
// provider from a Telemetry, else MeshConfig defaultProviders.tracing; with neither, the legacy
// defaultConfig.tracing tracer when enableTracing is on. Pure (pilot/pkg/model/telemetry.go Tracing,
// pilot/pkg/networking/core/tracing.go).
import yaml from 'js-yaml';
import {
  MESH_DEFAULTS,
  findProvider,
  meshConfigManager,
  providerTarget,
  tracingKind,
  type MeshConfig,
  type ProxyConfig,
} from '../../../shared/istio/mesh-config.js';
import {
  REVISION_LABEL,
  applicableTelemetries,
  inRevision,
  mergeTracing,
  telemetryName,
  type AppliedTelemetry,
  type Telemetry,
  type TracingSide,
} from '../../../shared/istio/telemetry.js';
import type { ControlPlane, NamespaceInfo, Observed, PodTemplateOwner } from './observe.js';

export const PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';

export interface Value<T> {
  value: T;
  /** Where it comes from, for people: "Telemetry bookinfo/default (namespace)". */
  source: string;
  /** The value is read when a pod starts: pods started before a change keep the old one until restarted. */
  atPodStart?: boolean;
}

export interface SideTracing {
  enabled: Value<boolean>;
  provider?: Value<string> | undefined;
  sampling: Value<number>;
}

export interface EffectiveTracing {
  namespace: string;
  /** kind/name of a workload whose settings differ from its namespace's; absent for the namespace row. */
  workload?: string;
  revision?: string;
  /** In the mesh: sidecar injection is on for the namespace or the workload. */
  injected: boolean;
  client: SideTracing;
  server: SideTracing;
  notes: string[];
}

const levelText: Record<AppliedTelemetry['level'], string> = { mesh: 'mesh-wide', namespace: 'namespace', workload: 'workload' };
const fromTelemetry = (a: AppliedTelemetry) => `Telemetry ${telemetryName(a.telemetry)} (${levelText[a.level]})`;

/** The revision serving a namespace or workload: istio.io/rev (a revision or a tag), else istio-injection=enabled. */
export function revisionOf(labels: Record<string, string>, nsLabels: Record<string, string>, tags: Record<string, string>): string | undefined {
  const rev = labels[REVISION_LABEL] ?? nsLabels[REVISION_LABEL];
  const resolve = (r: string) => tags[r] ?? r;
  if (labels['sidecar.istio.io/inject'] === 'false') return undefined;
  if (rev) return resolve(rev);
  if (nsLabels['istio-injection'] === 'enabled' || labels['sidecar.istio.io/inject'] === 'true') return resolve('default');
  return undefined;
}

export function planeFor(planes: ControlPlane[], revision: string | undefined): ControlPlane | undefined {
  return planes.find((p) => p.revision === (revision ?? 'default')) ?? (revision === undefined ? planes[0] : undefined);
}

function annotationProxyConfig(annotations: Record<string, string>): { config?: ProxyConfig; error?: string } {
  const text = annotations[PROXY_CONFIG_ANNOTATION];
  if (!text) return {};
  try {
    const doc = yaml.load(text);
    return typeof doc === 'object' && doc !== null ? { config: doc as ProxyConfig } : {};
  } catch (err) {
    return { error: `annotation ${PROXY_CONFIG_ANNOTATION} is not valid YAML (${(err as Error).message.split('\n')[0]})` };
  }
}

/** proxyConfigSamplingValue: annotation or defaultConfig (0 means unset, > 100 becomes 1), else PILOT_TRACE_SAMPLING. */
export function legacySampling(plane: ControlPlane | undefined, annotation: ProxyConfig | undefined): Value<number> {
  const cm = plane ? `ConfigMap ${plane.configMap.namespace}/${plane.configMap.name}` : 'the mesh config';
  const fromPod = annotation?.tracing?.sampling;
  const fromMesh = plane?.mesh.defaultConfig?.tracing?.sampling;
  const pick = (v: number, source: string): Value<number> => ({
    value: v > 100 ? 1 : v,
    source: v > 100 ? `${source} (${v} is above 100, so istiod uses 1)` : source,
    atPodStart: true,
  });
  if (typeof fromPod === 'number' && fromPod !== 0) return pick(fromPod, `pod annotation ${PROXY_CONFIG_ANNOTATION}`);
  if (typeof fromMesh === 'number' && fromMesh !== 0) return pick(fromMesh, `MeshConfig defaultConfig.tracing.sampling (${cm})`);
  const istiod = plane?.istiod;
  if (istiod?.traceSamplingFromRef)
    return {
      value: MESH_DEFAULTS.traceSampling,
      source: `istiod PILOT_TRACE_SAMPLING (deployment ${istiod.name}, from a reference we cannot read; 1 if unset)`,
    };
  if (istiod?.traceSampling !== undefined) {
    const n = Number(istiod.traceSampling);
    if (!Number.isFinite(n) || n < 0 || n > 100)
      return { value: 1, source: `istiod PILOT_TRACE_SAMPLING="${istiod.traceSampling}" is not 0-100, so istiod uses 1 (deployment ${istiod.name})` };
    return { value: n, source: `istiod PILOT_TRACE_SAMPLING (deployment ${istiod.name})` };
  }
  return { value: MESH_DEFAULTS.traceSampling, source: `istiod's default (PILOT_TRACE_SAMPLING unset${istiod ? ` on deployment ${istiod.name}` : ''})` };
}

function legacyTracer(cfg: ProxyConfig | undefined): string | undefined {
  const t = cfg?.tracing;
  if (!t) return undefined;
  for (const k of ['zipkin', 'datadog', 'lightstep', 'openCensusAgent'] as const) {
    const address = t[k]?.address;
    if (t[k] !== undefined) return `${k}${address ? ` ${address}` : ''}`;
  }
  return t.stackdriver !== undefined ? 'stackdriver' : undefined;
}

function side(
  mesh: MeshConfig,
  merged: TracingSide,
  telemetryMode: boolean,
  legacy: Value<number>,
  legacyProxy: ProxyConfig | undefined,
  cmName: string,
): SideTracing {
  if (!telemetryMode) {
    if (mesh.enableTracing === false) return { enabled: { value: false, source: `MeshConfig enableTracing: false (${cmName})` }, sampling: legacy };
    const tracer = legacyTracer(legacyProxy);
    if (!tracer) {
      return {
        enabled: { value: false, source: 'no provider: no Telemetry tracing, no MeshConfig defaultProviders.tracing, no defaultConfig.tracing tracer' },
        sampling: legacy,
      };
    }
    return {
      enabled: { value: true, source: `MeshConfig enableTracing (${cmName})` },
      provider: { value: `legacy ${tracer}`, source: 'MeshConfig defaultConfig.tracing', atPodStart: true },
      sampling: legacy,
    };
  }
  const defaults = mesh.defaultProviders?.tracing ?? [];
  const provider: Value<string> | undefined = merged.provider
    ? { value: merged.provider.value, source: fromTelemetry(merged.provider.from) }
    : defaults.length
      ? { value: defaults[0], source: `MeshConfig defaultProviders.tracing (${cmName})` }
      : undefined;
  const found = provider ? findProvider(mesh, provider.value) : undefined;
  let enabled: Value<boolean>;
  if (merged.disabled?.value) enabled = { value: false, source: `disableSpanReporting in ${fromTelemetry(merged.disabled.from)}` };
  else if (!provider)
    enabled = { value: false, source: `no provider: a Telemetry sets tracing but neither it nor MeshConfig defaultProviders.tracing names a provider` };
  else if (!found) enabled = { value: false, source: `provider "${provider.value}" is not among the mesh config's extensionProviders (${cmName})` };
  else if (!tracingKind(found)) enabled = { value: false, source: `provider "${provider.value}" is not a tracing provider` };
  else enabled = { value: true, source: provider.source };
  // An OpenTelemetry provider with its own sampler gets every request (istiod sets 100).
  const custom = found?.opentelemetry && (found.opentelemetry as Record<string, unknown>)['dynatraceSampler'] !== undefined;
  const sampling: Value<number> = custom
    ? { value: 100, source: `provider ${found.name}'s own sampler decides (istiod sends it every request)` }
    : merged.sampling
      ? { value: merged.sampling.value, source: fromTelemetry(merged.sampling.from) }
      : legacy;
  return {
    enabled,
    provider: provider ? { ...provider, value: found ? `${found.name} (${tracingKind(found) ?? '?'} ${providerTarget(found)})` : provider.value } : undefined,
    sampling,
  };
}

/** The effective tracing of one pod template (or of a namespace: no labels, no annotations). */
export function effectiveTracing(o: Observed, ns: NamespaceInfo, workload?: PodTemplateOwner): EffectiveTracing {
  const labels = workload?.labels ?? {};
  const annotations = workload?.annotations ?? {};
  const revision = revisionOf(labels, ns.labels, o.tags);
  const plane = planeFor(o.planes, revision);
  const mesh = plane?.mesh ?? {};
  const notes: string[] = [];
  const rootNamespace = mesh.rootNamespace ?? MESH_DEFAULTS.rootNamespace;
  const telemetries: Telemetry[] = o.telemetries.filter((t) => inRevision(t.metadata?.labels, plane?.revision ?? ''));
  const applied = applicableTelemetries(telemetries, { rootNamespace, namespace: ns.name, labels });
  const merged = mergeTracing(applied);
  const telemetryMode = merged.entries > 0 || (mesh.defaultProviders?.tracing ?? []).length > 0;
  const ann = annotationProxyConfig(annotations);
  if (ann.error) notes.push(ann.error);
  const legacyProxy: ProxyConfig | undefined = ann.config?.tracing
    ? { ...mesh.defaultConfig, tracing: { ...mesh.defaultConfig?.tracing, ...ann.config.tracing } }
    : mesh.defaultConfig;
  const legacy = legacySampling(plane, ann.config);
  const cmName = plane ? `ConfigMap ${plane.configMap.namespace}/${plane.configMap.name}` : 'no mesh config found';
  if (!plane)
    notes.push(revision ? `no mesh config for revision ${revision} in ${o.istioNamespace}` : `no mesh config (ConfigMap istio) in ${o.istioNamespace}`);
  if (plane?.istiod?.sharedMeshConfig) notes.push(`istiod also merges ConfigMap ${plane.istiod.sharedMeshConfig} (SHARED_MESH_CONFIG), not read here`);
  const sideOf = (s: TracingSide) => side(mesh, s, telemetryMode, legacy, legacyProxy, cmName);
  return {
    namespace: ns.name,
    ...(workload ? { workload: `${workload.kind}/${workload.name}` } : {}),
    ...(revision ? { revision } : {}),
    injected: revision !== undefined,
    client: sideOf(merged.client),
    server: sideOf(merged.server),
    notes,
  };
}

const same = (a: SideTracing, b: SideTracing) =>
  a.enabled.value === b.enabled.value &&
  a.sampling.value === b.sampling.value &&
  a.sampling.source === b.sampling.source &&
  a.provider?.value === b.provider?.value &&
  a.provider?.source === b.provider?.source;

/** One row per namespace, and one per workload whose tracing differs from its namespace's. */
export function tracingStatus(o: Observed): EffectiveTracing[] {
  const rows: EffectiveTracing[] = [];
  for (const ns of [...o.namespaces].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const base = effectiveTracing(o, ns);
    rows.push(base);
    const workloads = o.workloads.filter((w) => w.namespace === ns.name).sort((a, b) => (`${a.kind}/${a.name}` < `${b.kind}/${b.name}` ? -1 : 1));
    for (const w of workloads) {
      const e = effectiveTracing(o, ns, w);
      if (e.revision !== base.revision || !same(e.client, base.client) || !same(e.server, base.server) || e.notes.length > base.notes.length) rows.push(e);
    }
  }
  return rows;
}

/** The mesh config header of status: each revision's ConfigMap, who manages it, providers, defaults. */
export function planeSummary(p: ControlPlane) {
  const mgr = meshConfigManager(p.configMap.meta);
  return {
    revision: p.revision,
    configMap: `${p.configMap.namespace}/${p.configMap.name}`,
    ...(mgr ? { managedBy: mgr.tool } : {}),
    rootNamespace: p.mesh.rootNamespace ?? MESH_DEFAULTS.rootNamespace,
    enableTracing: p.mesh.enableTracing ?? MESH_DEFAULTS.enableTracing,
    defaultProviders: p.mesh.defaultProviders?.tracing ?? [],
    tracingProviders: (p.mesh.extensionProviders ?? [])
      .filter((x) => tracingKind(x))
      .map((x) => ({ name: x.name, type: tracingKind(x)!, target: providerTarget(x) })),
    ...(p.istiod ? { istiod: p.istiod.name, pilotTraceSampling: p.istiod.traceSampling ?? null } : {}),
  };
}

// Planning a tracing change at one scope as a Telemetry resource (telemetry.istio.io/v1): mesh-wide
// (the root namespace, no selector), a namespace (no selector), or the workloads a selector picks.
// An existing Telemetry of that scope is changed in place (istiod reads only the oldest selector-less
// one per namespace, so a second one would be ignored); otherwise one is created. Only the fields we
// set change: other tracing fields, metrics and access logging stay. Pure.
import { CliError } from '../../../shared/errors.js';
import { MANAGED_BY, managerName } from '../../../shared/kube/ownership.js';
import type { Change } from '../../../shared/kube/plan.js';
import { MESH_DEFAULTS, findProvider, tracingKind, type MeshConfig } from '../../../shared/istio/mesh-config.js';
import {
  REVISION_LABEL,
  TELEMETRY_API_VERSION,
  TELEMETRY_KIND,
  byCreation,
  inRevision,
  isNamespaceWide,
  telemetryName,
  type Telemetry,
  type TelemetryTracing,
} from '../../../shared/istio/telemetry.js';
import type { ControlPlane } from './observe.js';

export type Scope = { level: 'mesh' } | { level: 'namespace'; namespace: string } | { level: 'workload'; namespace: string; selector: Record<string, string> };

export interface TracingEdit {
  sampling?: number;
  /** true: stop reporting spans; false: report again (overrides a parent scope's disable). */
  disable?: boolean;
  provider?: string;
}

export interface TelemetryPlan {
  /** The Telemetry written, as namespace/name. */
  target: string;
  /** Empty when the scope already has these settings. */
  changes: Change[];
  created: boolean;
  /** The namespace the scope's Telemetry lives in. */
  namespace: string;
  warnings: string[];
  /** The Telemetry as it will be after the change. */
  desired: Telemetry;
}

export function scopeText(s: Scope, rootNamespace: string): string {
  if (s.level === 'mesh') return `the whole mesh (root namespace ${rootNamespace})`;
  if (s.level === 'namespace') return `namespace ${s.namespace}`;
  return `workloads ${selectorText(s.selector)} in namespace ${s.namespace}`;
}

export function selectorText(sel: Record<string, string>): string {
  return Object.entries(sel)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** A name for a selector's Telemetry: readable, a valid DNS-1123 name, stable for the same selector. */
export function selectorTelemetryName(sel: Record<string, string>): string {
  const base = `kubectl-trace-${Object.entries(sel)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k.replace(/^.*\//, '')}-${v}`)
    .join('-')}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/-$/, '');
  if (base.length <= 63) return base;
  let h = 0;
  for (const c of base) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `${base.slice(0, 54).replace(/-$/, '')}-${h.toString(16).padStart(8, '0').slice(0, 8)}`;
}

const sameSelector = (t: Telemetry, sel: Record<string, string>) => {
  const m = t.spec?.selector?.matchLabels ?? {};
  const a = Object.keys(m);
  return a.length === Object.keys(sel).length && a.every((k) => sel[k] === m[k]) && !t.spec?.targetRef && !(t.spec?.targetRefs ?? []).length;
};

function applyEdit(entries: TelemetryTracing[], edit: TracingEdit): TelemetryTracing[] {
  const list = entries.length ? entries.map((e) => ({ ...e })) : [{}];
  for (const e of list) {
    if (edit.sampling !== undefined) e.randomSamplingPercentage = edit.sampling;
    if (edit.provider !== undefined) e.providers = [{ name: edit.provider }];
    if (edit.disable !== undefined) e.disableSpanReporting = edit.disable;
  }
  return list;
}

export interface PlanInput {
  scope: Scope;
  edit: TracingEdit;
  plane: ControlPlane;
  /** Telemetries of the scope's namespace (and others: they are filtered here). */
  telemetries: Telemetry[];
  /** --revision given: what we create is labelled for that revision only. */
  revision?: string | undefined;
  /** --name for a Telemetry we create. */
  name?: string | undefined;
  plugin: string;
}

export function planTelemetry(i: PlanInput): TelemetryPlan {
  const mesh: MeshConfig = i.plane.mesh;
  const root = mesh.rootNamespace ?? MESH_DEFAULTS.rootNamespace;
  const namespace = i.scope.level === 'mesh' ? root : i.scope.namespace;
  const warnings: string[] = [];
  const candidates = i.telemetries.filter((t) => t.metadata?.namespace === namespace && inRevision(t.metadata?.labels, i.plane.revision)).sort(byCreation);
  const sel = i.scope.level === 'workload' ? i.scope.selector : undefined;
  const wide = candidates.filter(isNamespaceWide);
  let existing: Telemetry | undefined;
  if (sel) existing = (i.name ? candidates.find((t) => t.metadata?.name === i.name) : undefined) ?? candidates.find((t) => sameSelector(t, sel));
  else {
    existing = wide[0];
    if (wide.length > 1) {
      warnings.push(
        `namespace ${namespace} has ${wide.length} Telemetries without a selector (${wide.map((t) => t.metadata?.name).join(', ')}); istiod uses only the oldest, ${wide[0].metadata?.name}, which is the one changed`,
      );
    }
  }
  if (existing && sel && !sameSelector(existing, sel)) {
    throw new CliError(`Telemetry ${telemetryName(existing)} exists with another selector; choose another --name`);
  }
  if (i.edit.provider !== undefined) {
    const p = findProvider(mesh, i.edit.provider);
    if (!p || !tracingKind(p)) {
      const names = (mesh.extensionProviders ?? []).filter((x) => tracingKind(x)).map((x) => x.name);
      throw new CliError(
        `provider "${i.edit.provider}" is not a tracing provider in ConfigMap ${i.plane.configMap.namespace}/${i.plane.configMap.name} (${names.length ? `it has ${names.join(', ')}` : 'it has none'}); add it with kubectl trace enable --provider zipkin|opentelemetry --service HOST --port N --name ${i.edit.provider}`,
      );
    }
  }
  const prior = existing?.spec?.tracing ?? [];
  const tracing = applyEdit(prior, i.edit);
  if (prior.length > 1) warnings.push(`Telemetry ${telemetryName(existing!)} has ${prior.length} tracing entries (Istio supports one); each was changed`);
  const managed = { [MANAGED_BY]: managerName(i.plugin) };
  if (existing) {
    const desired: Telemetry = { ...existing, spec: { ...existing.spec, tracing } };
    const same = JSON.stringify(prior) === JSON.stringify(tracing);
    return {
      target: telemetryName(existing),
      namespace,
      created: false,
      warnings,
      desired,
      changes: same
        ? []
        : [
            {
              action: 'patch',
              ref: { apiVersion: TELEMETRY_API_VERSION, kind: TELEMETRY_KIND, name: existing.metadata?.name ?? '', namespace },
              // The version read is part of the patch: a concurrent change makes it a conflict, re-read and re-planned.
              patch: { metadata: { resourceVersion: existing.metadata?.resourceVersion }, spec: { tracing } },
              verb: 'configured',
            },
          ],
    };
  }
  const name = i.name ?? (sel ? selectorTelemetryName(sel) : 'kubectl-trace');
  const desired: Telemetry = {
    apiVersion: TELEMETRY_API_VERSION,
    kind: TELEMETRY_KIND,
    metadata: { name, namespace, labels: { ...managed, ...(i.revision ? { [REVISION_LABEL]: i.revision } : {}) } },
    spec: { ...(sel ? { selector: { matchLabels: sel } } : {}), tracing },
  };
  return {
    target: `${namespace}/${name}`,
    namespace,
    created: true,
    warnings,
    desired,
    changes: [{ action: 'create', object: desired, undo: `kubectl delete telemetry.telemetry.istio.io ${name} -n ${namespace}` }],
  };
}

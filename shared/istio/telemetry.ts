// Istio's Telemetry resource (telemetry.istio.io/v1) and the rules istiod applies to it for tracing
// (pilot/pkg/model/telemetry.go): which Telemetries apply to a workload, in what order, and how their
// tracing settings merge over the mesh config's default provider. Pure.
import type { KubeObject } from '../kube/object.js';

export const TELEMETRY_API_VERSION = 'telemetry.istio.io/v1';
export const TELEMETRY_KIND = 'Telemetry';
/** Config carrying this label is read only by that control-plane revision (pkg/config LabelsInRevision). */
export const REVISION_LABEL = 'istio.io/rev';

export type WorkloadMode = 'CLIENT' | 'SERVER' | 'CLIENT_AND_SERVER';

export interface TelemetryTracing {
  match?: { mode?: WorkloadMode };
  providers?: { name: string }[];
  randomSamplingPercentage?: number;
  disableSpanReporting?: boolean;
  customTags?: Record<string, unknown>;
  enableIstioTags?: boolean;
  useRequestIdForTraceSampling?: boolean;
  disableContextPropagation?: boolean;
  [field: string]: unknown;
}

export interface Telemetry extends KubeObject {
  spec?: {
    selector?: { matchLabels?: Record<string, string> };
    targetRef?: Record<string, unknown>;
    targetRefs?: Record<string, unknown>[];
    tracing?: TelemetryTracing[];
    [field: string]: unknown;
  };
}

export type TelemetryLevel = 'mesh' | 'namespace' | 'workload';

/** Does a revision's istiod read this object? Unlabelled config is read by every revision. */
export function inRevision(labels: Record<string, string> | undefined, revision: string): boolean {
  const rev = labels?.[REVISION_LABEL];
  return rev === undefined || revision === '' || rev === revision;
}

/** No workload selector and no targetRef(s): it applies to its whole namespace. */
export function isNamespaceWide(t: Telemetry): boolean {
  return Object.keys(t.spec?.selector?.matchLabels ?? {}).length === 0 && !t.spec?.targetRef && !(t.spec?.targetRefs ?? []).length;
}

export function selectsLabels(t: Telemetry, labels: Record<string, string>): boolean {
  const want = t.spec?.selector?.matchLabels ?? {};
  const keys = Object.keys(want);
  return keys.length > 0 && keys.every((k) => labels[k] === want[k]);
}

const created = (t: Telemetry) => t.metadata?.creationTimestamp ?? '';
/** istiod's order: oldest first (sortConfigByCreationTime), then by name. */
export function byCreation(a: Telemetry, b: Telemetry): number {
  const ca = created(a);
  const cb = created(b);
  if (ca !== cb) return ca < cb ? -1 : 1;
  const na = `${a.metadata?.namespace}/${a.metadata?.name}`;
  const nb = `${b.metadata?.namespace}/${b.metadata?.name}`;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

export interface AppliedTelemetry {
  telemetry: Telemetry;
  level: TelemetryLevel;
}

/**
 * The Telemetries that apply to a workload, in the order istiod merges them (later wins): the root
 * namespace's namespace-wide one, the workload namespace's namespace-wide one (the oldest, if several;
 * the others are ignored), then every Telemetry of the namespace whose selector matches, oldest first.
 * targetRef(s) (gateways, waypoints, Services) are not evaluated for sidecars here.
 */
export function applicableTelemetries(
  all: Telemetry[],
  where: { rootNamespace: string; namespace: string; labels: Record<string, string> },
): AppliedTelemetry[] {
  const sorted = [...all].sort(byCreation);
  const inNs = (ns: string) => sorted.filter((t) => t.metadata?.namespace === ns);
  const out: AppliedTelemetry[] = [];
  const root = inNs(where.rootNamespace).find(isNamespaceWide);
  if (root) out.push({ telemetry: root, level: 'mesh' });
  if (where.namespace !== where.rootNamespace) {
    const ns = inNs(where.namespace).find(isNamespaceWide);
    if (ns) out.push({ telemetry: ns, level: 'namespace' });
  }
  for (const t of inNs(where.namespace)) if (!isNamespaceWide(t) && selectsLabels(t, where.labels)) out.push({ telemetry: t, level: 'workload' });
  return out;
}

/** A value and the Telemetry it came from. */
export interface Sourced<T> {
  value: T;
  from: AppliedTelemetry;
}

export interface TracingSide {
  /** Provider name from a Telemetry; absent: the mesh's default provider (if any) applies. */
  provider?: Sourced<string>;
  sampling?: Sourced<number>;
  disabled?: Sourced<boolean>;
}

/** Telemetries' tracing settings merged field by field, per side (client spans, server spans), as istiod does. */
export function mergeTracing(applied: AppliedTelemetry[]): { client: TracingSide; server: TracingSide; entries: number } {
  const client: TracingSide = {};
  const server: TracingSide = {};
  let entries = 0;
  for (const a of applied) {
    for (const t of a.telemetry.spec?.tracing ?? []) {
      entries++;
      const mode = t.match?.mode ?? 'CLIENT_AND_SERVER';
      const sides = mode === 'CLIENT' ? [client] : mode === 'SERVER' ? [server] : [client, server];
      for (const side of sides) {
        const name = (t.providers ?? []).find((p) => p?.name)?.name;
        if (name) side.provider = { value: name, from: a };
        if (typeof t.disableSpanReporting === 'boolean') side.disabled = { value: t.disableSpanReporting, from: a };
        if (typeof t.randomSamplingPercentage === 'number') side.sampling = { value: t.randomSamplingPercentage, from: a };
      }
    }
  }
  return { client, server, entries };
}

export function telemetryName(t: Telemetry): string {
  return `${t.metadata?.namespace ?? ''}/${t.metadata?.name ?? ''}`;
}

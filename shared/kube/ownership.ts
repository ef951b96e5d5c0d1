// How our objects are marked: the managed-by label on what a plugin creates, and the one annotation
// prefix under which a plugin keeps what it needs to undo a change (previous replicas, weights).
import type { KubeObject } from './object.js';
import { binaryName } from '../cli/command.js';

export const MANAGED_BY = 'app.kubernetes.io/managed-by';

/** Annotations we write are all under this prefix, e.g. traffic.kubectl-plugins.io/previous-replicas. */
export const ANNOTATION_PREFIX = 'traffic.kubectl-plugins.io/';

export function annotationKey(name: string): string {
  return `${ANNOTATION_PREFIX}${name}`;
}

/** The managed-by value of a plugin: its binary name, as the field manager is. */
export function managerName(plugin: string): string {
  return binaryName(plugin);
}

/** A copy of obj labelled as created by the plugin (other labels kept). */
export function markManaged<T extends KubeObject>(obj: T, plugin: string): T {
  const metadata = obj.metadata ?? {};
  return { ...obj, metadata: { ...metadata, labels: { ...(metadata.labels ?? {}), [MANAGED_BY]: managerName(plugin) } } };
}

export function isManagedBy(obj: KubeObject, plugin: string): boolean {
  return obj.metadata?.labels?.[MANAGED_BY] === managerName(plugin);
}

/** Our undo annotations on an object, without the prefix. */
export function readState(obj: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj.metadata?.annotations ?? {})) if (k.startsWith(ANNOTATION_PREFIX)) out[k.slice(ANNOTATION_PREFIX.length)] = v;
  return out;
}

/** A merge-patch fragment setting (string) or removing (null) our annotations. */
export function stateAnnotations<V extends string | null>(values: Record<string, V>): { metadata: { annotations: Record<string, V> } } {
  const annotations: Record<string, V> = {};
  for (const [k, v] of Object.entries(values)) annotations[annotationKey(k)] = v;
  return { metadata: { annotations } };
}

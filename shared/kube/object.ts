// The shapes every API call speaks: an object as JSON carries it, references to one, watch events, and
// the dry-run modes. Types only (and one constant), so any module may import them for free.
import type { V1ManagedFieldsEntry, V1ObjectMeta } from '@kubernetes/client-node';
import type { Fields } from './lean.js';

/** Object metadata as JSON carries it: client-node's model types timestamps as Date, the wire has strings. */
export type ObjectMeta = Omit<V1ObjectMeta, 'creationTimestamp' | 'deletionTimestamp' | 'managedFields'> & {
  creationTimestamp?: string;
  deletionTimestamp?: string;
  managedFields?: (Omit<V1ManagedFieldsEntry, 'time'> & { time?: string })[];
};

/** Any Kubernetes object as the API returns it (JSON, timestamps as strings). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [key: string]: unknown;
}

/** --dry-run as the user gives it. */
export type DryRun = 'none' | 'client' | 'server';
/** What the API can do: client dry runs never reach the client (plans print them instead). */
export type ServerDryRun = 'none' | 'server';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string | undefined;
}

/** One event of a watch: the object as it is now (for ERROR, a Status). */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** namespace value that lists across all namespaces (-A). */
export const ALL_NAMESPACES = '*';

/** Which objects of a kind a list (or a watch) reads. */
export interface ListOptions {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  /** Slim each item as its page arrives (read-only views only, see lean.ts). */
  lean?: boolean | undefined;
  /** Keep only these fields of each item, as its page is read (read-only views only; implies lean, see lean.ts). */
  fields?: Fields | undefined;
}

/** A list and the resourceVersion it was read at (where a watch starts from). */
export interface ListSnapshot<T extends KubeObject = KubeObject> {
  items: T[];
  resourceVersion: string;
}

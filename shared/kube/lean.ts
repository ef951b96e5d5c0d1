// Read-only views (status, check) over big namespaces keep only what they print: each page of a list
// is slimmed before the next one arrives, so 10,000 objects never sit in memory whole. Never used for
// objects that are written back (a PUT of a slimmed object would drop its fields).
import type { KubeObject } from './client.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
}

interface Slimmable extends KubeObject {
  metadata?: KubeObject['metadata'] & { managedFields?: unknown };
  spec?: { template?: { metadata?: unknown; spec?: unknown } } & Record<string, unknown>;
  status?: { conditions?: Condition[] } & Record<string, unknown>;
}

/**
 * Drops managedFields, kubectl's last-applied copy, a pod template's spec and conditions' messages and
 * times (together most of a Deployment): conditions keep type, status and reason.
 */
export function slim<T extends KubeObject>(item: T): T {
  const o = item as Slimmable;
  const meta = o.metadata;
  if (meta) {
    delete meta.managedFields;
    if (meta.annotations && LAST_APPLIED in meta.annotations) {
      const { [LAST_APPLIED]: _dropped, ...rest } = meta.annotations;
      meta.annotations = rest;
    }
  }
  const template = o.spec?.template;
  if (template && typeof template === 'object' && 'spec' in template) delete template.spec;
  const conditions = o.status?.conditions;
  if (o.status && Array.isArray(conditions)) o.status.conditions = conditions.map(({ type, status, reason }) => ({ type, status, reason }));
  return item;
}

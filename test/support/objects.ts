// Carrying out planned changes on objects in memory, as the API server would: merge patches (RFC 7386)
// conditional on the resourceVersion they carry, creates that fail on existing names, deletes. For
// round-trip tests of planners: plan, apply here, read back.
import type { KubeObject } from '../../shared/kube/object.js';
import type { Change } from '../../shared/kube/plan.js';

type Json = Record<string, unknown>;

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Json = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Json) } : {};
  for (const [k, v] of Object.entries(patch as Json)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export class ObjectStore {
  objects: KubeObject[];
  private version = 100;
  constructor(objects: KubeObject[]) {
    this.objects = objects.map((o) => ({ ...o, metadata: { ...o.metadata, resourceVersion: o.metadata?.resourceVersion ?? String(this.version++) } }));
  }
  find(kind: string, name: string): KubeObject | undefined {
    return this.objects.find((o) => o.kind === kind && o.metadata?.name === name);
  }
  apply(changes: Change[]): void {
    for (const c of changes) {
      if (c.action === 'create' || c.action === 'apply') {
        const name = c.object.metadata?.name ?? '';
        if (c.action === 'create' && this.find(c.object.kind ?? '', name)) throw new Error(`${c.object.kind} ${name} already exists`);
        this.objects = this.objects.filter((o) => !(o.kind === c.object.kind && o.metadata?.name === name));
        this.objects.push({ ...c.object, metadata: { ...c.object.metadata, resourceVersion: String(this.version++) } });
      } else if (c.action === 'delete') {
        if (!this.find(c.ref.kind, c.ref.name)) throw new Error(`${c.ref.kind} ${c.ref.name} not found`);
        this.objects = this.objects.filter((o) => !(o.kind === c.ref.kind && o.metadata?.name === c.ref.name));
      } else {
        const cur = this.find(c.ref.kind, c.ref.name);
        if (!cur) throw new Error(`${c.ref.kind} ${c.ref.name} not found`);
        const rv = (c.patch['metadata'] as Json | undefined)?.['resourceVersion'];
        if (rv !== undefined && rv !== cur.metadata?.resourceVersion) throw new Error(`conflict on ${c.ref.kind} ${c.ref.name}`);
        const next = mergePatch(cur, c.patch) as KubeObject;
        next.metadata = { ...next.metadata, resourceVersion: String(this.version++) };
        this.objects = this.objects.map((o) => (o === cur ? next : o));
      }
    }
  }
}

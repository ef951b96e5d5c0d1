// The object store under the in-memory API server (memory-cluster.ts): objects by resource, namespace
// and name, one resourceVersion counter, the change log watches read (memory-watch.ts), and what tests
// do directly, not counted as requests: seed, read, change as a controller would, compact, bookmark.
import { loadAll } from 'js-yaml';
import type { KubeObject, ObjectRef } from '../../shared/kube/object.js';
import type { Clock } from '../../shared/context.js';
import { mergePatch } from './objects.js';
import { ChangeLog, type ChangeType } from './memory-watch.js';
import { resourceFor, type Resource } from './memory-api.js';

/** Sees every committed write (API or helper); may change objects itself (a controller). */
export type WriteReactor = (type: ChangeType, object: KubeObject, old: KubeObject | undefined, store: MemoryStore) => void;

export type Json = Record<string, unknown>;
export const clone = <T>(o: T): T => structuredClone(o);
export const keyOf = (r: Resource, ns: string | undefined, name: string) => `${r.group}/${r.plural}/${ns ?? ''}/${name}`;

export class MemoryStore {
  protected readonly objects = new Map<string, KubeObject>();
  protected readonly log = new ChangeLog();
  private readonly writeReactors: WriteReactor[] = [];
  protected rv = 1000;
  private uid = 0;

  constructor(private readonly clock?: Clock) {}

  // ---- for tests: seeding, reading, changing (not counted as requests) ----

  /** Store objects as they are (status included), each one a change watches see. */
  add(...objects: KubeObject[]): void {
    for (const o of objects) {
      const r = this.resourceOf(o);
      const obj = clone(o);
      obj.metadata = { ...obj.metadata, namespace: r.namespaced ? (obj.metadata?.namespace ?? 'default') : undefined };
      this.stamp(obj);
      const old = this.objects.get(this.key(obj));
      this.commit(old ? 'MODIFIED' : 'ADDED', r, obj, old);
    }
  }

  /** Store the objects of a YAML stream (a seed scenario), as add() does. */
  load(yaml: string): this {
    this.add(...(loadAll(yaml) as (KubeObject | null)[]).filter((o): o is KubeObject => o !== null));
    return this;
  }

  /** One object as stored (a copy), or undefined. */
  get<T extends KubeObject = KubeObject>(ref: ObjectRef): T | undefined {
    const r = this.resourceOf(ref);
    const o = this.objects.get(keyOf(r, r.namespaced ? (ref.namespace ?? 'default') : undefined, ref.name));
    return o ? (clone(o) as T) : undefined;
  }

  /** Objects of a kind (copies), by namespace and name; every namespace without one. */
  list<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, namespace?: string): T[] {
    const r = this.resourceOf({ apiVersion, kind });
    return this.select(r, namespace, () => true).map((o) => clone(o) as T);
  }

  /** Change an object as a controller or another client would: a new version, seen by watches. */
  update<T extends KubeObject = KubeObject>(ref: ObjectRef, change: (o: T) => void): T {
    const old = this.objects.get(this.key(ref));
    if (!old) throw new Error(`memory cluster: ${ref.kind} ${ref.namespace ?? 'default'}/${ref.name} does not exist`);
    const next = clone(old) as T;
    change(next);
    if (JSON.stringify(next.spec) !== JSON.stringify(old.spec)) next.metadata = { ...next.metadata, generation: (old.metadata?.generation ?? 1) + 1 };
    return clone(this.commit('MODIFIED', this.resourceOf(ref), next, old) as T);
  }

  /** Merge into an object's status (what a controller writes). */
  setStatus(ref: ObjectRef, status: Json): KubeObject {
    return this.update(ref, (o) => void (o.status = mergePatch(o.status, status)));
  }

  /** Delete an object as another client would. */
  remove(ref: ObjectRef): void {
    const old = this.objects.get(this.key(ref));
    if (old) this.commit('DELETED', this.resourceOf(ref), clone(old), old);
  }

  /** Call `reactor` after every committed write. */
  onWrite(reactor: WriteReactor): void {
    this.writeReactors.push(reactor);
  }

  /** Deployments roll out at once: their status follows each spec change (a controller that is never late). */
  rollOut(): this {
    this.onWrite((type, o, _old, cluster) => {
      if (type === 'DELETED' || o.kind !== 'Deployment') return;
      const want = (o.spec as { replicas?: number } | undefined)?.replicas ?? 1;
      const status = want
        ? { observedGeneration: o.metadata?.generation ?? 1, replicas: want, updatedReplicas: want, readyReplicas: want, availableReplicas: want }
        : { observedGeneration: o.metadata?.generation ?? 1 };
      if (JSON.stringify(o.status) === JSON.stringify(status)) return;
      cluster.update(refOf(o), (d) => void (d.status = status));
    });
    return this;
  }

  /** The current resourceVersion. */
  version(): string {
    return String(this.rv);
  }

  /** Compact the history: watches and continue tokens from before now are answered 410 Gone. */
  compact(): void {
    this.log.compact(this.rv);
  }

  /** A BOOKMARK at the current version to every watch that allows them. */
  bookmark(): void {
    this.log.bookmark(this.rv);
  }

  /** End every open watch, as the server does after timeoutSeconds; how many were open. */
  closeWatches(): number {
    return this.log.closeAll();
  }

  /** Resources (group/plural) with a watch open now. */
  watching(): string[] {
    return this.log.openResources();
  }

  /** The writes that reached the store (not dry runs), as "verb resource/name". */

  protected select(r: Resource, ns: string | undefined, matches: (o: KubeObject) => boolean): KubeObject[] {
    const prefix = `${r.group}/${r.plural}/`;
    return [...this.objects.entries()]
      .filter(([k, o]) => k.startsWith(prefix) && (!ns || o.metadata?.namespace === ns) && matches(o))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o);
  }

  // ---- the store ----

  protected resourceOf(ref: { apiVersion?: string | undefined; kind?: string | undefined }): Resource {
    return resourceFor(ref.apiVersion ?? '', ref.kind ?? '');
  }

  protected key(ref: {
    apiVersion?: string | undefined;
    kind?: string | undefined;
    metadata?: KubeObject['metadata'];
    name?: string;
    namespace?: string | undefined;
  }): string {
    const r = this.resourceOf(ref);
    const name = ref.name ?? ref.metadata?.name ?? '';
    const ns = ref.namespace ?? ref.metadata?.namespace;
    return keyOf(r, r.namespaced ? (ns ?? 'default') : undefined, name);
  }

  /** uid, creation time and generation, as a create sets them. */
  protected stamp(o: KubeObject): void {
    const meta = o.metadata ?? {};
    meta.uid ??= `00000000-0000-4000-8000-${String(++this.uid).padStart(12, '0')}`;
    meta.creationTimestamp ??= (this.clock?.now() ?? new Date('2026-01-01T00:00:00Z')).toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (o.spec !== undefined) meta.generation ??= 1;
    o.metadata = meta;
  }

  /** Store a change under a new resourceVersion, tell the watches, then the write reactors. */
  protected commit(type: ChangeType, r: Resource, obj: KubeObject, old: KubeObject | undefined): KubeObject {
    this.rv++;
    obj.metadata = { ...obj.metadata, resourceVersion: String(this.rv) };
    obj.apiVersion ??= r.apiVersion;
    obj.kind ??= r.kind;
    const key = keyOf(r, obj.metadata.namespace, obj.metadata.name ?? '');
    if (type === 'DELETED') this.objects.delete(key);
    else this.objects.set(key, obj);
    this.log.record({ rv: this.rv, type, resource: `${r.group}/${r.plural}`, object: obj, old });
    for (const react of this.writeReactors) react(type, clone(obj), old && clone(old), this);
    return obj;
  }
}

export function refOf(o: KubeObject): ObjectRef {
  return { apiVersion: o.apiVersion ?? '', kind: o.kind ?? '', name: o.metadata?.name ?? '', namespace: o.metadata?.namespace };
}

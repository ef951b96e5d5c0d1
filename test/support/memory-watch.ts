// The watch side of the in-memory API server: a change log with resourceVersions, watches that replay
// it from a version and then follow it (ADDED/MODIFIED/DELETED as the selector sees the object before
// and after), bookmarks, and compaction (a version older than the log answers 410 Gone, as etcd's).
import { PassThrough } from 'node:stream';
import type { KubeObject, WatchEvent } from '../../shared/kube/object.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One committed change: the object before and after (undefined when created or deleted). */
export interface Change {
  rv: number;
  type: ChangeType;
  /** group/plural of the object's resource. */
  resource: string;
  object: KubeObject;
  old?: KubeObject | undefined;
}

export interface WatchFilter {
  resource: string;
  namespace?: string | undefined;
  matches: (o: KubeObject) => boolean;
  bookmarks: boolean;
  /** The apiVersion the watch was opened on (objects are shown in it). */
  apiVersion: string;
}

interface OpenWatch extends WatchFilter {
  out: PassThrough;
}

/** The status a 410 carries, as the API server words it. */
function expired(message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Expired', code: 410 };
}

export class ChangeLog {
  private readonly changes: Change[] = [];
  private readonly watches = new Set<OpenWatch>();
  /** Versions up to this one have been compacted away. */
  compacted = 0;

  record(c: Change): void {
    this.changes.push(c);
    for (const w of this.watches) this.send(w, c);
  }

  /** What a watch with this filter sees of a change (nothing, or an event). */
  private event(w: WatchFilter, c: Change): WatchEvent | undefined {
    if (c.resource !== w.resource) return undefined;
    const inScope = (o: KubeObject | undefined) => o !== undefined && (!w.namespace || o.metadata?.namespace === w.namespace) && w.matches(o);
    const before = c.type !== 'ADDED' && inScope(c.old ?? c.object);
    const after = c.type !== 'DELETED' && inScope(c.object);
    const object = { ...structuredClone(c.object), apiVersion: w.apiVersion };
    if (before && after) return { type: 'MODIFIED', object };
    if (after) return { type: 'ADDED', object };
    if (before) return { type: 'DELETED', object };
    return undefined;
  }

  private send(w: OpenWatch, c: Change): void {
    const e = this.event(w, c);
    if (e) w.out.write(`${JSON.stringify(e)}\n`);
  }

  /**
   * A watch from version `from` ('' or '0': the objects now, as ADDED, then changes): replays the log
   * after it, then follows. A version compacted away gets one ERROR event (410) and the end.
   */
  open(filter: WatchFilter, from: string, current: () => KubeObject[], signal?: AbortSignal): PassThrough {
    const out = new PassThrough();
    const w: OpenWatch = { ...filter, out };
    const rv = Number(from || '0');
    if (from && from !== '0' && rv < this.compacted) {
      out.end(`${JSON.stringify({ type: 'ERROR', object: expired(`too old resource version: ${rv} (${this.compacted})`) })}\n`);
      return out;
    }
    if (!from || from === '0') {
      for (const object of current()) this.send(w, { rv: 0, type: 'ADDED', resource: filter.resource, object });
    } else {
      for (const c of this.changes) if (c.rv > rv) this.send(w, c);
    }
    this.watches.add(w);
    const stop = () => {
      this.watches.delete(w);
      out.destroy();
    };
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop, { once: true });
    out.once('close', () => {
      this.watches.delete(w);
      signal?.removeEventListener('abort', stop);
    });
    return out;
  }

  /** Send a BOOKMARK at version rv to every watch that asked for them. */
  bookmark(rv: number): void {
    for (const w of this.watches) {
      if (w.bookmarks)
        w.out.write(`${JSON.stringify({ type: 'BOOKMARK', object: { apiVersion: w.apiVersion, metadata: { resourceVersion: String(rv) } } })}\n`);
    }
  }

  /** Forget the log up to rv: a watch or a continue token from before it is answered 410. */
  compact(rv: number): void {
    this.compacted = rv;
    this.changes.splice(0, this.changes.length);
  }

  /** End every open watch as the server does after timeoutSeconds; how many were open. */
  closeAll(): number {
    const n = this.watches.size;
    for (const w of [...this.watches]) {
      this.watches.delete(w);
      w.out.end();
    }
    return n;
  }

  /** Watches open now, by resource (group/plural). */
  openResources(): string[] {
    return [...this.watches].map((w) => w.resource);
  }
}

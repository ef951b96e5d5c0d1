// What `status -w` reads from: each list a render asks for is read from the server once, then kept
// current by a watch from that list's resourceVersion (client-go's reflector): ADDED, MODIFIED and
// DELETED update a local store, BOOKMARKs move the version on, an expired version (410) re-lists, and a
// watch the server ends (after timeoutSeconds) is opened again from the last version seen. Renders then
// read memory: the server sends only what changes.
import { KubeApiError } from '../errors.js';
import { systemClock, type Clock } from '../context.js';
import type { Kube, ListSource } from './client.js';
import type { KubeObject, ListOptions, WatchEvent } from './object.js';

/** Server-side length of one watch request, as client-go's minimum (a watch lives 5 minutes, then reconnects). */
export const WATCH_TIMEOUT_SECONDS = 300;
/** Failed watch attempts in a row (server unreachable, 5xx) before the command gives up. */
export const WATCH_ATTEMPTS = 8;

export interface WatchCacheOptions {
  /** Stops every watch. */
  signal: AbortSignal;
  /** Something a render read has changed. */
  onChange: () => void;
  /** A watch failed for good (permissions, the server gone for longer than the retries). */
  onError: (err: unknown) => void;
  timeoutSeconds?: number;
  /** First delay between failed attempts, doubled each time up to 30 s. */
  backoffMs?: number;
  /** The clock the pause between failed attempts is slept on (the command's; the system's by default). */
  clock?: Clock;
}

/** Whether an error says the resourceVersion is too old to watch from: list again. */
export function isExpired(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 410;
}

/** Errors no retry can fix: wrong credentials, no permission, the kind is not served. */
function isPermanent(err: unknown): boolean {
  return err instanceof KubeApiError && err.status !== undefined && [400, 401, 403, 404, 422].includes(err.status);
}

function keyOf(o: KubeObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

/** An ERROR event's Status as an error (code 410 when the version has expired). */
function eventError(e: WatchEvent): KubeApiError {
  const status = e.object as { code?: number; reason?: string; message?: string };
  return new KubeApiError(`the watch failed: ${status.message ?? 'an error event without a message'}`, status.code, status.reason);
}

/** One list kept current by a watch. */
class Reflector {
  private readonly store = new Map<string, KubeObject>();
  private sorted: KubeObject[] | undefined;
  private version = '';
  /** Watch requests opened and lists re-read after an expiry (for tests and -v). */
  watches = 0;
  relists = 0;

  constructor(
    private readonly kube: Kube,
    private readonly apiVersion: string,
    private readonly kind: string,
    private readonly opts: ListOptions,
    private readonly cache: WatchCacheOptions,
  ) {}

  /** Items in the order the server lists them (by namespace, then name), as a render expects. */
  items(): KubeObject[] {
    return (this.sorted ??= [...this.store.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o));
  }

  /** The first list: its failure is the render's (a missing CRD reads as an optional list's empty). */
  async start(): Promise<void> {
    await this.relist();
    void this.run();
  }

  private async relist(): Promise<void> {
    const snap = await this.kube.listSnapshot(this.apiVersion, this.kind, this.opts);
    this.store.clear();
    for (const o of snap.items) this.store.set(keyOf(o), o);
    this.sorted = undefined;
    this.version = snap.resourceVersion;
  }

  private apply(e: WatchEvent): void {
    const rv = e.object.metadata?.resourceVersion;
    switch (e.type) {
      case 'ADDED':
      case 'MODIFIED':
        this.store.set(keyOf(e.object), { ...e.object, apiVersion: e.object.apiVersion ?? this.apiVersion, kind: e.object.kind ?? this.kind });
        break;
      case 'DELETED':
        this.store.delete(keyOf(e.object));
        break;
      case 'BOOKMARK':
        if (rv) this.version = rv;
        return;
      case 'ERROR':
        throw eventError(e);
    }
    if (rv) this.version = rv;
    this.sorted = undefined;
    this.cache.onChange();
  }

  private async run(): Promise<void> {
    const { signal } = this.cache;
    let failures = 0;
    while (!signal.aborted) {
      try {
        this.watches++;
        let events = 0;
        await this.kube.watch(
          this.apiVersion,
          this.kind,
          { ...this.opts, resourceVersion: this.version, timeoutSeconds: this.cache.timeoutSeconds ?? WATCH_TIMEOUT_SECONDS, signal },
          (e) => {
            events++;
            this.apply(e);
          },
        );
        // The server ended the watch (its timeout): open it again from the last version seen.
        if (events > 0) failures = 0;
        continue;
      } catch (err) {
        if (signal.aborted) return;
        try {
          if (isExpired(err)) {
            // History up to our version is gone: read everything again, and show what changed meanwhile.
            this.relists++;
            await this.relist();
            this.cache.onChange();
            failures = 0;
            continue;
          }
          if (isPermanent(err) || ++failures >= WATCH_ATTEMPTS) throw err;
        } catch (fatal) {
          if (!signal.aborted) this.cache.onError(fatal);
          return;
        }
        await (this.cache.clock ?? systemClock).sleep(Math.min(30_000, (this.cache.backoffMs ?? 1000) * 2 ** (failures - 1)), signal);
      }
    }
  }
}

/** The list source a watched Kube reads from: one reflector per kind, namespace and selectors asked for. */
export class WatchCache implements ListSource {
  private readonly reflectors = new Map<string, Promise<Reflector>>();

  constructor(private readonly opts: WatchCacheOptions) {}

  async list<T extends KubeObject>(kube: Kube, apiVersion: string, kind: string, opts: ListOptions): Promise<T[]> {
    // The same defaults the server list applies: no namespace means the context's.
    const namespace = opts.namespace ?? kube.namespace;
    const key = JSON.stringify([apiVersion, kind, namespace, opts.labelSelector ?? '', opts.fieldSelector ?? '']);
    let r = this.reflectors.get(key);
    if (!r) {
      const made = new Reflector(kube, apiVersion, kind, { ...opts, namespace }, this.opts);
      r = made.start().then(() => made);
      this.reflectors.set(key, r);
      // A kind not served (404) or not allowed (403) stays so for this watch: renders read the same
      // refusal without asking again (optional lists read it as empty). Other failures are asked again.
      r.catch((err: unknown) => {
        if (!(err instanceof KubeApiError && (err.status === 404 || err.status === 403))) this.reflectors.delete(key);
      });
    }
    return (await r).items() as T[];
  }

  /** Watch requests opened and re-lists after expiry, over every reflector. */
  async stats(): Promise<{ lists: number; watches: number; relists: number }> {
    const all = await Promise.allSettled([...this.reflectors.values()]);
    const ok = all.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    return { lists: ok.length, watches: ok.reduce((n, r) => n + r.watches, 0), relists: ok.reduce((n, r) => n + r.relists, 0) };
  }
}

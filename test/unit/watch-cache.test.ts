// status -w's watch cache against a scripted server: list once, then watch from the list's version;
// events update the store, bookmarks move the version, 410 re-lists, an ended watch reconnects.
import assert from 'node:assert/strict';
import type { Kube, ListSource } from '../../shared/kube/client.js';
import type { KubeObject, ListOptions, ListSnapshot, WatchEvent } from '../../shared/kube/object.js';
import { WatchCache, WATCH_ATTEMPTS } from '../../shared/kube/watch-cache.js';
import { KubeApiError } from '../../shared/errors.js';
import { watchOutput } from '../../shared/cli/watch.js';
import type { CommandContext } from '../../shared/context.js';
import { Buffer } from '../support/buffers.js';

const cm = (name: string, rv: string, data = ''): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', resourceVersion: rv },
  data: { v: data },
});

/** One scripted watch request: the events it streams, then how it ends. */
interface Script {
  events: WatchEvent[];
  end?: 'close' | Error | 'hang';
}

class ScriptedKube {
  readonly namespace = 'ns';
  source: ListSource | undefined;
  calls: string[] = [];
  lists: ListSnapshot[] = [];
  watches: Script[] = [];
  /** The open (hanging) watch's event handler: tests stream events through it. */
  push: ((e: WatchEvent) => void) | undefined;

  /** As Kube.list does while a watch cache is its source. */
  list(apiVersion: string, kind: string, opts: ListOptions = {}): Promise<KubeObject[]> {
    if (!this.source) throw new Error('no watch cache');
    return this.source.list(this as unknown as Kube, apiVersion, kind, opts);
  }

  listSnapshot(apiVersion: string, kind: string, opts: ListOptions): Promise<ListSnapshot> {
    this.calls.push(`list ${kind} ${opts.namespace ?? ''}`);
    const next = this.lists.shift();
    return next ? Promise.resolve(next) : Promise.reject(new KubeApiError('no more lists', 500));
  }

  async watch(_v: string, kind: string, opts: { resourceVersion: string; signal?: AbortSignal }, onEvent: (e: WatchEvent) => void): Promise<void> {
    this.calls.push(`watch ${kind} from ${opts.resourceVersion}`);
    const s = this.watches.shift() ?? { events: [], end: 'hang' };
    await new Promise((r) => setImmediate(r));
    for (const e of s.events) onEvent(e);
    if (s.end instanceof Error) throw s.end;
    if (s.end === 'hang') {
      // Open until stopped, as a quiet watch is.
      await new Promise<void>((resolve) => {
        if (opts.signal?.aborted) return resolve();
        opts.signal?.addEventListener('abort', () => resolve(), { once: true });
        this.push = onEvent;
      });
    }
  }
}

const settle = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

const names = (xs: KubeObject[]) => xs.map((x) => `${x.metadata?.name}@${x.metadata?.resourceVersion}`);

describe('watch cache (status -w)', () => {
  it('lists once, then serves renders from a store that watch events keep current, in list order', async () => {
    const k = new ScriptedKube();
    k.lists.push({ items: [cm('b', '5'), cm('d', '6')], resourceVersion: '10' });
    k.watches.push({
      events: [
        { type: 'ADDED', object: cm('a', '11') },
        { type: 'MODIFIED', object: cm('d', '12', 'x') },
        { type: 'DELETED', object: cm('b', '13') },
        { type: 'BOOKMARK', object: { metadata: { resourceVersion: '20' } } },
      ],
      end: 'close',
    });
    const stop = new AbortController();
    let changes = 0;
    const cache = new WatchCache({ signal: stop.signal, onChange: () => changes++, onError: (e) => assert.fail(String(e)) });
    const kube = k as unknown as Kube;
    assert.deepEqual(names(await cache.list(kube, 'v1', 'ConfigMap', {})), ['b@5', 'd@6']);
    await settle();
    assert.deepEqual(names(await cache.list(kube, 'v1', 'ConfigMap', {})), ['a@11', 'd@12']);
    assert.equal(changes, 3, 'a bookmark is no change');
    stop.abort();
    // The server ended the first watch: the second starts from the bookmark's version; one list in all.
    assert.deepEqual(k.calls, ['list ConfigMap ns', 'watch ConfigMap from 10', 'watch ConfigMap from 20']);
  });

  it('an expired version (410, as an ERROR event or an answer) lists again and watches from the new list', async () => {
    const k = new ScriptedKube();
    k.lists.push({ items: [cm('a', '5')], resourceVersion: '10' }, { items: [cm('z', '40')], resourceVersion: '41' }, { items: [], resourceVersion: '50' });
    k.watches.push(
      { events: [{ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 10 (30)' } }] },
      { events: [], end: new KubeApiError('gone', 410, 'Gone') },
    );
    const stop = new AbortController();
    let changes = 0;
    const cache = new WatchCache({ signal: stop.signal, onChange: () => changes++, onError: (e) => assert.fail(String(e)) });
    const kube = k as unknown as Kube;
    await cache.list(kube, 'v1', 'ConfigMap', {});
    await settle();
    assert.deepEqual(names(await cache.list(kube, 'v1', 'ConfigMap', {})), []);
    assert.equal(changes, 2);
    stop.abort();
    assert.deepEqual(k.calls, [
      'list ConfigMap ns',
      'watch ConfigMap from 10',
      'list ConfigMap ns',
      'watch ConfigMap from 41',
      'list ConfigMap ns',
      'watch ConfigMap from 50',
    ]);
  });

  it('a broken connection is retried from the same version; a refusal (403) or too many failures end the watch with the error', async () => {
    const k = new ScriptedKube();
    k.lists.push({ items: [], resourceVersion: '10' });
    k.watches.push(
      { events: [], end: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) },
      { events: [], end: new KubeApiError('forbidden: no watch', 403) },
    );
    const stop = new AbortController();
    const errors: unknown[] = [];
    const cache = new WatchCache({ signal: stop.signal, onChange: () => {}, onError: (e) => errors.push(e), backoffMs: 1 });
    await cache.list(k as unknown as Kube, 'v1', 'ConfigMap', {});
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(k.calls, ['list ConfigMap ns', 'watch ConfigMap from 10', 'watch ConfigMap from 10']);
    assert.equal((errors[0] as Error).message, 'forbidden: no watch');

    const k2 = new ScriptedKube();
    k2.lists.push({ items: [], resourceVersion: '1' });
    for (let i = 0; i < WATCH_ATTEMPTS; i++) k2.watches.push({ events: [], end: new KubeApiError('unavailable', 503) });
    const errors2: unknown[] = [];
    const cache2 = new WatchCache({ signal: stop.signal, onChange: () => {}, onError: (e) => errors2.push(e), backoffMs: 0 });
    await cache2.list(k2 as unknown as Kube, 'v1', 'ConfigMap', {});
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(k2.calls.filter((c) => c.startsWith('watch')).length, WATCH_ATTEMPTS);
    assert.equal((errors2[0] as Error).message, 'unavailable');
  });

  it("a failed first list is the render's error and is tried again by the next render", async () => {
    const k = new ScriptedKube();
    const stop = new AbortController();
    const cache = new WatchCache({ signal: stop.signal, onChange: () => {}, onError: () => {} });
    await assert.rejects(cache.list(k as unknown as Kube, 'v1', 'ConfigMap', {}), /no more lists/);
    k.lists.push({ items: [cm('a', '1')], resourceVersion: '1' });
    assert.deepEqual(names(await cache.list(k as unknown as Kube, 'v1', 'ConfigMap', {})), ['a@1']);
    // A kind the server does not serve is not asked for again (an optional list reads it as empty).
    let asked = 0;
    const crd = Object.assign(new ScriptedKube(), { listSnapshot: () => (asked++, Promise.reject(new KubeApiError('not served', 404))) });
    await assert.rejects(cache.list(crd as unknown as Kube, 'networking.istio.io/v1', 'VirtualService', {}), /not served/);
    await assert.rejects(cache.list(crd as unknown as Kube, 'networking.istio.io/v1', 'VirtualService', {}), /not served/);
    assert.equal(asked, 1);
    stop.abort();
  });
});

describe('watchOutput (status -w)', () => {
  it('prints once, again only when a change alters the output, and a burst of changes once; Ctrl-C ends it with 130', async () => {
    const k = new ScriptedKube();
    k.lists.push({ items: [cm('a', '1', 'one')], resourceVersion: '1' });
    // An unchanged object (a status heartbeat), then three changes at once, then nothing.
    k.watches.push({
      events: [{ type: 'MODIFIED', object: cm('a', '2', 'one') }],
      end: 'hang',
    });
    const stdout = new Buffer();
    const stderr = new Buffer();
    const interrupt = new AbortController();
    let renders = 0;
    const ctx = {
      stdout,
      stderr,
      paint: (_c: string, s: string) => s,
      clock: { now: () => new Date(0), sleep: () => new Promise<void>((r) => setImmediate(r)) },
      kube: () => k as unknown as Kube,
      interruption: () => interrupt.signal,
      warn: () => {},
    } as unknown as CommandContext;
    const show = async (c: CommandContext) => {
      renders++;
      const items = await c.kube().list('v1', 'ConfigMap');
      c.stdout.write(`${items.map((i) => `${i.metadata?.name}=${(i['data'] as { v: string }).v}`).join(' ')}\n`);
    };
    const done = watchOutput(ctx, show, { debounceMs: 0 });
    await settle(40);
    assert.equal(stdout.text, 'a=one\n', 'the heartbeat rendered the same text: not printed');
    assert.equal(renders, 2);
    // A burst of changes arrives before the debounced render: one render, one print.
    k.push?.({ type: 'MODIFIED', object: cm('a', '3', 'two') });
    k.push?.({ type: 'ADDED', object: cm('b', '4', 'new') });
    k.push?.({ type: 'MODIFIED', object: cm('b', '5', 'three') });
    await settle(40);
    assert.equal(stdout.text, 'a=one\n\na=two b=three\n');
    assert.equal(renders, 3);
    interrupt.abort();
    assert.equal(await done, 130);
    assert.deepEqual(k.calls, ['list ConfigMap ns', 'watch ConfigMap from 1']);
  });
});

// The in-memory API server answers our client (shared/kube/client.ts) as kube-apiserver does, for the
// requests the client sends: what the in-process command tests rely on.
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInThisContext } from 'node:vm';
import { Kube } from '../../shared/kube/client.js';
import { type KubeObject, type ListOptions, type WatchEvent } from '../../shared/kube/object.js';
import { optionalList } from '../../shared/kube/api-errors.js';
import { KubeApiError } from '../../shared/errors.js';
import { MemoryCluster } from '../support/memory-cluster.js';
import { resolveKubeconfig } from '../../shared/kube/kubeconfig.js';
import { VIEW_METADATA } from '../../shared/kube/lean.js';

const configMap = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default', labels },
  data: { k: name },
});
const cmRef = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', name, namespace: 'default' });
const deployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [] } } },
};
const webRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'default' };

function client(cluster: MemoryCluster): Kube {
  const config = {
    ...resolveKubeconfig(
      [
        {
          path: 'memory',
          content:
            'apiVersion: v1\nkind: Config\nclusters: [{name: m, cluster: {server: "https://memory.cluster.test"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: m, context: {cluster: m, user: u}}]\ncurrent-context: m\n',
        },
      ],
      {},
    ),
    files: [],
  };
  return new Kube(config, 'kubectl-test', { transport: cluster.transport() });
}

/** The error a call rejects with. */
async function failure(p: Promise<unknown>): Promise<KubeApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KubeApiError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('the in-memory API server', () => {
  it('lists in pages of 500 read at one version; a continue token compacted away (410) makes the client list again', async () => {
    const cluster = new MemoryCluster();
    for (let i = 0; i < 1200; i++) cluster.add(configMap(`cm-${String(i).padStart(4, '0')}`, { half: String(i % 2) }));
    const kube = client(cluster);
    const all = await kube.list('v1', 'ConfigMap');
    assert.equal(all.length, 1200);
    assert.deepEqual([all[0].apiVersion, all[0].kind, all[0].metadata?.name], ['v1', 'ConfigMap', 'cm-0000']);
    assert.equal(cluster.requestsByVerb['list'], 3);
    // A write and a compaction between the first and second page: the token is too old.
    let lists = 0;
    cluster.react((call) => {
      if (call.verb === 'list' && ++lists === 2) {
        cluster.add(configMap('cm-late'));
        cluster.compact();
      }
      return undefined;
    });
    const again = await kube.listSnapshot('v1', 'ConfigMap');
    assert.equal(again.items.length, 1201, 'listed again from the start, with the object written meanwhile');
    assert.equal(again.resourceVersion, cluster.version());
    assert.equal(cluster.requestsByVerb['list'], 3 + 2 + 3, 'a page, the 410, then three pages');
  });

  it('selects by label and field', async () => {
    const cluster = new MemoryCluster();
    cluster.add(configMap('a', { tier: 'web', env: 'prod' }), configMap('b', { tier: 'db' }), configMap('c', {}));
    const kube = client(cluster);
    const names = async (labelSelector?: string, fieldSelector?: string) =>
      (await kube.list('v1', 'ConfigMap', { labelSelector, fieldSelector })).map((o) => o.metadata?.name).join(',');
    assert.equal(await names('tier=web'), 'a');
    assert.equal(await names('tier!=web'), 'b,c');
    assert.equal(await names('tier in (web,db),!env'), 'b');
    assert.equal(await names('tier'), 'a,b');
    assert.equal(await names(undefined, 'metadata.name=c'), 'c');
    assert.equal((await failure(kube.list('v1', 'ConfigMap', { labelSelector: 'tier in web' }))).status, 400);
  });

  it('writes as the API server: 409 on a stale version or an existing name, generation follows spec, status is not written through the object', async () => {
    const cluster = new MemoryCluster();
    const kube = client(cluster);
    const made = await kube.create(deployment);
    assert.deepEqual([made.metadata?.generation, made.metadata?.resourceVersion], [1, cluster.version()]);
    assert.equal((await failure(kube.create(deployment))).reason, 'AlreadyExists');
    const stale = made.metadata?.resourceVersion;
    const labelled = await kube.patch(webRef, { metadata: { labels: { a: 'b' } }, status: { replicas: 9 } });
    assert.deepEqual([labelled.metadata?.generation, labelled.status], [1, undefined], 'metadata only: same generation; status ignored');
    const conflict = await failure(kube.patch(webRef, { metadata: { resourceVersion: stale }, spec: { replicas: 2 } }));
    assert.deepEqual([conflict.status, conflict.reason], [409, 'Conflict']);
    assert.match(conflict.message, /kept changing while we updated it/);
    assert.equal((await failure(kube.replace({ ...made, metadata: { ...made.metadata, resourceVersion: stale } }))).status, 409);
    const scaled = await kube.patch(webRef, { metadata: { resourceVersion: labelled.metadata?.resourceVersion }, spec: { replicas: 2 } });
    assert.equal(scaled.metadata?.generation, 2);
    const same = await kube.patch(webRef, { spec: { replicas: 2 } });
    assert.equal(same.metadata?.resourceVersion, scaled.metadata?.resourceVersion, 'no change: no new version');
    assert.equal((await failure(kube.patch(webRef, { spec: {} }, 'strategic'))).status, 415);
    assert.deepEqual(cluster.writes(), [
      'create deployments.apps/web',
      'patch deployments.apps/web',
      'patch deployments.apps/web',
      'patch deployments.apps/web',
    ]);
  });

  it('server-side apply creates or merges; dry runs store nothing; deletes honour their precondition', async () => {
    const cluster = new MemoryCluster();
    const kube = client(cluster);
    await kube.apply(configMap('applied'));
    await kube.apply({ ...configMap('applied'), data: { more: 'x' } });
    assert.deepEqual(cluster.get(cmRef('applied'))?.data, { k: 'applied', more: 'x' });
    await kube.create(configMap('dry'), { dryRun: 'server' });
    await kube.patch(cmRef('applied'), { data: { k: null } }, 'merge', { dryRun: 'server' });
    assert.equal(await kube.delete(cmRef('applied'), { dryRun: 'server' }), true);
    assert.equal(cluster.get(cmRef('dry')), undefined);
    assert.deepEqual(cluster.get(cmRef('applied'))?.data, { k: 'applied', more: 'x' });
    const err = await failure(kube.delete(cmRef('applied'), { preconditionVersion: '1' }));
    assert.deepEqual([err.status, err.reason], [409, 'Conflict']);
    assert.equal(await kube.delete(cmRef('applied'), { preconditionVersion: cluster.get(cmRef('applied'))?.metadata?.resourceVersion }), true);
    assert.equal(await kube.delete(cmRef('applied')), false, 'already gone');
    assert.deepEqual(cluster.writes(), ['patch configmaps/applied', 'patch configmaps/applied', 'delete configmaps/applied']);
    assert.deepEqual(cluster.requestsByVerb, { patch: 3, create: 1, delete: 4 });
  });

  it('watches from a version replay what came after, follow it, send bookmarks, and answer 410 once compacted', async () => {
    const cluster = new MemoryCluster();
    cluster.add(configMap('one', { w: 'yes' }));
    const from = cluster.version();
    cluster.add(configMap('two', { w: 'yes' }), configMap('other'));
    const kube = client(cluster);
    const events: string[] = [];
    const stop = new AbortController();
    const watching = kube.watch(
      'v1',
      'ConfigMap',
      { labelSelector: 'w=yes', resourceVersion: from, timeoutSeconds: 60, signal: stop.signal },
      (e: WatchEvent) => void events.push(`${e.type} ${e.object.metadata?.name ?? ''}`),
    );
    await new Promise((r) => setImmediate(r));
    cluster.update(cmRef('one'), (o) => void (o.metadata!.labels = {})); // leaves the selection
    cluster.bookmark();
    cluster.remove(cmRef('two'));
    await new Promise((r) => setImmediate(r));
    stop.abort();
    await watching;
    assert.deepEqual(events, ['ADDED two', 'DELETED one', 'BOOKMARK ', 'DELETED two']);
    cluster.compact();
    const expired: WatchEvent[] = [];
    await kube.watch('v1', 'ConfigMap', { resourceVersion: from, timeoutSeconds: 60 }, (e) => void expired.push(e));
    assert.deepEqual(
      expired.map((e) => [e.type, (e.object as { code?: number }).code]),
      [['ERROR', 410]],
    );
  });

  it('a group it does not serve is a 404 the client reads as "not installed"', async () => {
    const cluster = new MemoryCluster({ notServed: ['networking.istio.io'] });
    const kube = client(cluster);
    assert.deepEqual(await optionalList(kube.list('networking.istio.io/v1', 'VirtualService')), []);
    assert.match((await failure(kube.list('networking.istio.io/v1', 'VirtualService'))).message, /does not serve virtualservices\.networking\.istio\.io/);
  });
});

describe('lean lists through the client', () => {
  it('types each item in place: apiVersion and kind set, and every item of a kind shares one V8 hidden class', async () => {
    const cluster = new MemoryCluster();
    for (let i = 0; i < 300; i++) cluster.add(configMap(`cm-${i}`, { app: `a${i}` }));
    const kube = client(cluster);
    // A copy per item (a spread) gives each its own hidden class: 7 MB of them at 10,000 objects.
    setFlagsFromString('--allow-natives-syntax');
    const sameShape = runInThisContext('(a, b) => %HaveSameMap(a, b)') as (a: unknown, b: unknown) => boolean;
    const ways: ListOptions[] = [{ lean: true }, { fields: { metadata: VIEW_METADATA, data: true } }];
    for (const opts of ways) {
      const items = await kube.list('v1', 'ConfigMap', opts);
      assert.equal(items.length, 300);
      assert.ok(items.every((it) => it.apiVersion === 'v1' && it.kind === 'ConfigMap'));
      const apart = items.filter((it) => !sameShape(it, items[0])).length;
      assert.equal(apart, 0, `${apart} of 300 items have a hidden class of their own (${JSON.stringify(opts)})`);
    }
  });
});

// kubectl canary status -w, in-process against the memory cluster and a fake clock: it prints once,
// again only when what it shows changes, reads from its watches (no request per render), and comes
// through a watch the server ends or an expired resourceVersion (410) without printing twice.
import assert from 'node:assert/strict';
import { plugin } from '../../plugins/canary/cli.js';
import { WATCH_DEBOUNCE_MS } from '../../shared/cli/watch.js';
import { scenario } from '../support/scenario.js';
import { finish, run, start, until, world, type Running, type World } from '../support/inprocess.js';

const deploy = (name: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', name, namespace: 'default' });
const HEADER = 'CANARY      STABLE      SERVICE   MODE       WEIGHT   EFFECTIVE   CANARY-READY   STABLE-READY   STATUS';
const table = (stableReady: string, canaryBar: string, stableBar: string, weight: string) =>
  [
    HEADER,
    `new-nginx   old-nginx   nginx     replicas   ${weight}      ${weight}         1/1            ${stableReady}            Healthy`,
    '',
    `new-nginx            ${canaryBar} ${weight}`,
    `old-nginx            ${stableBar} ${100 - Number(weight.replace('%', ''))}%`,
    '',
  ].join('\n');
const tables = (r: Running) => r.stdout.text.split(HEADER).length - 1;

async function canaryAt25(): Promise<World> {
  const w = world();
  w.cluster.rollOut().load(scenario('01-l4-canary.yaml'));
  const set = await run(plugin, ['set', 'new-nginx', '25', '--total', '4'], w);
  assert.equal(set.code, 0, set.stderr);
  return w;
}

describe('kubectl canary status -w (in-process)', () => {
  it('prints once, then again only when what it shows changes; renders read the watches, not the server', async () => {
    const w = await canaryAt25();
    const before = w.cluster.requests;
    const r = start(plugin, ['status', 'new-nginx', '-w'], w);
    await until('the first table', () => tables(r) === 1 && w.cluster.watching().length === 4);
    const first = table('3/3', '█████░░░░░░░░░░░░░░░', '███████████████░░░░░', '25%');
    assert.equal(r.stdout.text, first);
    // One list and one watch per kind read (Deployments, Services, VirtualServices, DestinationRules).
    assert.deepEqual(
      w.cluster.calls
        .slice(w.cluster.calls.length - (w.cluster.requests - before))
        .map((c) => c.verb)
        .sort(),
      [...Array<string>(4).fill('list'), ...Array<string>(4).fill('watch')],
    );
    const settled = w.cluster.requests;

    // An hour passes with nothing changed: nothing printed, nothing asked.
    await w.clock.advance(3_600_000);
    assert.equal(r.stdout.text, first);
    // A change that does not show (a label on the Service): rendered again, identical, so not printed.
    w.cluster.update(
      { apiVersion: 'v1', kind: 'Service', name: 'nginx', namespace: 'default' },
      (s) => void (s.metadata!.labels = { run: 'nginx', team: 'a' }),
    );
    await until('the debounce to start', () => w.clock.sleeping().includes(WATCH_DEBOUNCE_MS));
    await w.clock.advance(WATCH_DEBOUNCE_MS);
    assert.equal(r.stdout.text, first, 'same output: not printed again');

    // The stable scaled to 4 (and rolled out): printed again after the debounce, once for the burst.
    w.cluster.update(deploy('old-nginx'), (d) => void ((d.spec as { replicas: number }).replicas = 4));
    await until('the debounce to start', () => w.clock.sleeping().includes(WATCH_DEBOUNCE_MS));
    assert.equal(tables(r), 1, 'not before the debounce');
    await w.clock.advance(WATCH_DEBOUNCE_MS);
    assert.equal(tables(r), 2);
    assert.equal(r.stdout.text, `${first}\n${table('4/4', '████░░░░░░░░░░░░░░░░', '████████████████░░░░', '20%')}`);
    assert.equal(w.cluster.requests, settled, 'every render read the watch cache: no request');

    r.interrupt();
    const done = await finish(r, w);
    assert.deepEqual([done.code, done.stderr], [130, '']);
    assert.deepEqual(w.cluster.watching(), [], 'every watch stopped');
  });

  it('a watch the server ends is opened again from its last version; an expired version (410) lists again, printing nothing new', async () => {
    const w = await canaryAt25();
    const r = start(plugin, ['status', 'new-nginx', '-w'], w);
    await until('the first table', () => tables(r) === 1 && w.cluster.watching().length === 4);
    const lists = () => w.cluster.requestsByVerb['list'] ?? 0;
    const watches = () => w.cluster.requestsByVerb['watch'] ?? 0;
    const [l0, w0] = [lists(), watches()];

    // The server's timeout: each watch is opened again, no list.
    assert.equal(w.cluster.closeWatches(), 4);
    await until('the watches to reopen', () => w.cluster.watching().length === 4);
    assert.deepEqual([lists() - l0, watches() - w0], [0, 4]);

    // Writes it does not watch move the cluster's version on. A bookmark brings the watches up to it,
    // so after a compaction they reopen from there: no list.
    const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: {} });
    w.cluster.add(configMap('unrelated-1'));
    w.cluster.bookmark(); // read before the end of the watch closed next, as on a real connection
    w.cluster.compact();
    assert.equal(w.cluster.closeWatches(), 4);
    await until('the watches to reopen', () => w.cluster.watching().length === 4 && watches() - w0 === 8);
    assert.equal(lists(), l0, 'no list after a bookmark');
    // Without a bookmark the watches' versions are compacted away: 410, and each kind is listed again.
    w.cluster.add(configMap('unrelated-2'));
    w.cluster.compact();
    w.cluster.closeWatches();
    await until('the watches to reopen after re-listing', () => w.cluster.watching().length === 4 && lists() - l0 === 4);
    assert.equal(watches() - w0, 16, 'a watch that got 410, then one from the new list, per kind');
    assert.equal(tables(r), 1, 'nothing it shows changed: printed once');
    // Still live after the re-list: a real change prints.
    w.cluster.update(deploy('old-nginx'), (d) => void ((d.spec as { replicas: number }).replicas = 5));
    await until('the debounce', () => w.clock.sleeping().includes(WATCH_DEBOUNCE_MS));
    await w.clock.advance(WATCH_DEBOUNCE_MS);
    assert.equal(tables(r), 2);
    assert.match(r.stdout.text, / 5\/5 /);
    r.interrupt();
    assert.equal((await finish(r, w)).code, 130);
  });
});

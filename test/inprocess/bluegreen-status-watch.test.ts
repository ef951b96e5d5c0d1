// kubectl bluegreen status -w, in-process against the memory cluster and a fake clock: seed 001 chapter
// 2 split 50/50 by Alibaba's weight annotation; status -w prints once, nothing while nothing changes,
// and again when a `bluegreen set` run beside it changes the split.
import assert from 'node:assert/strict';
import { plugin } from '../../plugins/bluegreen/cli.js';
import { WATCH_DEBOUNCE_MS } from '../../shared/cli/watch.js';
import { scenario } from '../support/scenario.js';
import { endpointSlice, finish, run, start, until, world, type Running } from '../support/inprocess.js';

const NS = 'ingress-demo';
const HEADER = 'NAME           PROVIDER   HOST           PATH   SERVICE     WEIGHT   READY';
const table = (oldPercent: number, oldReady = 1) =>
  [
    HEADER,
    `ingress/echo   aliyun     mini-echo.io   /      old-nginx   ${oldPercent}%      ${oldReady}`,
    `ingress/echo   aliyun     mini-echo.io   /      new-nginx   ${100 - oldPercent}%      1`,
    '',
  ].join('\n');
const tables = (r: Running) => r.stdout.text.split(HEADER).length - 1;

describe('kubectl bluegreen status -w (in-process)', () => {
  it('prints again when the split changes, and only then', async () => {
    const w = world();
    w.cluster.rollOut().load(scenario('02-ingress-bluegreen.yaml'));
    w.cluster.add(endpointSlice(NS, 'old-nginx', 1), endpointSlice(NS, 'new-nginx', 1));
    const set = await run(plugin, ['set', 'echo', 'new-nginx', '50', '--provider', 'aliyun', '-n', NS], w);
    assert.equal(set.code, 0, set.stderr);

    const r = start(plugin, ['status', 'echo', '-w', '-n', NS], w);
    await until('the first table', () => tables(r) === 1);
    assert.equal(r.stdout.text, table(50));
    const asked = w.cluster.requests;
    await w.clock.advance(600_000);
    assert.equal(r.stdout.text, table(50), 'nothing changed in ten minutes: printed once');
    assert.equal(w.cluster.requests, asked, 'and nothing asked of the server');

    // Another command moves the split while status -w watches.
    const change = start(plugin, ['set', 'echo', 'new-nginx', '40', '-n', NS], w);
    await until('the set to finish', () => change.result !== undefined);
    assert.equal(change.result?.code, 0, change.result?.stderr);
    assert.deepEqual(
      w.cluster.writes().filter((x) => x.startsWith('patch ingresses')),
      ['patch ingresses.networking.k8s.io/echo', 'patch ingresses.networking.k8s.io/echo'],
      'the first set and this one, one write each',
    );
    await until('the debounce', () => w.clock.sleeping().includes(WATCH_DEBOUNCE_MS));
    await w.clock.advance(WATCH_DEBOUNCE_MS);
    assert.equal(r.stdout.text, `${table(50)}\n${table(60)}`);

    // A pod of old-nginx stops being ready: the READY column follows its EndpointSlice.
    w.cluster.add(endpointSlice(NS, 'old-nginx', 0));
    await until('the debounce', () => w.clock.sleeping().includes(WATCH_DEBOUNCE_MS));
    await w.clock.advance(WATCH_DEBOUNCE_MS);
    assert.equal(tables(r), 3);
    assert.ok(r.stdout.text.endsWith(table(60, 0)), r.stdout.text);
    assert.match(r.stderr.text, /error: ingress\/echo: service "old-nginx" gets 60% of mini-echo\.io\/ but has no ready endpoints/);

    // Three renders, one deprecation warning: a watch shows each warning once, as kubectl does.
    assert.equal(r.stderr.text.split('annotations are deprecated').length - 1, 1, r.stderr.text);

    r.interrupt();
    const done = await finish(r, w);
    assert.equal(done.code, 130);
    assert.deepEqual(w.cluster.watching(), []);
  });
});

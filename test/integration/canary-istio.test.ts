// kubectl canary in Istio mode on the real control plane, seed 002: Bookinfo's reviews in three
// versions, subsets v1-v3, all traffic to v1 and end-user jason to v2. set, status, promote and abort
// change only the default route (and replicas where they say so), and istioctl accepts what they write.
import assert from 'node:assert/strict';
import { assertShare } from '../support/share.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { sharedCluster } from '../support/fixture.js';
import { REPO_ROOT, bin } from '../harness/binaries.js';
import type { Cluster } from '../harness/cluster.js';
import { startDataPlane } from '../playground/dataplane.js';

const NS = 'canary-istio';
const JASON = { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] };
const ALL_V1 = { route: [{ destination: { host: 'reviews', subset: 'v1' } }] };
const split = (v1: number, v2: number) => ({
  route: [
    { destination: { host: 'reviews', subset: 'v1' }, weight: v1 },
    { destination: { host: 'reviews', subset: 'v2' }, weight: v2 },
  ],
});

describe('kubectl canary (istio mode, bookinfo reviews)', function () {
  this.timeout(180_000);
  let c: Cluster;
  const canary = (args: string[]) =>
    execa(join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary'), [...args, '-n', NS, '--kubeconfig', c.kubeconfig], {
      reject: false,
      stdin: 'ignore',
      env: { NO_COLOR: '1', PATH: process.env['PATH'] ?? '' },
      extendEnv: false,
    });
  const getJson = async <T>(kind: string, name: string): Promise<T> => JSON.parse((await c.kubectl(['-n', NS, 'get', kind, name, '-o', 'json'])).stdout) as T;
  const http = async () => (await getJson<{ spec: { http: unknown[] } }>('virtualservice', 'reviews')).spec.http;
  const ours = async () =>
    Object.keys((await getJson<{ metadata: { annotations?: Record<string, string> } }>('virtualservice', 'reviews')).metadata.annotations ?? {}).filter((k) =>
      k.startsWith('traffic.'),
    );
  const replicas = async () =>
    (
      await c.kubectl(['-n', NS, 'get', 'deploy', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.replicas}/{.status.readyReplicas} {end}'])
    ).stdout.trim();

  before(async () => {
    c = await sharedCluster();
    const seed = readFileSync(join(REPO_ROOT, 'test/playground/scenarios/03-bookinfo-reviews.yaml'), 'utf8').replace(/bookinfo/g, NS);
    await c.apply(seed);
    await c.apply(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: ${NS}}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route: [{destination: {host: reviews, subset: v1}}]
`);
    await c.kubectl(['-n', NS, 'scale', 'deployment/reviews-v1', '--replicas=2']);
    await c.kubectl(['-n', NS, 'wait', '--for=condition=Available', 'deployment', '--all', '--timeout=60s']);
  });

  it('set: three versions behind the Service, the stable is the one the route favours (v1); only the default route changes', async () => {
    const r = await canary(['set', 'reviews-v2', '20', '-v']);
    assert.equal(r.exitCode, 0, r.stderr);
    // The four lists and the DestinationRules (to tell v1 from v3) find the VirtualService; its lock; the
    // same five lists again under it; one write, unlock.
    assert.match(r.stderr, /I: 13 API requests to \S+ \(list 10, create 1, patch 1, delete 1\)$/);
    assert.equal(
      r.stdout,
      'virtualservice.networking.istio.io/reviews configured\ncanary reviews-v2 gets 20% of service/reviews (subset v2; mode istio, virtualservice/reviews)',
    );
    assert.deepEqual(await http(), [JASON, split(80, 20)]);
    const yaml = (await c.kubectl(['-n', NS, 'get', 'virtualservice,destinationrule', '-o', 'yaml'])).stdout;
    const validate = await execa(bin('istioctl'), ['validate', '-f', '-'], { input: yaml, reject: false });
    assert.equal(validate.exitCode, 0, validate.stderr + validate.stdout);

    // The playground's data plane follows the weights as Envoy would: the probe sees about 20% v2.
    const dp = await startDataPlane({ kubeconfig: c.kubeconfig, refreshMs: 100 });
    try {
      await dp.refresh();
      const p = await canary([
        'probe',
        `http://127.0.0.1:${dp.port}/`,
        '--host',
        `reviews.${NS}`,
        '--count',
        '400',
        '--concurrency',
        '20',
        '--canary',
        'reviews-v2',
        '-o',
        'json',
      ]);
      assert.equal(p.exitCode, 0, p.stderr);
      const doc = JSON.parse(p.stdout) as { errors: number; canary: { configuredPercent: number; observedPercent: number } };
      assert.deepEqual([doc.errors, doc.canary.configuredPercent], [0, 20]);
      assertShare(doc.canary.observedPercent, 20, 400, 'reviews-v2');
      const j = await canary(['probe', `http://127.0.0.1:${dp.port}/`, '--host', `reviews.${NS}`, '-H', 'end-user: jason', '--count', '30', '-o', 'json']);
      assert.deepEqual(
        (JSON.parse(j.stdout) as { versions: { version: string; count: number }[] }).versions.map((v) => [v.version, v.count]),
        [['v2', 30]],
        'the jason route still wins',
      );
    } finally {
      await dp.close();
    }
  });

  it('status: mode istio, weights from the route; listed without a name because set recorded it', async () => {
    const r = await canary(['status', '-o', 'json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const [view] = (JSON.parse(r.stdout) as { items: Record<string, unknown>[] }).items;
    assert.deepEqual(view, {
      namespace: NS,
      service: 'reviews',
      mode: 'istio',
      virtualService: 'reviews',
      canary: { deployment: 'reviews-v2', desired: 1, ready: 1, weight: 20, effectiveWeight: 20, health: 'Healthy' },
      stable: { deployment: 'reviews-v1', desired: 2, ready: 2, weight: 80, effectiveWeight: 80, health: 'Healthy' },
      health: 'Healthy',
    });
  });

  it('promote: the canary scaled to the capacity first, all weight to it, then the stable to 0; abort undoes all of it', async () => {
    const p = await canary(['promote', 'reviews-v2']);
    assert.equal(p.exitCode, 0, p.stderr);
    assert.equal(
      p.stdout,
      [
        'deployment.apps/reviews-v2 scaled (1 -> 3)',
        'virtualservice.networking.istio.io/reviews configured',
        'deployment.apps/reviews-v1 scaled (2 -> 0)',
        'canary reviews-v2 promoted: all traffic of service/reviews (subset v2 of virtualservice/reviews)',
      ].join('\n'),
    );
    assert.deepEqual(await http(), [JASON, split(0, 100)]);
    assert.equal(await replicas(), 'reviews-v1=0/ reviews-v2=3/3 reviews-v3=1/1');

    const a = await canary(['abort', 'reviews-v2']);
    assert.equal(a.exitCode, 0, a.stderr);
    assert.equal(
      a.stdout,
      [
        'deployment.apps/reviews-v1 scaled (0 -> 2)',
        'virtualservice.networking.istio.io/reviews configured',
        'deployment.apps/reviews-v2 scaled (3 -> 1)',
        'canary reviews-v2 aborted: all traffic of service/reviews to the route of virtualservice/reviews from before the canary',
      ].join('\n'),
    );
    assert.deepEqual(await http(), [JASON, ALL_V1], 'the route from before the first set, jason route untouched');
    assert.deepEqual(await ours(), [], 'no state left on the VirtualService');
    assert.equal(await replicas(), 'reviews-v1=2/2 reviews-v2=1/1 reviews-v3=1/1');
    const again = await canary(['abort', 'reviews-v2']);
    assert.equal(again.exitCode, 0, again.stderr);
    assert.match(again.stdout, /^virtualservice\.networking\.istio\.io\/reviews unchanged\n/);
  });

  it('route: a header route to a Deployment without a subset, first in the list; --remove leaves the objects as they were', async () => {
    // Take v3 out of the rule, so routing to reviews-v3 has to add a subset.
    await c.kubectl(['-n', NS, 'patch', 'destinationrule', 'reviews', '--type', 'json', '-p', '[{"op":"remove","path":"/spec/subsets/2"}]']);
    const rule = async () => await getJson<{ metadata: { annotations?: Record<string, string> }; spec: unknown }>('destinationrule', 'reviews');
    const ruleBefore = await rule();
    const add = await canary(['route', 'reviews', '--header', 'End-User=ana', '--to', 'reviews-v3']);
    assert.equal(add.exitCode, 0, add.stderr);
    assert.equal(
      add.stdout,
      'destinationrule.networking.istio.io/reviews configured\nvirtualservice.networking.istio.io/reviews configured\nroute end-user=ana -> subset v3 added to virtualservice/reviews',
    );
    const [first, ...rest] = (await http()) as { match?: unknown; route?: unknown }[];
    assert.deepEqual([first.match, first.route], [[{ headers: { 'end-user': { exact: 'ana' } } }], [{ destination: { host: 'reviews', subset: 'v3' } }]]);
    assert.deepEqual(rest, [JASON, ALL_V1]);
    const cookie = await canary(['route', 'reviews', '--cookie', 'beta=on', '--to', 'v2']);
    assert.equal(cookie.exitCode, 0, cookie.stderr);
    const yaml = (await c.kubectl(['-n', NS, 'get', 'virtualservice,destinationrule', '-o', 'yaml'])).stdout;
    const validate = await execa(bin('istioctl'), ['validate', '-f', '-'], { input: yaml, reject: false });
    assert.equal(validate.exitCode, 0, validate.stderr + validate.stdout);
    const again = await canary(['route', 'reviews', '--header', 'end-user=ana', '--to', 'reviews-v3', '-o', 'json']);
    assert.equal((JSON.parse(again.stdout) as { action: string }).action, 'unchanged');

    const remove = await canary(['route', 'reviews', '--header', 'end-user=ana', '--remove']);
    assert.equal(remove.exitCode, 0, remove.stderr);
    assert.equal(
      remove.stdout,
      'virtualservice.networking.istio.io/reviews configured\ndestinationrule.networking.istio.io/reviews configured\nroute end-user=ana removed from virtualservice/reviews',
    );
    const removeCookie = await canary(['route', 'reviews', '--cookie', 'beta=on', '--remove']);
    assert.equal(removeCookie.exitCode, 0, removeCookie.stderr);
    assert.deepEqual(await http(), [JASON, ALL_V1], 'routes as before');
    const ruleAfter = await rule();
    assert.deepEqual([ruleAfter.spec, ruleAfter.metadata.annotations], [ruleBefore.spec, ruleBefore.metadata.annotations], 'subsets and annotations as before');
    const none = await canary(['route', 'reviews', '--header', 'end-user=ana', '--remove']);
    assert.deepEqual(
      [none.exitCode, none.stdout],
      [0, 'virtualservice.networking.istio.io/reviews unchanged\nno route end-user=ana in virtualservice/reviews: nothing to remove'],
    );
    const usage = await canary(['route', 'reviews', '--to', 'v2']);
    assert.deepEqual(
      [usage.exitCode, usage.stderr],
      [2, 'error: say which requests to route: --header NAME=VALUE, --header-prefix, --header-regex or --cookie NAME=VALUE'],
    );
  });

  it('dry runs write nothing; a version with no ready pods gets no weight', async () => {
    const d = await canary(['set', 'reviews-v2', '50', '--dry-run=server']);
    assert.equal(d.exitCode, 0, d.stderr);
    assert.equal(
      d.stdout,
      'virtualservice.networking.istio.io/reviews configured (server dry run)\ncanary reviews-v2 would get 50% of service/reviews (subset v2; mode istio, virtualservice/reviews)',
    );
    assert.deepEqual(await http(), [JASON, ALL_V1]);
    await c.kubectl(['-n', NS, 'scale', 'deployment/reviews-v3', '--replicas=0']);
    await c.kubectl(['-n', NS, 'rollout', 'status', 'deployment/reviews-v3', '--timeout=60s']);
    const empty = await canary(['set', 'reviews-v3', '10', '--stable', 'reviews-v1']);
    assert.deepEqual([empty.exitCode, empty.stdout], [1, '']);
    assert.match(empty.stderr, /^error: deployment "reviews-v3" has no ready pods, so 10% of the traffic would fail; scale it up first/);
  });

  it('run: Istio weights step by step, then the promote; abort brings the route back', async () => {
    const r = await canary(['run', 'reviews-v2', '--steps', '30,60', '--interval', '1s']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^step 1\/2: reviews-v2 to 30%\nvirtualservice\.networking\.istio\.io\/reviews configured\n/);
    assert.match(
      r.stdout,
      /\nstep 2\/2: ok\ndeployment\.apps\/reviews-v2 scaled \(1 -> 3\)\nvirtualservice\.networking\.istio\.io\/reviews configured\ndeployment\.apps\/reviews-v1 scaled \(2 -> 0\)\ncanary reviews-v2 promoted after 2 steps: all traffic of service\/reviews$/,
    );
    assert.deepEqual(await http(), [JASON, split(0, 100)]);
    const a = await canary(['abort', 'reviews-v2']);
    assert.equal(a.exitCode, 0, a.stderr);
    assert.deepEqual(await http(), [JASON, ALL_V1]);
    assert.deepEqual(await ours(), []);
  });
});

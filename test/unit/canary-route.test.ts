// The header-route planner: insertion first, idempotence, moves, removal with the subsets it added.
import assert from 'node:assert/strict';
import { cookieMatch, describeMatch, planRoute, type HeaderMatch, type RouteInput } from '../../plugins/canary/header-route.js';
import type { DestinationRule, HttpRoute, VirtualService } from '../../shared/istio/types.js';
import type { Deployment } from '../../shared/kube/types.js';

const NS = 'bookinfo';
const reviews = (v: string): Deployment => ({
  metadata: { name: `reviews-${v}`, namespace: NS },
  spec: { template: { metadata: { labels: { app: 'reviews', version: v } } } },
});
const service = { metadata: { name: 'reviews', namespace: NS }, spec: { selector: { app: 'reviews' } } };
const DEFAULT: HttpRoute = { route: [{ destination: { host: 'reviews', subset: 'v1', port: { number: 9080 } } }] };
const vs = (http: HttpRoute[]): VirtualService => ({ metadata: { name: 'reviews', namespace: NS, resourceVersion: '3' }, spec: { hosts: ['reviews'], http } });
const rule = (versions: string[], extra: Record<string, unknown> = {}): DestinationRule => ({
  metadata: { name: 'reviews', namespace: NS, resourceVersion: '4', ...extra },
  spec: { host: 'reviews', subsets: versions.map((v) => ({ name: v, labels: { version: v } })) },
});
const jason: HeaderMatch[] = [{ header: 'end-user', kind: 'exact', value: 'jason' }];
const input = (http: HttpRoute[], rules: DestinationRule[], to?: string, matches = jason): RouteInput => {
  const v = vs(http);
  return { svc: { namespace: NS, service }, behind: ['v1', 'v2', 'v3'].map(reviews), vs: v, virtualServices: [v], rules, matches, to };
};

describe('canary header routes', () => {
  it('seed 002: end-user=jason to v2 goes first, with the host form and port the routes already use', () => {
    const p = planRoute(input([DEFAULT], [rule(['v1', 'v2'])], 'v2'));
    assert.equal(p.action, 'added');
    assert.equal(p.rule, undefined, 'the subset exists');
    const [first, second] = p.virtualService!.spec!.http!;
    assert.deepEqual(first.match, [{ headers: { 'end-user': { exact: 'jason' } } }]);
    assert.deepEqual(first.route, [{ destination: { host: 'reviews', subset: 'v2', port: { number: 9080 } } }]);
    assert.match(first.name!, /^kubectl-canary-[0-9a-f]{10}$/);
    assert.deepEqual(second, DEFAULT);
    assert.equal(p.virtualService!.metadata?.resourceVersion, '3', 'conditional on the version read');
  });

  it('the same route again changes nothing; to another version it moves in place', () => {
    const once = planRoute(input([DEFAULT], [rule(['v1', 'v2', 'v3'])], 'v2')).virtualService!.spec!.http!;
    assert.deepEqual(planRoute(input(once, [rule(['v1', 'v2', 'v3'])], 'v2')), { action: 'unchanged', subset: 'v2' });
    const moved = planRoute(input(once, [rule(['v1', 'v2', 'v3'])], 'v3'));
    assert.equal(moved.action, 'moved');
    assert.equal(moved.virtualService!.spec!.http!.length, 2);
    assert.equal(moved.virtualService!.spec!.http![0].route![0].destination!.subset, 'v3');
  });

  it('to a Deployment without a subset: the subset is added first (and recorded), and removed after the route goes', () => {
    const added = planRoute(input([DEFAULT], [rule(['v1'])], 'reviews-v3'));
    assert.equal(added.subset, 'v3');
    assert.deepEqual(added.rule, {
      action: 'patch',
      order: 'before',
      object: {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'reviews', namespace: NS, resourceVersion: '4' },
        spec: {
          subsets: [
            { name: 'v1', labels: { version: 'v1' } },
            { name: 'v3', labels: { version: 'v3' } },
          ],
        },
      },
      state: { 'traffic.kubectl-plugins.io/added-subsets': '["v3"]' },
    });
    const written = rule(['v1', 'v3'], { annotations: { 'traffic.kubectl-plugins.io/added-subsets': '["v3"]' } });
    const removed = planRoute(input(added.virtualService!.spec!.http!, [written]));
    assert.equal(removed.action, 'removed');
    assert.deepEqual(removed.virtualService!.spec!.http, [DEFAULT]);
    assert.deepEqual(removed.rule, {
      action: 'patch',
      order: 'after',
      object: {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'reviews', namespace: NS, resourceVersion: '4' },
        spec: { subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
      },
      state: { 'traffic.kubectl-plugins.io/added-subsets': null },
    });
  });

  it('a subset we added is kept while another route still uses it; a rule we created goes when emptied', () => {
    const ours = rule(['v3'], {
      labels: { 'app.kubernetes.io/managed-by': 'kubectl-canary' },
      annotations: { 'traffic.kubectl-plugins.io/added-subsets': '["v3"]' },
    });
    const route = {
      name: 'kubectl-canary-x',
      match: [{ headers: { 'end-user': { exact: 'jason' } } }],
      route: [{ destination: { host: 'reviews', subset: 'v3' } }],
    };
    const other = { match: [{ uri: { prefix: '/beta' } }], route: [{ destination: { host: 'reviews', subset: 'v3' } }] };
    assert.equal(planRoute(input([route, other, { route: [{ destination: { host: 'reviews' } }] }], [ours])).rule, undefined, 'still routed to by /beta');
    const gone = planRoute(input([route, { route: [{ destination: { host: 'reviews' } }] }], [ours]));
    assert.equal(gone.rule?.action, 'delete');
    assert.equal(gone.rule?.order, 'after');
  });

  it('removing a route that is not there is a no-op; an unknown --to is one clear error', () => {
    assert.deepEqual(planRoute(input([DEFAULT], [rule(['v1'])])), { action: 'absent' });
    assert.throws(
      () => planRoute(input([DEFAULT], [rule(['v1'])], 'v9')),
      /"v9" is neither a subset of destinationrule\/reviews nor a Deployment behind service "reviews"; name one of subset v1, deployment reviews-v1/,
    );
  });

  it('cookies match the Cookie header anywhere in it, with the name and value taken literally', () => {
    const m = cookieMatch('canary', 'a.b');
    const re = new RegExp(m.value);
    for (const header of ['canary=a.b', 'x=1; canary=a.b', 'x=1;canary=a.b; y=2']) assert.ok(re.test(header), header);
    for (const header of ['canary=aXb', 'notcanary=a.b', 'canary=a.bc']) assert.ok(!re.test(header), header);
    assert.equal(describeMatch([m, { header: 'x-beta', kind: 'prefix', value: 'on' }]), 'cookie canary=a.b,x-beta^=on');
  });
});

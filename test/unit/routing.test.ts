import assert from 'node:assert/strict';
import { fqdn, matches, route, type Snapshot } from '../playground/routing.js';

const base: Snapshot = {
  services: [{ namespace: 'bookinfo', name: 'reviews' }],
  endpoints: [
    { namespace: 'bookinfo', service: 'reviews', podName: 'r1', ip: '10.0.0.1', ready: true },
    { namespace: 'bookinfo', service: 'reviews', podName: 'r2', ip: '10.0.0.2', ready: true },
    { namespace: 'bookinfo', service: 'reviews', podName: 'r3', ip: '10.0.0.3', ready: false },
  ],
  pods: [
    { namespace: 'bookinfo', name: 'r1', labels: { version: 'v1' } },
    { namespace: 'bookinfo', name: 'r2', labels: { version: 'v2' } },
    { namespace: 'bookinfo', name: 'r3', labels: { version: 'v3' } },
  ],
  virtualServices: [],
  destinationRules: [
    {
      namespace: 'bookinfo',
      host: 'reviews',
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' } },
      ],
    },
  ],
  ingresses: [],
};

describe('data plane routing', () => {
  it('expands hosts as cluster DNS does', () => {
    assert.equal(fqdn('reviews', 'bookinfo'), 'reviews.bookinfo.svc.cluster.local');
    assert.equal(fqdn('reviews.bookinfo', 'x'), 'reviews.bookinfo.svc.cluster.local');
    assert.equal(fqdn('reviews.bookinfo.svc:9080', 'x'), 'reviews.bookinfo.svc.cluster.local');
    assert.equal(fqdn('mini-echo.io', 'x'), 'mini-echo.io.svc.cluster.local');
  });

  it('string matches: exact, prefix, regex (anchored)', () => {
    assert.ok(matches({ exact: 'jason' }, 'jason'));
    assert.ok(!matches({ exact: 'jason' }, undefined));
    assert.ok(matches({ prefix: 'ja' }, 'jason'));
    assert.ok(matches({ regex: 'j.*n' }, 'jason'));
    assert.ok(!matches({ regex: 'ason' }, 'jason'));
  });

  it('a Service picks among ready endpoints only', () => {
    const seen = new Set<string>();
    for (const r of [0, 0.49, 0.5, 0.99]) {
      const d = route(base, { host: 'reviews.bookinfo', path: '/', headers: {} }, () => r);
      assert.equal(d.status, 200);
      if (d.status === 200) seen.add(d.version);
    }
    assert.deepEqual([...seen].sort(), ['v1', 'v2']);
  });

  it('a VirtualService: first matching route, weights by the random draw, subsets by labels', () => {
    const s: Snapshot = {
      ...base,
      virtualServices: [
        {
          namespace: 'bookinfo',
          name: 'reviews',
          hosts: ['reviews'],
          http: [
            { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] },
            {
              route: [
                { destination: { host: 'reviews', subset: 'v1' }, weight: 80 },
                { destination: { host: 'reviews', subset: 'v2' }, weight: 20 },
              ],
            },
          ],
        },
      ],
    };
    const v = (headers: Record<string, string>, r: number) => {
      const d = route(s, { host: 'reviews.bookinfo', path: '/', headers }, () => r);
      return d.status === 200 ? `${d.version} ${d.via}` : `${d.status}`;
    };
    assert.equal(v({ 'end-user': 'jason' }, 0.1), 'v2 virtualservice/reviews');
    assert.equal(v({}, 0.79), 'v1 virtualservice/reviews');
    assert.equal(v({}, 0.81), 'v2 virtualservice/reviews');
    const ghost = { ...s, destinationRules: [] };
    const d = route(ghost, { host: 'reviews.bookinfo', path: '/', headers: {} }, () => 0);
    assert.equal(d.status, 503);
  });

  it('Ingress: host and longest path prefix choose the Service; unknown hosts are 404', () => {
    const s: Snapshot = {
      ...base,
      ingresses: [
        {
          namespace: 'bookinfo',
          name: 'web',
          rules: [
            {
              host: 'shop.io',
              paths: [
                { path: '/', pathType: 'Prefix', service: 'missing' },
                { path: '/reviews', pathType: 'Prefix', service: 'reviews' },
              ],
            },
          ],
        },
      ],
    };
    const d = route(s, { host: 'shop.io', path: '/reviews/1', headers: {} }, () => 0);
    assert.equal(d.status === 200 && d.via, 'ingress/web');
    assert.equal(route(s, { host: 'shop.io', path: '/', headers: {} }).status, 503);
    assert.equal(route(s, { host: 'other.io', path: '/', headers: {} }).status, 404);
  });
});

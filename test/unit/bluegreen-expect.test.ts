import assert from 'node:assert/strict';
import { expectedShares, previewMatches, serviceVersion, slotFor } from '../../plugins/bluegreen/expect.js';
import type { Slot } from '../../plugins/bluegreen/model.js';
import type { Pod, Service } from '../../shared/kube/types.js';

const pod = (name: string, labels: Record<string, string>, deleting = false): Pod => ({
  metadata: { name, labels, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
});
const svc = (name: string, selector: Record<string, string>): Service => ({ metadata: { name }, spec: { selector } });
const pods = [
  pod('o1', { run: 'old-nginx', version: 'old' }),
  pod('n1', { run: 'new-nginx', version: 'new' }),
  pod('n0', { run: 'new-nginx', version: 'older' }, true),
  pod('m1', { run: 'mixed', version: 'a' }),
  pod('m2', { run: 'mixed', version: 'b' }),
];
const services = [svc('old-nginx', { run: 'old-nginx' }), svc('new-nginx', { run: 'new-nginx' }), svc('mixed', { run: 'mixed' }), svc('headless', {})];

const slots: Slot[] = [
  {
    host: 'mini-echo.io',
    path: '/',
    backends: [
      { service: 'old-nginx', percent: 70 },
      { service: 'new-nginx', percent: 30 },
    ],
    preview: { service: 'new-nginx', header: { name: 'X-Env', value: 'test' } },
  },
  { host: 'mini-echo.io', path: '/api', backends: [{ service: 'mixed', percent: 100 }] },
  { host: 'a.io,b.io', path: '/', backends: [{ service: 'old-nginx', percent: 100 }], preview: { service: 'new-nginx', cookie: 'beta' } },
];

describe('bluegreen probe expectations', () => {
  it('a request lands in the slot of its host with the longest path prefix', () => {
    assert.equal(slotFor(slots, 'mini-echo.io', '/api/v1')?.path, '/api');
    assert.equal(slotFor(slots, 'mini-echo.io', '/')?.path, '/');
    assert.equal(slotFor(slots, 'b.io', '/x')?.host, 'a.io,b.io');
    assert.equal(slotFor(slots, 'other.io', '/'), undefined);
  });

  it('the version of a Service is the one its live pods agree on', () => {
    assert.equal(serviceVersion(services[0], pods), 'old');
    assert.equal(serviceVersion(services[1], pods), 'new', 'terminating pods do not count');
    assert.equal(serviceVersion(services[2], pods), undefined, 'two versions');
    assert.equal(serviceVersion(services[3], pods), undefined, 'no selector');
  });

  it('previews match by header value (names case-insensitive), pattern, or cookie=always', () => {
    assert.ok(previewMatches({ service: 's', header: { name: 'X-Env', value: 'test' } }, { 'x-env': 'test' }));
    assert.ok(!previewMatches({ service: 's', header: { name: 'X-Env', value: 'test' } }, { 'x-env': 'prod' }));
    assert.ok(previewMatches({ service: 's', header: { name: 'x-env', pattern: '^te' } }, { 'x-env': 'test' }));
    assert.ok(previewMatches({ service: 's', cookie: 'beta' }, { cookie: 'a=1; beta=always' }));
    assert.ok(!previewMatches({ service: 's', cookie: 'beta' }, { cookie: 'beta=never' }));
  });

  it('shares: the weights, or all to the preview Service for a request that carries its header', () => {
    assert.deepEqual(expectedShares(slots[0], {}, services, pods), [
      { service: 'old-nginx', percent: 70, version: 'old' },
      { service: 'new-nginx', percent: 30, version: 'new' },
    ]);
    assert.deepEqual(expectedShares(slots[0], { 'x-env': 'test' }, services, pods), [{ service: 'new-nginx', percent: 100, version: 'new' }]);
    assert.deepEqual(expectedShares(slots[1], {}, services, pods), [{ service: 'mixed', percent: 100, version: undefined }]);
  });
});

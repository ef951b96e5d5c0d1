import assert from 'node:assert/strict';
import { canaryLock, otherCanary } from '../../plugins/canary/target.js';
import { decideMode, type Decided } from '../../plugins/canary/decide.js';
import type { Topology } from '../../plugins/canary/topology.js';
import { KubeApiError } from '../../shared/errors.js';
import { conflictBackoffMs, retryOnConflict } from '../../shared/kube/conflict.js';
import { leaseExpired, lockTarget, takeoverAt, type Lease } from '../../shared/kube/lock.js';
import { dnsSubdomain } from '../../shared/validate.js';
import type { Deployment } from '../../shared/kube/types.js';
import type { VirtualService } from '../../shared/istio/types.js';

const lease = (renewTime: string | undefined, seconds = 15): Lease => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'x', namespace: 'ns', resourceVersion: '7' },
  spec: { holderIdentity: 'someone', leaseDurationSeconds: seconds, ...(renewTime ? { renewTime } : {}) },
});

describe('lock names', () => {
  it('one Lease per traffic target: kind and name, the same for every plugin', () => {
    assert.deepEqual(lockTarget('Service', 'shop', 'nginx'), { namespace: 'shop', name: 'kubectl-traffic.service.nginx', what: 'service/nginx' });
    assert.equal(lockTarget('VirtualService', 'shop', 'reviews').name, 'kubectl-traffic.virtualservice.reviews');
    assert.notEqual(lockTarget('Service', 'shop', 'nginx').name, lockTarget('Ingress', 'shop', 'nginx').name);
  });

  it('a name too long for a Lease is cut and ends in a hash of the whole: valid, stable, distinct', () => {
    const long = `${'a'.repeat(120)}.${'b'.repeat(120)}`;
    const a = lockTarget('VirtualService', 'ns', long).name;
    const b = lockTarget('VirtualService', 'ns', `${long}x`).name;
    assert.ok(a.length <= 253, `${a.length}`);
    assert.equal(dnsSubdomain(a, 'lease name'), a);
    assert.equal(a, lockTarget('VirtualService', 'ns', long).name);
    assert.notEqual(a, b);
    assert.match(a, /^kubectl-traffic\.virtualservice\.a+.*-[0-9a-f]{16}$/);
  });
});

describe('lease expiry', () => {
  const t0 = Date.parse('2026-12-01T08:00:00Z');

  it('expired by its timestamps once its duration has passed without renewal', () => {
    const l = lease('2026-12-01T08:00:00.000000Z');
    assert.equal(leaseExpired(l, new Date(t0 + 14_999)), false);
    assert.equal(leaseExpired(l, new Date(t0 + 15_000)), true);
    assert.equal(leaseExpired(lease(undefined), new Date(t0)), true);
  });

  it('a waiter takes over a duration after it saw the last renewal, by its own clock', () => {
    const l = lease('2026-12-01T08:00:00.000000Z');
    // Seen right after the renewal: 15 s later.
    assert.equal(takeoverAt(l, t0 + 100), t0 + 15_100);
    // A renewTime 20 s old when first seen (a holder's clock behind ours, or a holder dead 20 s): at most
    // two durations after it, whatever our own watching says...
    const behind = lease('2026-12-01T07:59:40.000000Z');
    assert.equal(takeoverAt(behind, t0), t0 + 10_000);
    // ...and a lease not renewed for over two durations (a holder long dead) is taken over at once.
    const dead = lease('2026-12-01T07:00:00.000000Z');
    assert.ok(takeoverAt(dead, t0) <= t0);
    // A long-held lease of an older version (660 s) keeps its own duration.
    assert.equal(takeoverAt(lease('2026-12-01T08:00:00.000000Z', 660), t0), t0 + 660_000);
  });
});

describe('conflict retries', () => {
  const conflict = () => new KubeApiError('the object has been modified; run the command again', 409, 'Conflict');

  it('back off exponentially with jitter, capped at 2 s', () => {
    assert.equal(
      conflictBackoffMs(1, () => 0),
      25,
    );
    assert.equal(
      conflictBackoffMs(1, () => 1),
      50,
    );
    assert.equal(
      conflictBackoffMs(3, () => 1),
      200,
    );
    assert.equal(
      conflictBackoffMs(30, () => 1),
      2000,
    );
    assert.equal(
      conflictBackoffMs(30, () => 0),
      1000,
    );
  });

  it('retry for as long as the timeout allows, then say how many attempts were made', async () => {
    let now = 0;
    let attempts = 0;
    const opts = { timeoutMs: 10_000, clock: { now: () => new Date(now), sleep: async (ms: number) => void (now += ms) }, random: () => 1 };
    await assert.rejects(
      retryOnConflict(async () => {
        attempts++;
        throw conflict();
      }, opts),
      (e: Error) => e instanceof KubeApiError && /gave up after \d+ attempts in \d+s\); run the command again$/.test(e.message),
    );
    assert.ok(attempts > 5, `${attempts} attempts`);
    assert.ok(now <= 10_000, `${now} ms`);
    // A conflict that clears succeeds; other errors are not retried.
    let n = 0;
    assert.equal(await retryOnConflict(async () => (++n < 3 ? Promise.reject(conflict()) : 'ok'), opts), 'ok');
    await assert.rejects(
      retryOnConflict(async () => Promise.reject(new KubeApiError('forbidden', 403, 'Forbidden')), opts),
      /forbidden/,
    );
  });
});

describe('canary traffic targets', () => {
  const dep = (name: string, replicas: number, annotations: Record<string, string> = {}): Deployment => ({
    metadata: { name, namespace: 'shop', annotations },
    spec: { replicas, template: { metadata: { labels: { app: 'nginx', run: name } } } },
  });
  const baseline = (v: Record<string, number>) => ({ 'traffic.kubectl-plugins.io/previous-replicas': JSON.stringify(v) });
  const vs = (canary: string | undefined, weights: [string, number][]): VirtualService => ({
    metadata: { name: 'nginx', namespace: 'shop', annotations: canary ? { 'traffic.kubectl-plugins.io/canary': canary } : {} },
    spec: { hosts: ['nginx'], http: [{ route: weights.map(([subset, weight]) => ({ destination: { host: 'nginx', subset }, weight })) }] },
  });
  const topo = (canary: Deployment, stable: Deployment, virtualServices: VirtualService[] = []): Topology => ({
    namespace: 'shop',
    service: { metadata: { name: 'nginx', namespace: 'shop' }, spec: { selector: { app: 'nginx' } } },
    canary,
    stable,
    autoscalers: [],
    virtualServices,
    others: [],
  });

  it('locks the Service in replicas mode and the VirtualService under Istio, whichever Deployment is named', () => {
    const lockOf = (t: Topology) => {
      const d = decideMode(t, { force: false });
      assert.notEqual(d.mode, 'refused');
      return canaryLock(t, d as Decided).name;
    };
    assert.equal(lockOf(topo(dep('new-nginx', 1), dep('old-nginx', 1))), 'kubectl-traffic.service.nginx');
    assert.equal(lockOf(topo(dep('old-nginx', 1), dep('new-nginx', 1))), 'kubectl-traffic.service.nginx');
    assert.equal(lockOf(topo(dep('new-nginx', 1), dep('old-nginx', 1), [vs(undefined, [['v1', 100]])])), 'kubectl-traffic.virtualservice.nginx');
  });

  it('refuses a second canary on a Service another canary is changing, with the commands that finish or undo it', () => {
    // set new-nginx 50 recorded its baseline; now set old-nginx is asked for.
    const t = topo(dep('old-nginx', 1), dep('new-nginx', 1, baseline({ 'old-nginx': 1, 'new-nginx': 1 })));
    assert.equal(otherCanary(t), 'new-nginx');
    const decision = decideMode(t, { force: false });
    assert.equal(
      decision.mode === 'refused' ? decision.error.message : decision.mode,
      'service "nginx" is already being changed by canary new-nginx; finish it (kubectl canary promote new-nginx -n shop) or undo it (kubectl canary abort new-nginx -n shop) before starting canary old-nginx',
    );
    // The same canary again is no second canary; a promoted one (its stable at 0) is finished.
    assert.equal(otherCanary(topo(dep('new-nginx', 1, baseline({ 'old-nginx': 1, 'new-nginx': 1 })), dep('old-nginx', 1))), undefined);
    assert.equal(otherCanary(topo(dep('newer-nginx', 0), dep('new-nginx', 2, baseline({ 'old-nginx': 1, 'new-nginx': 1 })))), undefined);
  });

  it('under Istio, the canary named on the VirtualService is under way while the default route splits', () => {
    const split = topo(dep('v1', 1), dep('v2', 1), [
      vs('v2', [
        ['v1', 80],
        ['v2', 20],
      ]),
    ]);
    assert.equal(otherCanary(split), 'v2');
    assert.equal(
      otherCanary(
        topo(dep('v3', 1), dep('v2', 1), [
          vs('v2', [
            ['v1', 0],
            ['v2', 100],
          ]),
        ]),
      ),
      undefined,
      'v2 promoted',
    );
    assert.equal(
      otherCanary(
        topo(dep('v2', 1), dep('v1', 1), [
          vs('v2', [
            ['v1', 80],
            ['v2', 20],
          ]),
        ]),
      ),
      undefined,
      'the same canary',
    );
  });
});

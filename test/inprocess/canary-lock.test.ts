// The lock of a canary's traffic target, in-process: a second `canary set` waits for the first (which
// holds the Lease while its scale-up rolls out), is woken by the Lease's deletion on its watch rather
// than by time passing, then makes its own change; the holder renews its Lease on the command's clock.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { plugin } from '../../plugins/canary/cli.js';
import { scenario } from '../support/scenario.js';
import { finish, start, until, world } from '../support/inprocess.js';

const deploy = (name: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', name, namespace: 'default' });
const ready = (n: number) => ({ observedGeneration: 99, replicas: n, updatedReplicas: n, readyReplicas: n, availableReplicas: n });
const LEASE = 'leases.coordination.k8s.io/kubectl-traffic.service.nginx';

describe('the lock of a canary traffic target (in-process)', () => {
  it('a second set waits for the holder, is woken by the release, then makes its change', async () => {
    const w = world();
    w.cluster.load(scenario('01-l4-canary.yaml'));
    w.cluster.update(deploy('old-nginx'), (d) => void ((d.spec as { replicas: number }).replicas = 3));
    w.cluster.setStatus(deploy('old-nginx'), ready(3));
    w.cluster.setStatus(deploy('new-nginx'), ready(1));
    const t0 = w.clock.now().getTime();

    // The first set scales new-nginx up and waits for it, holding the lock: no controller rolls it out yet.
    const first = start(plugin, ['set', 'new-nginx', '50', '--total', '4'], w);
    await until('the first set to wait for its scale-up', () => first.stderr.text.includes('waiting for new-nginx to have 2 ready pods'));
    const second = start(plugin, ['set', 'new-nginx', '25', '--total', '4'], w);
    await until('the second set to wait for the lock', () => second.stderr.text.includes('waiting for kubectl canary set'));
    assert.match(second.stderr.text, /^waiting for kubectl canary set new-nginx 50 \(\S+\) to finish \(lease\/kubectl-traffic\.service\.nginx, up to 5m\)\n$/);
    assert.equal(second.result, undefined);
    assert.deepEqual(
      w.cluster.calls.filter((c) => c.resource === 'leases.coordination.k8s.io').map((c) => `${c.verb}${c.failed ? ' (refused)' : ''}`),
      ['create', 'create (refused)', 'list', 'watch'],
      'the second one watches the Lease it could not create',
    );

    // The holder renews its Lease every third of its 15 s while it works.
    await w.clock.advance(5000);
    assert.ok(w.cluster.writes().includes(`update ${LEASE}`), w.cluster.writes().join('\n'));

    // The controller catches up: the first set finishes and releases the lock.
    w.cluster.rollOut();
    w.cluster.setStatus(deploy('new-nginx'), ready(2));
    const a = await finish(first, w);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(
      a.stdout,
      'deployment.apps/new-nginx scaled (1 -> 2)\ndeployment.apps/old-nginx scaled (3 -> 2)\ncanary new-nginx gets 50% of service/nginx (2 of 4 pods; mode replicas)\n',
    );
    // The deletion reached the waiter on its watch: it went on without the Lease expiring (15 s).
    const b = await finish(second, w);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(
      b.stdout,
      'deployment.apps/old-nginx scaled (2 -> 3)\ndeployment.apps/new-nginx scaled (2 -> 1)\ncanary new-nginx gets 25% of service/nginx (1 of 4 pods; mode replicas)\n',
    );
    assert.ok(w.clock.now().getTime() - t0 < 15_000, `${w.clock.now().getTime() - t0} ms passed`);
    assert.deepEqual(
      w.cluster.writes().filter((x) => x.startsWith('create leases') || x.startsWith('delete leases')),
      [`create ${LEASE}`, `delete ${LEASE}`, `create ${LEASE}`, `delete ${LEASE}`],
    );
    assert.deepEqual(w.clock.sleeping(), [], 'no renewal or wait left behind');
  });

  it('a watch the server ends at once is opened again after a pause, not in a loop of requests', async () => {
    // An API server just restarted ended every watch as it opened; the waiter read, created and
    // watched again at once: 8,000 requests while a dead holder's Lease ran out (crash tests).
    const w = world();
    w.cluster.load(scenario('01-l4-canary.yaml'));
    w.cluster.setStatus(deploy('old-nginx'), ready(1));
    w.cluster.setStatus(deploy('new-nginx'), ready(1));
    const now = w.clock.now().toISOString().replace('Z', '000Z');
    w.cluster.add({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'kubectl-traffic.service.nginx', namespace: 'default' },
      spec: { holderIdentity: 'a run that died', leaseDurationSeconds: 15, acquireTime: now, renewTime: now },
    });
    const transport = w.cluster.transport.bind(w.cluster);
    w.cluster.transport = (server) => {
      const t = transport(server);
      return {
        ...t,
        // Answered on the next turn of the event loop, so a loop of requests cannot starve the test's timers.
        stream: (req, opts) =>
          req.path.includes('/leases')
            ? new Promise((resolve) => setImmediate(() => resolve({ status: 200, headers: {}, body: Readable.from([]) })))
            : t.stream(req, opts),
      };
    };
    const leaseCalls = () => w.cluster.calls.filter((c) => c.resource === 'leases.coordination.k8s.io');

    const set = start(plugin, ['set', 'new-nginx', '25', '--total', '4', '--wait=false'], w);
    await until('the set to wait for the lock', () => set.stderr.text.includes('waiting for a run that died')).catch((e: unknown) => {
      throw new Error(`${String(e)}: ${set.stderr.text} ${set.stdout.text} ${JSON.stringify(leaseCalls())}`);
    });
    for (let s = 0; s < 16; s++) await w.clock.advance(1000);
    const r = await finish(set, w);
    assert.equal(r.code, 0, r.stderr);
    // Taken over once the holder's 15 s had run out; meanwhile a read and a create (and a watch) about
    // twice a second: the pause ends with the next tick of the clock.
    const calls = leaseCalls().map((c) => `${c.verb}${c.failed ? ' (refused)' : ''}`);
    assert.deepEqual(calls.slice(-2), ['update', 'delete'], calls.join(', '));
    assert.ok(calls.length <= 4 * 16 + 4, `${calls.length} Lease requests in 16 s: ${calls.join(', ')}`);
  });
});

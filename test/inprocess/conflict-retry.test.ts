// A write that meets a 409 Conflict is re-read, re-planned and sent again after a back-off slept on the
// command's clock (ctx.clock), in-process: no real waiting, and the pause is visible to the test.
import assert from 'node:assert/strict';
import { plugin } from '../../plugins/bluegreen/cli.js';
import { ApiStatus } from '../support/memory-cluster.js';
import { scenario } from '../support/scenario.js';
import { endpointSlice, run, world } from '../support/inprocess.js';

describe('conflict retries (in-process)', () => {
  it('bluegreen set: a conflicting write is read again and sent again after a back-off on the fake clock', async () => {
    const w = world();
    w.cluster.load(scenario('02-ingress-bluegreen.yaml'));
    w.cluster.add(endpointSlice('ingress-demo', 'old-nginx', 1), endpointSlice('ingress-demo', 'new-nginx', 1));
    let refused = 0;
    w.cluster.react((call) => {
      if (call.verb !== 'patch' || call.name !== 'echo' || refused++ > 0) return undefined;
      // Another writer got there first.
      return new ApiStatus(409, 'Conflict', 'Operation cannot be fulfilled on ingresses.networking.k8s.io "echo": the object has been modified');
    });
    const r = await run(plugin, ['set', 'echo', 'new-nginx', '30', '--provider', 'aliyun', '-n', 'ingress-demo'], w);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ingress\.networking\.k8s\.io\/echo configured\n/);
    assert.equal(
      w.cluster.get({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'echo', namespace: 'ingress-demo' })?.metadata?.annotations?.[
        'ingress.aliyun.weight/new-nginx'
      ],
      '30',
    );
    assert.deepEqual(
      w.cluster.writes().filter((x) => x.includes('ingresses')),
      ['patch ingresses.networking.k8s.io/echo'],
      'the refused write did not land; the retry did',
    );
    assert.equal(w.cluster.calls.filter((c) => c.verb === 'patch' && c.name === 'echo').length, 2);
    // The first back-off: 50 ms with jitter (25-50 ms), slept on the command's clock.
    const pauses = w.clock.slept.filter((ms) => ms >= 25 && ms <= 50);
    assert.equal(pauses.length, 1, `slept: ${w.clock.slept.join(',')}`);
  });
});

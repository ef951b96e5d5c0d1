// Runs last (see package.json): it starts and stops extra clusters, a load the shared cluster of the other tests should not share.
// Several clusters at once, each with its own CIDRs; start-up time; nothing left behind on stop.
import assert from 'node:assert/strict';
import { isRunning } from '../harness/processes.js';
import { existsSync } from 'node:fs';
import { startCluster, type Cluster } from '../harness/cluster.js';

describe('several independent clusters', function () {
  this.timeout(180_000);
  const started: Cluster[] = [];
  after(async () => {
    for (const c of started) await c.stop();
  });

  it('starts two clusters at once with distinct Pod and Service CIDRs, and stops them without leftovers', async () => {
    const t0 = Date.now();
    const [east, west] = await Promise.all([
      startCluster({ name: 'east', podCIDR: '10.10.0.0/16', serviceCIDR: '10.110.0.0/16', nodes: [{ name: 'east-1', zone: 'e1' }] }),
      startCluster({ name: 'west', podCIDR: '10.20.0.0/16', serviceCIDR: '10.120.0.0/16', nodes: [{ name: 'west-1', zone: 'w1' }] }),
    ]);
    started.push(east, west);
    const both = Date.now() - t0;
    console.log(`      start-up: east ${east.state.startupMs} ms, west ${west.state.startupMs} ms, both ready after ${both} ms`);
    assert.notEqual(east.server, west.server);
    for (const [c, pod, svc] of [
      [east, '10.10.', '10.110.'],
      [west, '10.20.', '10.120.'],
    ] as const) {
      await c.kubectl(['create', 'deployment', 'app', '--image=nginx']);
      await c.kubectl(['expose', 'deployment', 'app', '--port=80']);
      await c.kubectl(['rollout', 'status', 'deployment/app', '--timeout=60s']);
      const ip = (await c.kubectl(['get', 'pods', '-l', 'app=app', '-o', 'jsonpath={.items[0].status.podIP}'])).stdout;
      assert.ok(ip.startsWith(pod), `${c.name} pod IP ${ip}`);
      const cip = (await c.kubectl(['get', 'service', 'app', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
      assert.ok(cip.startsWith(svc), `${c.name} cluster IP ${cip}`);
      const nodes = (await c.kubectl(['get', 'nodes', '-o', 'name'])).stdout.trim();
      assert.equal(nodes, `node/${c.name}-1`);
    }
    const pids = [...east.state.processes, ...west.state.processes].map((p) => p.pid);
    assert.ok(pids.every(isRunning));
    await east.stop();
    await west.stop();
    started.length = 0;
    assert.deepEqual(pids.filter(isRunning), [], 'every process stopped');
    assert.equal(existsSync(east.state.dir), false);
  });
});

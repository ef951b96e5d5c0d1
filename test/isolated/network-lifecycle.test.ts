// The network leaves nothing on this machine: not after stop(), not after the test process is killed
// (SIGKILL: no exit hook runs, the reaper does it), and two networks at once never share addresses.
// Without a network, the API server's service proxy cannot reach a pod IP at all.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { harnessChild } from '../support/child.js';
import { REPO_ROOT } from '../harness/binaries.js';
import { startCluster, until } from '../harness/cluster.js';
import { networkUnavailable } from '../harness/network/ip.js';
import { Network } from '../harness/network/network.js';
import { REGISTRY } from '../harness/network/registry.js';
import { isRunning } from '../harness/processes.js';

/** Every trace of a network id on this machine: namespaces, links, routes, registry entry. */
async function traces(id: string): Promise<string[]> {
  const out: string[] = [];
  const ns = await execa('ip', ['netns', 'list'], { stdin: 'ignore' });
  out.push(...ns.stdout.split('\n').filter((l) => l.startsWith(id)));
  const links = await execa('ip', ['-o', 'link', 'show'], { stdin: 'ignore' });
  out.push(...links.stdout.split('\n').filter((l) => l.includes(id)));
  const routes = await execa('ip', ['-4', 'route', 'show', 'table', 'all'], { stdin: 'ignore' });
  out.push(...routes.stdout.split('\n').filter((l) => l.includes(id)));
  if (existsSync(join(REGISTRY, `${id}.json`))) out.push(`registry entry ${id}`);
  return out;
}

describe('test network lifecycle', function () {
  this.timeout(180_000);
  before(async function () {
    if (await networkUnavailable()) this.skip();
  });

  it('stop() removes namespaces, links, routes, nftables tables and processes; two networks never overlap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'net-'));
    const [a, b] = await Promise.all([Network.create({ dir: join(dir, 'a') }), Network.create({ dir: join(dir, 'b') })]);
    assert.notEqual(a.state.podCIDR, b.state.podCIDR);
    assert.notEqual(a.state.hostAddress, b.state.hostAddress);
    assert.ok(a.netns.startsWith('kpn') && a.netns !== b.netns);
    // A table of our own in the namespace goes with it.
    await execa('ip', ['netns', 'exec', a.netns, 'nft', 'add', 'table', 'inet', 'probe'], { stdin: 'ignore' });
    assert.ok((await traces(a.state.id)).length > 0);
    await Promise.all([a.stop(), b.stop()]);
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual([...(await traces(a.state.id)), ...(await traces(b.state.id))], []);
  });

  it('a killed test process (SIGKILL) leaves no namespace, link, route, process or temp folder behind', async () => {
    const script = `
      import { startCluster } from ${JSON.stringify(join(REPO_ROOT, 'build/test/harness/cluster.js'))};
      const c = await startCluster({ istio: false, network: true, nodes: [{ name: 'n1' }] });
      const pids = (await import('node:child_process')).execFileSync('ip', ['netns', 'pids', c.network.netns]).toString().split(/\\s+/).filter(Boolean).map(Number);
      console.log(JSON.stringify({ id: c.network.state.id, dir: c.state.dir, pids: [...pids, ...c.state.processes.map((p) => p.pid)] }));
      setInterval(() => {}, 1000);
    `;
    const { child, ready } = await harnessChild<{ id: string; dir: string; pids: number[] }>(script);
    const { id, dir, pids } = ready;
    assert.ok(pids.length >= 3 && pids.every(isRunning), 'agent, kube-proxy and the control plane run');
    assert.ok((await traces(id)).length > 0);
    child.kill('SIGKILL');
    await child;
    await until(
      'the reaper to remove the network and the folder',
      async () => (await traces(id)).length === 0 && !pids.some(isRunning) && !existsSync(dir),
      30_000,
    );
  });

  it("without a network, the API server's service proxy to a pod IP is refused before anything is sent", async () => {
    const c = await startCluster({ name: 'no-network', istio: false, nodes: [{ name: 'nn-1' }] });
    try {
      assert.equal(c.network, undefined);
      await c.kubectl(['create', 'namespace', 'no-network']);
      await c.kubectl(['-n', 'no-network', 'create', 'deployment', 'web', '--image=x', '--port=80']);
      await c.kubectl(['-n', 'no-network', 'expose', 'deployment', 'web', '--port=80']);
      await c.kubectl(['-n', 'no-network', 'rollout', 'status', 'deployment/web', '--timeout=60s']);
      const ip = (await c.kubectl(['-n', 'no-network', 'get', 'pods', '-o', 'jsonpath={.items[0].status.podIP}'])).stdout;
      await until(
        'web endpoints',
        async () => (await c.kubectl(['-n', 'no-network', 'get', 'endpoints', 'web', '-o', 'jsonpath={.subsets[0].addresses[0].ip}'])).stdout === ip,
        30_000,
      );
      const r = await c.kubectl(['get', '--raw', '/api/v1/namespaces/no-network/services/web:80/proxy/'], { reject: false });
      assert.notEqual(r.exitCode, 0);
      const log = readFileSync(join(c.state.dir, 'logs', 'egress-guard.log'), 'utf8');
      assert.match(
        log,
        new RegExp(
          `refused ${ip.replace(/\./g, '\\.')}:80: ${ip.replace(/\./g, '\\.')} is not routed into this cluster's network namespace .*without a network`,
        ),
      );
    } finally {
      await c.stop();
    }
  });

  it('says in one line why there is no network when it cannot make one', async () => {
    const script = `
      import { networkUnavailable } from ${JSON.stringify(join(REPO_ROOT, 'build/test/harness/network/ip.js'))};
      console.log(await networkUnavailable());
    `;
    const r = await execa(process.execPath, ['--input-type=module', '-e', script], { stdin: 'ignore', uid: 65534, gid: 65534, reject: false });
    assert.equal(r.stdout, 'the test network needs root (network namespaces, veth, routes)', r.stderr);
  });
});

// `npm run playground` as a newcomer uses it: start, reuse, status, the curl loop, stop.
import assert from 'node:assert/strict';
import { isRunning } from '../harness/processes.js';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostGet } from '../support/http.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../harness/binaries.js';
import type { ClusterState } from '../harness/cluster.js';
import { contains, parseCidr } from '../harness/network/cidr.js';
import { routeGet } from '../harness/network/ip.js';

const CLI = join(REPO_ROOT, 'build', 'test', 'playground', 'cli.js');

const curl = async (port: number, host: string) => (await hostGet(port, { host })).body.trim();

describe('playground', function () {
  this.timeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'playground-'));
  const env = { ...process.env, KPLUGINS_PLAYGROUND_DIR: dir };
  const run = (args: string[]) => execa(process.execPath, [CLI, ...args], { env, reject: false, stdin: 'ignore' });

  after(async () => {
    await run(['stop']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts in the background, prints the KUBECONFIG line, serves the seeds, reuses, stops cleanly', async () => {
    const none = await run(['status']);
    assert.equal(none.exitCode, 1);
    assert.match(none.stdout, /No playground is running/);

    const start = await run(['start']);
    assert.equal(start.exitCode, 0, start.stderr);
    const kubeconfig = /export KUBECONFIG=(\S+)/.exec(start.stdout)?.[1];
    assert.ok(kubeconfig && existsSync(kubeconfig), start.stdout);
    // The loopback data plane (with the network, chapter 1's loop goes to the LoadBalancer address instead).
    const port = Number(/The data plane at http:\/\/127\.0\.0\.1:(\d+) /.exec(start.stdout)?.[1]);
    assert.ok(port > 0, start.stdout);
    const state = JSON.parse(readFileSync(join(dir, 'playground.json'), 'utf8')) as {
      cluster: { processes: { name: string; pid: number }[] };
      dataplane: { pid: number };
    };
    const pids = [...state.cluster.processes.map((p) => p.pid), state.dataplane.pid];
    assert.ok(pids.every(isRunning), 'everything runs after the command returned');
    assert.ok(
      state.cluster.processes.some((p) => p.name === 'istiod'),
      'istiod runs by default',
    );

    // The seeds' checks, as the printed commands do them.
    const plugins = await execa(join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary'), ['context', '-o', 'json'], {
      env: { ...env, KUBECONFIG: kubeconfig },
      stdin: 'ignore',
    });
    assert.equal((JSON.parse(plugins.stdout) as { namespace: string }).namespace, 'default');
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) seen.add(await curl(port, 'nginx.default'));
    assert.deepEqual([...seen].sort(), ['new', 'old']);
    assert.equal(await curl(port, 'mini-echo.io'), 'old');
    assert.match(await curl(port, 'reviews.bookinfo'), /^v[123]$/);

    // With the network (as root): chapter 1's loop goes to the nginx LoadBalancer address through
    // kube-proxy, and chapter 5's VM answers ssh with the printed command.
    const net = (JSON.parse(readFileSync(join(dir, 'playground.json'), 'utf8')) as { cluster: ClusterState }).cluster.network;
    if (net) {
      const lb = /curl -s http:\/\/(\d+\.\d+\.\d+\.\d+)\/; done/.exec(start.stdout)?.[1];
      assert.ok(lb && contains(parseCidr(net.loadBalancerCIDR), lb), start.stdout);
      assert.equal((await routeGet(lb))?.dev, net.hostLink, 'routed into the playground network');
      const answers = new Set<string>();
      for (let i = 0; i < 30; i++) answers.add((await execa('curl', ['-s', '-m', '3', `http://${lb}/`], { stdin: 'ignore' })).stdout.trim());
      assert.deepEqual([...answers].sort(), ['new', 'old']);
      const ssh = /ssh -F (\S+) root@192\.168\.3\.202/.exec(start.stdout);
      if (ssh) {
        assert.equal((await routeGet('192.168.3.202'))?.dev, net.hostLink);
        const r = await execa('ssh', ['-F', ssh[1], '-o', 'BatchMode=yes', 'root@192.168.3.202', 'hostname'], { stdin: 'ignore', reject: false });
        assert.equal(r.stdout, 'mesh-vm', r.stderr);
      }
      // Chapter 4: Jaeger is the tracing pod in istio-system, read through the API server's service proxy.
      assert.match(start.stdout, /a real Jaeger is the tracing pod in istio-system .*\nwith 240 Bookinfo requests from the last hour/);
      const traces = await execa(
        join(REPO_ROOT, 'dist', 'bin', 'kubectl-trace'),
        ['list', '--service', 'productpage.default', '--limit', '5', '-v', '-o', 'json'],
        {
          env: { ...env, KUBECONFIG: kubeconfig, NO_COLOR: '1' },
          stdin: 'ignore',
          reject: false,
        },
      );
      assert.equal(traces.exitCode, 0, traces.stderr);
      assert.match(traces.stderr, /reading traces from service istio-system\/tracing:80 \(Jaeger\) through the API server's service proxy/);
      const items = (JSON.parse(traces.stdout) as { items: { rootService: string }[] }).items;
      assert.deepEqual(
        items.map((i) => i.rootService),
        Array(5).fill('istio-ingressgateway.istio-system'),
      );
    }

    const again = await run(['start']);
    assert.equal(again.exitCode, 0);
    assert.match(again.stdout, /Reusing the running playground/);
    const status = await run(['status']);
    assert.equal(status.exitCode, 0);
    assert.match(status.stdout, /The playground is running/);
    // istiod's ports as status prints them, and its debug endpoints answer there.
    assert.match(status.stdout, /istiod \(pilot-discovery, cluster ID playground, network network1\) is running/);
    const debug = /debug and \/ready +(http:\/\/127\.0\.0\.1:\d+)\/debug\/registryz/.exec(status.stdout)?.[1];
    assert.ok(debug, status.stdout);
    assert.match(status.stdout, /webhooks +https:\/\/127\.0\.0\.1:\d+\/validate/);
    assert.match(status.stdout, /xDS +127\.0\.0\.1:\d+ \(plain, the pod's 15010\), 127\.0\.0\.1:\d+ \(TLS and CA, 15012\)/);
    const clusterz = (await (await fetch(`${debug}/debug/clusterz`)).json()) as { id: string; syncStatus: string }[];
    assert.deepEqual(
      clusterz.map((x) => [x.id, x.syncStatus]),
      [['playground', 'synced']],
    );

    const stop = await run(['stop']);
    assert.equal(stop.exitCode, 0);
    assert.match(stop.stdout, /stopped and removed/);
    assert.deepEqual(pids.filter(isRunning), [], 'no process left behind');
    if (net) assert.equal((await execa('ip', ['netns', 'list'], { stdin: 'ignore' })).stdout.includes(net.id), false, 'no namespace left behind');
    assert.equal(existsSync(join(dir, 'playground.json')), false);
  });
});

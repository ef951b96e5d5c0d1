// kubectl canary run on the real control plane: steps to promotion, an automatic abort when the probe
// fails its limits, and Ctrl-C leaving a consistent state that --resume finishes.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { execa } from 'execa';
import { sharedCluster } from '../support/fixture.js';
import { REPO_ROOT } from '../harness/binaries.js';
import type { Cluster } from '../harness/cluster.js';
import { scenario } from '../support/scenario.js';

const NS = 'canary-run';

describe('kubectl canary run', function () {
  this.timeout(240_000);
  let c: Cluster;
  const canary = (args: string[]) =>
    execa(join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary'), [...args, '-n', NS, '--kubeconfig', c.kubeconfig], {
      reject: false,
      stdin: 'ignore',
      env: { NO_COLOR: '1', PATH: process.env['PATH'] ?? '' },
      extendEnv: false,
    });
  const replicas = async () =>
    (await c.kubectl(['-n', NS, 'get', 'deploy', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.replicas} {end}'])).stdout.trim();
  const ours = async () =>
    Object.keys(
      (JSON.parse((await c.kubectl(['-n', NS, 'get', 'deploy', 'new-nginx', '-o', 'json'])).stdout) as { metadata: { annotations?: Record<string, string> } })
        .metadata.annotations ?? {},
    ).filter((k) => k.startsWith('traffic.'));
  const reset = async () => {
    await c.kubectl(['-n', NS, 'annotate', 'deploy', 'new-nginx', 'traffic.kubectl-plugins.io/previous-replicas-', 'traffic.kubectl-plugins.io/run-']);
    await c.kubectl(['-n', NS, 'scale', 'deploy/new-nginx', 'deploy/old-nginx', '--replicas=1']);
    await c.kubectl(['-n', NS, 'wait', '--for=condition=Available', 'deployment', '--all', '--timeout=60s']);
  };

  before(async () => {
    c = await sharedCluster();
    await c.kubectl(['create', 'namespace', NS]);
    await c.apply(scenario('01-l4-canary.yaml', NS));
    await c.kubectl(['-n', NS, 'scale', 'deploy/old-nginx', '--replicas=3']);
    await c.kubectl(['-n', NS, 'scale', 'deploy/new-nginx', '--replicas=1']);
    await c.kubectl(['-n', NS, 'wait', '--for=condition=Available', 'deployment', '--all', '--timeout=60s']);
  });

  it('goes through the steps, checking each, then promotes; nothing of the run is left on the canary', async () => {
    const r = await canary(['run', 'new-nginx', '--steps', '50,75', '--interval', '1s']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'step 1/2: new-nginx to 50%',
        'deployment.apps/new-nginx scaled (1 -> 2)',
        'deployment.apps/old-nginx scaled (3 -> 2)',
        'step 1/2: watching for 1s',
        'step 1/2: ok',
        'step 2/2: new-nginx to 75%',
        'deployment.apps/new-nginx scaled (2 -> 3)',
        'deployment.apps/old-nginx scaled (2 -> 1)',
        'step 2/2: watching for 1s',
        'step 2/2: ok',
        'deployment.apps/new-nginx scaled (3 -> 4)',
        'deployment.apps/old-nginx scaled (1 -> 0)',
        'canary new-nginx promoted after 2 steps: all traffic of service/nginx',
      ].join('\n'),
    );
    assert.equal(await replicas(), 'new-nginx=4 old-nginx=0');
    assert.deepEqual(await ours(), ['traffic.kubectl-plugins.io/previous-replicas'], 'only the baseline abort needs; the run state is gone');
    // The same command again (a CI retry) must not start over and hand traffic back to old-nginx.
    const again = await canary(['run', 'new-nginx', '--steps', '50,75', '--interval', '1s']);
    assert.deepEqual([again.exitCode, again.stdout], [0, 'canary new-nginx already has all the traffic of service/nginx: nothing to run']);
    assert.equal(await replicas(), 'new-nginx=4 old-nginx=0');
  });

  it('an abort by hand during a step ends the run: it stops without undoing the abort', async () => {
    await reset();
    const child = canary(['run', 'new-nginx', '--steps', '50,100', '--interval', '4s']);
    await new Promise<void>((resolve) => child.stdout.on('data', (b: Buffer) => b.toString().includes('watching') && resolve()));
    const abort = await canary(['abort', 'new-nginx']);
    assert.equal(abort.exitCode, 0, abort.stderr);
    const r = await child;
    assert.equal(r.exitCode, 1, r.stdout);
    assert.match(
      r.stderr,
      /error: the run of canary new-nginx was ended by another command during step 1 of 2 \(its record on the Deployment is gone or changed\); stopping without changing anything$/,
    );
    assert.equal(await replicas(), 'new-nginx=0 old-nginx=2', 'as the abort left it');
  });

  it('a probe over its limits aborts the canary automatically: exit 1, replicas as before the run', async () => {
    await reset();
    await c.kubectl(['-n', NS, 'scale', 'deploy/old-nginx', '--replicas=3']);
    // A backend failing every other request: 50% errors against a 1% limit.
    let n = 0;
    const failing: Server = createServer((_req, res) => {
      res.writeHead(n++ % 2 ? 500 : 200, { 'x-version': 'new' });
      res.end('new\n');
    });
    await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
    try {
      const port = (failing.address() as { port: number }).port;
      const r = await canary([
        'run',
        'new-nginx',
        '--steps',
        '50,100',
        '--interval',
        '1s',
        '--probe',
        `http://127.0.0.1:${port}/`,
        '--probe-count',
        '20',
        '--max-error-rate',
        '1',
      ]);
      assert.equal(r.exitCode, 1, r.stdout);
      assert.match(r.stdout, /\nstep 1\/2: probe 20 requests, 10 errors \(50%\), p99 [\d.]+ ms\nstep 1\/2 failed: error rate 50% is above 1%; aborting\n/);
      assert.match(
        r.stderr,
        /error: canary new-nginx failed at step 1 of 2 \(50%\): error rate 50% is above 1%; it was aborted and all traffic is back on the stable version$/,
      );
    } finally {
      failing.close();
    }
    assert.equal(await replicas(), 'new-nginx=0 old-nginx=3', 'the stable has its replicas from before the run');
    assert.deepEqual(await ours(), []);
  });

  it('Ctrl-C stops at a consistent point and says how to go on; --resume finishes the recorded run', async () => {
    await reset();
    const child = canary(['run', 'new-nginx', '--steps', '50,100', '--interval', '5m']);
    // Interrupt while it watches step 1.
    await new Promise<void>((resolve) => child.stdout.on('data', (b: Buffer) => b.toString().includes('watching') && resolve()));
    child.kill('SIGINT');
    const r = await child;
    assert.equal(r.exitCode, 130, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `interrupted at step 1 of 2: new-nginx keeps 50%\\. Continue: kubectl canary run new-nginx --resume -n ${NS}; undo: kubectl canary abort new-nginx -n ${NS}$`,
      ),
    );
    assert.equal(await replicas(), 'new-nginx=1 old-nginx=1', 'the step it stopped in is complete');
    const again = await canary(['run', 'new-nginx', '--steps', '10,20']);
    assert.deepEqual(
      [again.exitCode, again.stderr],
      [
        1,
        'error: a run of canary new-nginx stopped at step 1 of 2 (50%); continue it with --resume, or undo it with: kubectl canary abort new-nginx\n'.trimEnd(),
      ],
    );
    const resumed = await canary(['run', 'new-nginx', '--resume', '--interval', '1s']);
    assert.equal(resumed.exitCode, 0, resumed.stderr);
    assert.match(
      resumed.stdout,
      /^step 1\/2: new-nginx to 50%\ndeployment\.apps\/new-nginx unchanged\n[^]*step 2\/2: new-nginx to 100%\n[^]*canary new-nginx promoted after 2 steps/,
    );
    assert.equal(await replicas(), 'new-nginx=2 old-nginx=0');
  });

  it('bad steps never reach the cluster', async () => {
    for (const [args, message] of [
      [['--steps', '50,20'], 'error: --steps "50,20" must rise: each step gives the canary more traffic than the one before'],
      [['--steps', '10,abc'], 'error: --steps "10,abc" must be whole percentages from 1 to 100 separated by commas, e.g. 10,25,50,100'],
      [[], 'error: say which weights to go through with --steps, e.g. --steps 10,25,50,100 (or --resume)'],
      [['--steps', '50', '--wait=false'], 'error: run always waits for each step to be ready before watching it; drop --wait=false'],
    ] as const) {
      const r = await canary(['run', 'new-nginx', ...args]);
      assert.deepEqual([r.exitCode, r.stderr], [2, message]);
    }
  });
});

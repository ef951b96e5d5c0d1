// kubectl canary run, in-process against the memory cluster and a fake clock: steps to promotion, an
// abort by hand during a step, a probe over its limits, Ctrl-C and --resume, bad steps. Time moves only
// when the run sleeps, so a 5-minute interval costs nothing and Ctrl-C lands exactly where it should.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { plugin } from '../../plugins/canary/cli.js';
import { ANNOTATION_PREFIX } from '../../shared/kube/ownership.js';
import { scenario } from '../support/scenario.js';
import { finish, run, start, until, world, type World } from '../support/inprocess.js';

const deploy = (name: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', name, namespace: 'default' });

/** Seed chapter 1 with the replicas given, rolled out. */
function canaryWorld(old: number, fresh: number): World {
  const w = world();
  w.cluster.rollOut().load(scenario('01-l4-canary.yaml'));
  w.cluster.update(deploy('old-nginx'), (d) => void ((d.spec as { replicas: number }).replicas = old));
  w.cluster.update(deploy('new-nginx'), (d) => void ((d.spec as { replicas: number }).replicas = fresh));
  return w;
}

const replicas = (w: World) => ['new-nginx', 'old-nginx'].map((n) => `${n}=${(w.cluster.get(deploy(n))?.spec as { replicas: number }).replicas}`).join(' ');
const ours = (w: World) => Object.keys(w.cluster.get(deploy('new-nginx'))?.metadata?.annotations ?? {}).filter((k) => k.startsWith(ANNOTATION_PREFIX));
/** The writes to Deployments, in order. */
const deploymentWrites = (w: World) => w.cluster.writes().filter((x) => x.includes('deployments.apps/'));

describe('kubectl canary run (in-process)', () => {
  it('goes through the steps, watching each for its interval, then promotes; nothing of the run is left on the canary', async () => {
    const w = canaryWorld(3, 1);
    const t0 = w.clock.now().getTime();
    const r = await run(plugin, ['run', 'new-nginx', '--steps', '50,75', '--interval', '30s'], w);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'step 1/2: new-nginx to 50%',
        'deployment.apps/new-nginx scaled (1 -> 2)',
        'deployment.apps/old-nginx scaled (3 -> 2)',
        'step 1/2: watching for 30s',
        'step 1/2: ok',
        'step 2/2: new-nginx to 75%',
        'deployment.apps/new-nginx scaled (2 -> 3)',
        'deployment.apps/old-nginx scaled (2 -> 1)',
        'step 2/2: watching for 30s',
        'step 2/2: ok',
        'deployment.apps/new-nginx scaled (3 -> 4)',
        'deployment.apps/old-nginx scaled (1 -> 0)',
        'canary new-nginx promoted after 2 steps: all traffic of service/nginx',
        '',
      ].join('\n'),
    );
    // Each step watched for its whole interval (a second at a time, so Ctrl-C is noticed), no longer.
    assert.equal(w.clock.now().getTime() - t0, 60_000);
    assert.equal(w.clock.slept.filter((ms) => ms === 1000).length, 60);
    assert.equal(replicas(w), 'new-nginx=4 old-nginx=0');
    assert.deepEqual(ours(w), [`${ANNOTATION_PREFIX}previous-replicas`], 'only the baseline abort needs; the run state is gone');
    // Record the step, scale up then down; the same for step 2 and the promotion; clear the record.
    assert.deepEqual(deploymentWrites(w), [
      'patch deployments.apps/new-nginx',
      'patch deployments.apps/new-nginx',
      'patch deployments.apps/old-nginx',
      'patch deployments.apps/new-nginx',
      'patch deployments.apps/new-nginx',
      'patch deployments.apps/old-nginx',
      'patch deployments.apps/new-nginx',
      'patch deployments.apps/old-nginx',
      'patch deployments.apps/new-nginx',
    ]);
    // The same command again (a CI retry) must not start over and hand traffic back to old-nginx.
    const writes = w.cluster.writes().length;
    const again = await run(plugin, ['run', 'new-nginx', '--steps', '50,75', '--interval', '30s'], w);
    assert.deepEqual([again.code, again.stdout], [0, 'canary new-nginx already has all the traffic of service/nginx: nothing to run\n']);
    assert.equal(w.cluster.writes().length, writes, 'nothing written');
    assert.equal(replicas(w), 'new-nginx=4 old-nginx=0');
  });

  it('an abort by hand during a step ends the run: it stops without undoing the abort', async () => {
    const w = canaryWorld(1, 1);
    const running = start(plugin, ['run', 'new-nginx', '--steps', '50,100', '--interval', '4s'], w);
    await until('the run to watch step 1', () => running.stdout.text.includes('watching'));
    // The abort runs while the run sleeps: the clock does not move until it is done.
    const abort = start(plugin, ['abort', 'new-nginx'], w);
    await until('the abort to finish', () => abort.result !== undefined);
    assert.equal(abort.result?.code, 0, abort.result?.stderr);
    assert.equal(replicas(w), 'new-nginx=0 old-nginx=2');
    const writes = w.cluster.writes().length;
    const r = await finish(running, w);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(
      r.stderr,
      'error: the run of canary new-nginx was ended by another command during step 1 of 2 (its record on the Deployment is gone or changed); stopping without changing anything\n',
    );
    assert.equal(w.cluster.writes().length, writes, 'the run wrote nothing after the abort');
    assert.equal(replicas(w), 'new-nginx=0 old-nginx=2', 'as the abort left it');
  });

  it('a probe over its limits aborts the canary automatically: exit 1, replicas as before the run', async () => {
    const w = canaryWorld(3, 1);
    // A backend failing every other request: 50% errors against a 1% limit.
    let n = 0;
    const failing: Server = createServer((_req, res) => {
      res.writeHead(n++ % 2 ? 500 : 200, { 'x-version': 'new' });
      res.end('new\n');
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    try {
      const port = (failing.address() as { port: number }).port;
      const args = ['--probe', `http://127.0.0.1:${port}/`, '--probe-count', '20', '--max-error-rate', '1'];
      const r = await run(plugin, ['run', 'new-nginx', '--steps', '50,100', '--interval', '1s', ...args], w);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stdout, /\nstep 1\/2: probe 20 requests, 10 errors \(50%\), p99 [\d.]+ ms\nstep 1\/2 failed: error rate 50% is above 1%; aborting\n/);
      assert.equal(
        r.stderr
          .split('\n')
          .filter((l) => l.startsWith('error:'))
          .join('\n'),
        'error: canary new-nginx failed at step 1 of 2 (50%): error rate 50% is above 1%; it was aborted and all traffic is back on the stable version',
      );
      assert.equal(n, 20, 'the probe sent --probe-count requests');
    } finally {
      failing.close();
    }
    assert.equal(replicas(w), 'new-nginx=0 old-nginx=3', 'the stable has its replicas from before the run');
    assert.deepEqual(ours(w), []);
  });

  it('Ctrl-C stops at a consistent point and says how to go on; --resume finishes the recorded run', async () => {
    const w = canaryWorld(1, 1);
    const t0 = w.clock.now().getTime();
    const running = start(plugin, ['run', 'new-nginx', '--steps', '50,100', '--interval', '5m'], w);
    await until('the run to watch step 1', () => running.stdout.text.includes('watching') && w.clock.sleeping().length > 0);
    await w.clock.advance(90_000); // a minute and a half into the step
    running.interrupt();
    const r = await finish(running, w);
    assert.equal(r.code, 130, r.stderr);
    assert.equal(
      r.stderr,
      '\nstopping at the next consistent point (Ctrl-C again to quit at once)\n' +
        'interrupted at step 1 of 2: new-nginx keeps 50%. Continue: kubectl canary run new-nginx --resume -n default; undo: kubectl canary abort new-nginx -n default\n',
    );
    assert.equal(w.clock.now().getTime() - t0, 90_000, 'it stopped at once, not at the end of the interval');
    assert.equal(replicas(w), 'new-nginx=1 old-nginx=1', 'the step it stopped in is complete');
    assert.deepEqual(ours(w), [`${ANNOTATION_PREFIX}run`], 'the run is recorded (50% of 1+1 changed nothing, so no baseline)');

    const writes = w.cluster.writes().length;
    const again = await run(plugin, ['run', 'new-nginx', '--steps', '10,20'], w);
    assert.deepEqual(
      [again.code, again.stderr],
      [1, 'error: a run of canary new-nginx stopped at step 1 of 2 (50%); continue it with --resume, or undo it with: kubectl canary abort new-nginx\n'],
    );
    assert.equal(w.cluster.writes().length, writes, 'refused before any write');

    const resumed = await run(plugin, ['run', 'new-nginx', '--resume', '--interval', '1s'], w);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(
      resumed.stdout,
      /^step 1\/2: new-nginx to 50%\ndeployment\.apps\/new-nginx unchanged\n[^]*step 2\/2: new-nginx to 100%\n[^]*canary new-nginx promoted after 2 steps/,
    );
    assert.equal(replicas(w), 'new-nginx=2 old-nginx=0');
    assert.deepEqual(ours(w), [`${ANNOTATION_PREFIX}previous-replicas`]);
  });

  it('bad steps never reach the cluster', async () => {
    const w = canaryWorld(1, 1);
    for (const [args, message] of [
      [['--steps', '50,20'], 'error: --steps "50,20" must rise: each step gives the canary more traffic than the one before'],
      [['--steps', '10,abc'], 'error: --steps "10,abc" must be whole percentages from 1 to 100 separated by commas, e.g. 10,25,50,100'],
      [[], 'error: say which weights to go through with --steps, e.g. --steps 10,25,50,100 (or --resume)'],
      [['--steps', '50', '--wait=false'], 'error: run always waits for each step to be ready before watching it; drop --wait=false'],
    ] as const) {
      const r = await run(plugin, ['run', 'new-nginx', ...args], w);
      assert.deepEqual([r.code, r.stdout, r.stderr], [2, '', `${message}\n`]);
    }
    assert.equal(w.cluster.requests, 0);
  });
});

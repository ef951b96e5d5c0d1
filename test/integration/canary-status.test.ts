// kubectl canary status on the real control plane. -w's printing on change only, its watches and re-lists
// run in-process (test/inprocess/canary-status-watch.test.ts); what needs real processes stays here.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { sharedCluster } from '../support/fixture.js';
import { REPO_ROOT } from '../harness/binaries.js';
import type { Cluster } from '../harness/cluster.js';
import { until } from '../harness/cluster.js';
import { scenario } from '../support/scenario.js';

const NS = 'canary-status';

describe('kubectl canary status', function () {
  this.timeout(120_000);
  let c: Cluster;
  const canary = (args: string[]) =>
    execa(join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary'), [...args, '--kubeconfig', c.kubeconfig], {
      reject: false,
      stdin: 'ignore',
      env: { NO_COLOR: '1', PATH: process.env['PATH'] ?? '' },
      extendEnv: false,
    });

  before(async () => {
    c = await sharedCluster();
    await c.kubectl(['create', 'namespace', NS]);
    await c.apply(scenario('01-l4-canary.yaml', NS));
    await c.kubectl(['-n', NS, 'wait', '--for=condition=Available', 'deployment', '--all', '--timeout=60s']);
  });

  it('shows weight set and in effect, readiness and health, with bars for one canary', async () => {
    const set = await canary(['-n', NS, 'set', 'new-nginx', '25', '--total', '4']);
    assert.equal(set.exitCode, 0, set.stderr);
    const r = await canary(['-n', NS, 'status', 'new-nginx']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'CANARY      STABLE      SERVICE   MODE       WEIGHT   EFFECTIVE   CANARY-READY   STABLE-READY   STATUS',
        'new-nginx   old-nginx   nginx     replicas   25%      25%         1/1            3/3            Healthy',
        '',
        'new-nginx            █████░░░░░░░░░░░░░░░ 25%',
        'old-nginx            ███████████████░░░░░ 75%',
      ].join('\n'),
    );
  });

  it('-w into a reader that stops (| head -1): the next print finds the pipe closed and the watch ends quietly, exit 0', async () => {
    const bin = join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary');
    // The shell reports the plugin's own exit code and stderr (pipefail is not in every sh).
    const script = `("$0" -n ${NS} status new-nginx -w --kubeconfig "$1" 2>"$2"; echo "$?" > "$3") | head -1`;
    const dir = mkdtempSync(join(tmpdir(), 'epipe-'));
    const child = execa('sh', ['-c', script, bin, c.kubeconfig, join(dir, 'stderr'), join(dir, 'code')], {
      reject: false,
      stdin: 'ignore',
      env: { NO_COLOR: '1' },
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until('the first line', async () => out.includes('\n'), 20_000);
      assert.match(out, /^CANARY +STABLE +SERVICE/);
      // head is gone (the shell waits for the plugin); the watch prints again on the next change and meets the closed pipe.
      await c.kubectl(['-n', NS, 'scale', 'deployment/old-nginx', '--replicas=4']);
      await until('the plugin to exit', async () => existsSync(join(dir, 'code')), 20_000);
      assert.equal(readFileSync(join(dir, 'code'), 'utf8').trim(), '0');
      assert.equal(readFileSync(join(dir, 'stderr'), 'utf8'), '', 'no stack trace, no message');
      assert.equal((await child).exitCode, 0);
    } finally {
      child.kill();
      await c.kubectl(['-n', NS, 'scale', 'deployment/old-nginx', '--replicas=3']);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists every recorded canary (-A), and -o json has stable fields', async () => {
    const all = await canary(['status', '-A', '-o', 'json']);
    assert.equal(all.exitCode, 0, all.stderr);
    const doc = JSON.parse(all.stdout) as { kind: string; items: { namespace: string; canary: { deployment: string; weight: number } }[] };
    assert.equal(doc.kind, 'CanaryStatusList');
    const mine = doc.items.find((i) => i.namespace === NS);
    assert.deepEqual(mine?.canary.deployment, 'new-nginx');
    assert.equal(mine?.canary.weight, 25);
  });

  it('--fail-on-degraded exits 3 when the canary cannot become ready', async () => {
    await c.kubectl([
      '-n',
      NS,
      'patch',
      'deployment',
      'new-nginx',
      '-p',
      '{"spec":{"progressDeadlineSeconds":1,"template":{"spec":{"nodeSelector":{"nowhere":"true"}}}}}',
    ]);
    let r = await canary(['-n', NS, 'status', 'new-nginx', '--fail-on-degraded']);
    for (let i = 0; i < 40 && r.exitCode !== 3; i++) {
      await new Promise((res) => setTimeout(res, 500));
      r = await canary(['-n', NS, 'status', 'new-nginx', '--fail-on-degraded']);
    }
    assert.equal(r.exitCode, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /Degraded/);
    assert.equal(r.stderr, '');
  });

  it('no canaries: nothing on stdout, a note on stderr, exit 0', async () => {
    await c.kubectl(['create', 'namespace', 'no-canaries']);
    const r = await canary(['-n', 'no-canaries', 'status']);
    assert.deepEqual(
      [r.exitCode, r.stdout, r.stderr],
      [0, '', `No canaries found in namespace "no-canaries" (a canary is listed after its first 'kubectl canary set')`],
    );
  });

  it('a Deployment that is not a canary, or missing, is one clear line', async () => {
    await c.kubectl(['-n', NS, 'create', 'deployment', 'solo', '--image=nginx']);
    const r = await canary(['-n', NS, 'status', 'solo']);
    assert.deepEqual(
      [r.exitCode, r.stdout, r.stderr],
      [1, '', `error: deployment "solo" shares no Service with another Deployment in namespace "${NS}": it is not a canary`],
    );
    const m = await canary(['-n', NS, 'status', 'ghost']);
    assert.deepEqual([m.exitCode, m.stderr], [1, `error: deployment "ghost" not found in namespace "${NS}"`]);
  });
});

// The lock of a canary's traffic target on the real control plane: one Lease per Service, renewed
// while its holder works, taken over seconds after the holder is SIGKILLed, waited for by a watch;
// and two canaries naming different Deployments of one Service never both change it (issue 11).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { sharedCluster } from '../support/fixture.js';
import { REPO_ROOT } from '../harness/binaries.js';
import type { Cluster } from '../harness/cluster.js';
import { replicasByName } from '../support/replicas.js';
import { scenario } from '../support/scenario.js';

const NS = 'canary-lock';
const LEASE = 'kubectl-traffic.service.nginx';

function canary(c: Cluster, args: string[]) {
  return execa(join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary'), [...args, '-n', NS, '--kubeconfig', c.kubeconfig], {
    reject: false,
    stdin: 'ignore',
    env: { NO_COLOR: '1', PATH: process.env['PATH'] ?? '' },
    extendEnv: false,
  });
}

const spec = (c: Cluster) => replicasByName(c, NS);

async function baselines(c: Cluster): Promise<string[]> {
  const out = (
    await c.kubectl([
      '-n',
      NS,
      'get',
      'deploy',
      '-o',
      "jsonpath={range .items[*]}{.metadata.name}={.metadata.annotations['traffic\\.kubectl-plugins\\.io/previous-replicas']}{'\\n'}{end}",
    ])
  ).stdout;
  return out
    .split('\n')
    .filter((l) => /=./.test(l))
    .map((l) => l.split('=')[0]);
}

async function leaseHolder(c: Cluster): Promise<string | undefined> {
  const r = await c.kubectl(['-n', NS, 'get', 'lease', LEASE, '-o', 'jsonpath={.spec.holderIdentity}'], { reject: false });
  return r.exitCode === 0 ? r.stdout : undefined;
}

async function until(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the lock of a canary traffic target', function () {
  this.timeout(240_000);
  let c: Cluster;

  before(async () => {
    c = await sharedCluster();
    await c.kubectl(['create', 'namespace', NS]);
    const seed = scenario('01-l4-canary.yaml', NS);
    await c.apply(seed);
    await c.kubectl(['-n', NS, 'wait', '--for=condition=Available', 'deployment', '--all', '--timeout=60s']);
  });

  after(async () => {
    await c?.kubectl(['delete', 'namespace', NS, '--wait=false'], { reject: false });
  });

  it('sets naming different Deployments of one Service serialize: one canary, one baseline, the requested total', async () => {
    const rounds: string[] = [];
    for (const [i, percent] of [25, 50, 75, 50, 25].entries()) {
      const [a, b] = await Promise.all([
        canary(c, ['set', 'new-nginx', String(percent), '--total', '4', '--wait=false']),
        canary(c, ['set', 'old-nginx', String(percent), '--total', '4', '--wait=false']),
      ]);
      const ok = [a, b].filter((r) => r.exitCode === 0);
      const refused = [a, b].filter((r) => r.exitCode === 1);
      assert.equal(ok.length, 1, `round ${i + 1}: one set wins\nA: ${a.stderr}\nB: ${b.stderr}`);
      assert.equal(refused.length, 1, `round ${i + 1}: the other is refused\nA: ${a.stderr}\nB: ${b.stderr}`);
      assert.match(
        refused[0].stderr,
        /error: service "nginx" is already being changed by canary (new|old)-nginx; finish it \(kubectl canary promote \1-nginx -n canary-lock\) or undo it \(kubectl canary abort \1-nginx -n canary-lock\) before starting canary (new|old)-nginx$/,
      );
      assert.equal(refused[0].stdout, '');
      const s = await spec(c);
      assert.equal(s['new-nginx'] + s['old-nginx'], 4, `round ${i + 1}: capacity is the requested total: ${JSON.stringify(s)}`);
      rounds.push(ok[0] === a ? 'new-nginx' : 'old-nginx');
    }
    assert.equal(new Set(rounds).size, 1, `the first winner stays the canary: ${rounds.join(', ')}`);
    assert.deepEqual(await baselines(c), [rounds[0]], 'one recorded baseline');
    const status = JSON.parse((await canary(c, ['status', '-o', 'json'])).stdout) as { items: { canary: { deployment: string } }[] };
    assert.deepEqual(
      status.items.map((v) => v.canary.deployment),
      [rounds[0]],
    );
    assert.equal(await leaseHolder(c), undefined, 'released');
    // Back to one stable Deployment for what follows.
    const undo = await canary(c, ['abort', rounds[0], '--wait=false']);
    assert.equal(undo.exitCode, 0, undo.stderr);
    assert.deepEqual(await baselines(c), []);
  });

  it('waiting for a held lock watches the Lease: a handful of requests in 5 s, the message once', async () => {
    const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    await c.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: ${LEASE}, namespace: ${NS}}\nspec: {holderIdentity: "kubectl canary set new-nginx 10 (ana@laptop)", leaseDurationSeconds: 600, acquireTime: "${now}", renewTime: "${now}"}\n`,
    });
    try {
      const started = Date.now();
      // A real change (4 pods where 2 run): a no-op would take no lock and end at once.
      const r = await canary(c, ['set', 'new-nginx', '25', '--total', '4', '--timeout', '5s', '-v']);
      const took = Date.now() - started;
      assert.equal(r.exitCode, 1);
      assert.ok(took >= 5000 && took < 10_000, `gave up at --timeout: ${took} ms`);
      const waits = r.stderr.split('\n').filter((l) => l.startsWith('waiting for'));
      assert.deepEqual(waits, ['waiting for kubectl canary set new-nginx 10 (ana@laptop) to finish (lease/kubectl-traffic.service.nginx, up to 5s)']);
      assert.match(
        r.stderr,
        /\nerror: another run \(kubectl canary set new-nginx 10 \(ana@laptop\)\) is changing service\/nginx now and holds lease\/kubectl-traffic\.service\.nginx in namespace "canary-lock"; try again when it is done \(a run that died loses it 10m after its last renewal\)\n/,
      );
      // Four lists and the journal's ConfigMap to plan, one create refused, one get of the Lease, one watch: no polling.
      const counts = /I: (\d+) API requests to \S+ \(([^)]*)\)/.exec(r.stderr);
      assert.ok(counts, r.stderr);
      assert.ok(Number(counts[1]) < 10, counts[0]);
      assert.match(counts[2], /watch 1/);
      assert.doesNotMatch(counts[2], /get [3-9]/);
    } finally {
      await c.kubectl(['-n', NS, 'delete', 'lease', LEASE]);
    }
  });

  it('a lock left by a holder that was SIGKILLed mid-change is taken over within its lease duration', async () => {
    await c.kubectl(['-n', NS, 'scale', 'deployment', 'old-nginx', 'new-nginx', '--replicas=1']);
    await c.kubectl(['-n', NS, 'annotate', 'deployment', '--all', 'traffic.kubectl-plugins.io/previous-replicas-']);
    // The canary's new pods can never be scheduled: the set scales it up, then waits (holding the lock) for them.
    await c.kubectl(['-n', NS, 'patch', 'deployment', 'new-nginx', '-p', '{"spec":{"template":{"spec":{"nodeSelector":{"nowhere":"true"}}}}}']);
    let holder: ResultPromise | undefined;
    try {
      holder = canary(c, ['set', 'new-nginx', '50', '--total', '4']);
      let stderr = '';
      holder.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      await until('the holder to wait for its pods', async () => stderr.includes('waiting for new-nginx to have 2 ready pods'), 60_000);
      assert.match((await leaseHolder(c)) ?? '', /^kubectl canary set new-nginx 50 /);
      // It renews while it works: the renewTime moves.
      const renewTime = async () => (await c.kubectl(['-n', NS, 'get', 'lease', LEASE, '-o', 'jsonpath={.spec.renewTime}'])).stdout;
      const first = await renewTime();
      await until('a renewal', async () => (await renewTime()) !== first, 10_000);
      holder.kill('SIGKILL');
      await holder;
      const killed = Date.now();
      // The next run (back to the stable side: it needs no canary pod) waits, then takes the lock over.
      const next = await canary(c, ['abort', 'new-nginx', '--wait=false']);
      const takeover = Date.now() - killed;
      assert.equal(next.exitCode, 0, next.stderr);
      assert.match(next.stderr, /^waiting for kubectl canary set new-nginx 50 .* to finish \(lease\/kubectl-traffic\.service\.nginx, up to 5m\)$/m);
      assert.ok(takeover < 15_000 + 5_000, `taken over ${takeover} ms after the kill (lease 15 s)`);
      assert.deepEqual(await spec(c), { 'new-nginx': 0, 'old-nginx': 1 }, 'abort restored the baseline');
      assert.equal(await leaseHolder(c), undefined, 'released');
    } finally {
      holder?.kill('SIGKILL');
      await c.kubectl(['-n', NS, 'patch', 'deployment', 'new-nginx', '--type', 'json', '-p', '[{"op":"remove","path":"/spec/template/spec/nodeSelector"}]'], {
        reject: false,
      });
    }
  });
});

// kubectl canary set, replicas mode, on the real control plane: seed 001 chapter 1 end to end.
import assert from 'node:assert/strict';
import { hostGet } from '../support/http.js';
import { join } from 'node:path';
import { execa } from 'execa';
import { sharedCluster } from '../support/fixture.js';
import { REPO_ROOT, bin } from '../harness/binaries.js';
import type { Cluster } from '../harness/cluster.js';
import { startDataPlane, type DataPlane } from '../playground/dataplane.js';
import { scenario } from '../support/scenario.js';

const NS = 'canary-l4';

function canary(c: Cluster, args: string[]) {
  return execa(join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary'), [...args, '-n', NS, '--kubeconfig', c.kubeconfig], {
    reject: false,
    stdin: 'ignore',
    env: { NO_COLOR: '1', PATH: process.env['PATH'] ?? '' },
    extendEnv: false,
  });
}

async function replicas(c: Cluster): Promise<Record<string, string>> {
  const out = (await c.kubectl(['-n', NS, 'get', 'deploy', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.replicas}/{.status.readyReplicas} {end}']))
    .stdout;
  return Object.fromEntries(
    out
      .trim()
      .split(' ')
      .map((kv) => kv.split('=') as [string, string]),
  );
}

const version = async (port: number) => (await hostGet(port, { host: `nginx.${NS}` })).body.trim();

describe('kubectl canary set (replicas mode)', function () {
  this.timeout(180_000);
  let c: Cluster;

  before(async () => {
    c = await sharedCluster();
    await c.kubectl(['create', 'namespace', NS]);
    const seed = scenario('01-l4-canary.yaml', NS);
    await c.apply(seed);
    await c.kubectl(['-n', NS, 'wait', '--for=condition=Available', 'deployment', '--all', '--timeout=60s']);
  });

  it('50% of 1+1 pods is already the case: nothing is written, and it says so', async () => {
    const r = await canary(c, ['set', 'new-nginx', '50', '-v']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(
      r.stdout,
      'deployment.apps/new-nginx unchanged\ndeployment.apps/old-nginx unchanged\ncanary new-nginx gets 50% of service/nginx (1 of 2 pods; mode replicas)',
    );
    // Nothing to write: no lock is taken; the four lists and the journal's ConfigMap are the only reads.
    assert.ok(r.stderr.includes(`I: 5 API requests to ${c.server} (list 4, get 1)`), r.stderr);
  });

  it('75% of 4 pods: scales, waits for Ready pods, reads each kind once and writes once; the data plane follows', async () => {
    const r = await canary(c, ['set', 'new-nginx', '75', '--total', '4', '-v']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, 'deployment.apps/new-nginx scaled (1 -> 3)\ncanary new-nginx gets 75% of service/nginx (3 of 4 pods; mode replicas)');
    // Planned from the four lists (and the journal's ConfigMap), re-checked the same way under the lock, one write, unlock, rollout polls.
    assert.match(r.stderr, /\(list 8, get \d+, create 1, patch 1, delete 1\)/, r.stderr);
    assert.deepEqual(await replicas(c), { 'new-nginx': '3/3', 'old-nginx': '1/1' });
    const annotation = (
      await c.kubectl(['-n', NS, 'get', 'deploy', 'new-nginx', '-o', "jsonpath={.metadata.annotations['traffic\\.kubectl-plugins\\.io/previous-replicas']}"])
    ).stdout;
    assert.deepEqual(JSON.parse(annotation), { 'old-nginx': 1, 'new-nginx': 1 });
    // The curl loop of the seed, through the playground data plane: about 3 in 4 answers are "new".
    const dp: DataPlane = await startDataPlane({ kubeconfig: c.kubeconfig, refreshMs: 100 });
    try {
      for (let i = 0; i < 50; i++) {
        await dp.refresh();
        const eps = await c.kubectl(['-n', NS, 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=nginx', '-o', 'json']);
        const ready = (JSON.parse(eps.stdout) as { items: { endpoints?: { conditions?: { ready?: boolean } }[] | null }[] }).items
          .flatMap((i) => i.endpoints ?? [])
          .filter((e) => e.conditions?.ready !== false).length;
        if (ready === 4) break;
        await new Promise((res) => setTimeout(res, 200));
      }
      await dp.refresh();
      let fresh = 0;
      for (let i = 0; i < 400; i++) if ((await version(dp.port)) === 'new') fresh++;
      assert.ok(fresh / 400 > 0.65 && fresh / 400 < 0.85, `new answered ${fresh} of 400`);
    } finally {
      await dp.close();
    }
  });

  it('0% scales the stable side up before the canary down; the baseline for abort is kept', async () => {
    const r = await canary(c, ['set', 'new-nginx', '0']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(
      r.stdout,
      'deployment.apps/old-nginx scaled (1 -> 4)\ndeployment.apps/new-nginx scaled (3 -> 0)\ncanary new-nginx gets 0% of service/nginx (0 of 4 pods; mode replicas)',
    );
    assert.deepEqual(await replicas(c), { 'new-nginx': '0/', 'old-nginx': '4/4' }, 'no ready count is reported at 0 replicas');
    const annotation = (
      await c.kubectl(['-n', NS, 'get', 'deploy', 'new-nginx', '-o', "jsonpath={.metadata.annotations['traffic\\.kubectl-plugins\\.io/previous-replicas']}"])
    ).stdout;
    assert.deepEqual(JSON.parse(annotation), { 'old-nginx': 1, 'new-nginx': 1 }, 'the first baseline, not the intermediate state');
  });

  it('an inexact share says what it achieved and which --total would be exact', async () => {
    const r = await canary(c, ['set', 'new-nginx', '50', '--total', '5', '-o', 'json']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      apiVersion: 'canary.traffic.kubectl-plugins.io/v1alpha1',
      kind: 'CanaryWeight',
      canary: 'new-nginx',
      stable: 'old-nginx',
      service: 'nginx',
      namespace: NS,
      mode: 'replicas',
      before: { replicas: { canary: 0, stable: 4 } },
      after: { replicas: { canary: 2, stable: 3 } },
      requestedPercent: 50,
      achievedPercent: 40,
      exact: false,
      exactTotal: 6,
      dryRun: 'none',
      changed: true,
      objects: [
        { name: 'deployment.apps/new-nginx', action: 'scaled' },
        { name: 'deployment.apps/old-nginx', action: 'scaled' },
      ],
    });
    assert.doesNotMatch(r.stderr, /canary new-nginx gets/, 'the summary is the document, not a line');
    // Progress lines (not a terminal) come first; the warning is the last line.
    assert.match(r.stderr, /\nWarning: 50% of 5 pods is not a whole number of pods; the canary gets 2 of 5 \(40%\)\. --total 6 would give exactly 50%$/);
    assert.match(r.stderr, /^waiting for new-nginx to have 2 ready pods before scaling down\n/);
  });

  it('--dry-run=client prints the patches and changes nothing', async () => {
    const before = await replicas(c);
    const r = await canary(c, ['set', 'new-nginx', '100', '--dry-run=client']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(
      r.stdout,
      /^apiVersion: apps\/v1\nkind: Deployment\nmetadata:\n {2}name: new-nginx\n {2}namespace: canary-l4\n {2}resourceVersion: '\d+'\nspec:\n {2}replicas: 5\n---\n/,
    );
    assert.match(r.stdout, /canary new-nginx would get 100% of service\/nginx \(5 of 5 pods; mode replicas\)$/);
    assert.deepEqual(await replicas(c), before);
  });

  it('refuses when an autoscaler targets the Deployments, unless --force', async () => {
    await c.kubectl(['-n', NS, 'autoscale', 'deployment', 'old-nginx', '--min=2', '--max=6', '--cpu=80']);
    try {
      const r = await canary(c, ['set', 'new-nginx', '20']);
      assert.equal(r.exitCode, 1);
      assert.equal(r.stdout, '');
      assert.equal(
        r.stderr,
        'error: horizontalpodautoscaler.autoscaling/old-nginx scales these Deployments and would undo the change; remove it, or pass --force to scale anyway',
      );
      const forced = await canary(c, ['set', 'new-nginx', '20', '--force', '--wait=false']);
      assert.equal(forced.exitCode, 0, forced.stderr);
      assert.match(forced.stderr, /^Warning: horizontalpodautoscaler.autoscaling\/old-nginx scales these Deployments and may undo the change\n/);
    } finally {
      await c.kubectl(['-n', NS, 'delete', 'hpa', 'old-nginx']);
    }
  });

  it('concurrent sets never leave a mix of both: conflicts are re-read and re-planned', async () => {
    await canary(c, ['set', 'new-nginx', '50', '--total', '4']);
    const [a, b] = await Promise.all([canary(c, ['set', 'new-nginx', '25', '--wait=false']), canary(c, ['set', 'new-nginx', '75', '--wait=false'])]);
    assert.equal(a.exitCode, 0, `A: ${a.stderr}`);
    assert.equal(b.exitCode, 0, `B: ${b.stderr}`);
    const spec = (await c.kubectl(['-n', NS, 'get', 'deploy', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.replicas} {end}'])).stdout.trim();
    assert.ok(['new-nginx=1 old-nginx=3', 'new-nginx=3 old-nginx=1'].includes(spec), `one of the two splits, not a mix: ${spec}`);
    // Only what was written is said, once: an attempt re-planned after a conflict leaves no lines.
    for (const r of [a, b]) {
      const lines = r.stdout.trim().split('\n');
      assert.equal(new Set(lines).size, lines.length, r.stdout);
      assert.equal(lines.filter((l) => l.startsWith('canary new-nginx gets')).length, 1, r.stdout);
    }
  });

  it('waits for a lock another run holds on the Service, gives up at --timeout, and takes over an expired one', async () => {
    const lease = (renew: string, seconds: number) =>
      `apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: kubectl-traffic.service.nginx, namespace: ${NS}}\nspec: {holderIdentity: "kubectl canary set new-nginx 10 (ana@laptop)", leaseDurationSeconds: ${seconds}, acquireTime: "${renew}", renewTime: "${renew}"}\n`;
    await c.kubectl(['apply', '-f', '-'], { input: lease(new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'), 600) });
    const blocked = await canary(c, ['set', 'new-nginx', '50', '--timeout', '2s']);
    assert.equal(blocked.exitCode, 1);
    assert.match(
      blocked.stderr,
      /^waiting for kubectl canary set new-nginx 10 \(ana@laptop\) to finish \(lease\/kubectl-traffic\.service\.nginx, up to 2s\)\n/,
    );
    assert.match(
      blocked.stderr,
      /\nerror: another run \(kubectl canary set new-nginx 10 \(ana@laptop\)\) is changing service\/nginx now and holds lease\/kubectl-traffic\.service\.nginx in namespace "canary-l4"; try again when it is done \(a run that died loses it 10m after its last renewal\)$/,
    );
    await c.kubectl(['apply', '-f', '-'], { input: lease('2026-01-01T00:00:00.000000Z', 30) });
    const r = await canary(c, ['set', 'new-nginx', '50', '--wait=false']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal((await c.kubectl(['-n', NS, 'get', 'lease', 'kubectl-traffic.service.nginx'], { reject: false })).exitCode, 1, 'released after use');
  });

  it('istio mode: a VirtualService routing the Service gets exact weights between subsets; header routes stay; istioctl accepts it', async () => {
    await c.apply(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: nginx, namespace: ${NS}}
spec:
  hosts: [nginx]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: nginx, port: {number: 80}}}]
  - route: [{destination: {host: nginx, port: {number: 80}}}]
`);
    try {
      const r = await canary(c, ['set', 'new-nginx', '30']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(
        r.stdout,
        'destinationrule.networking.istio.io/nginx created\nvirtualservice.networking.istio.io/nginx configured\ncanary new-nginx gets 30% of service/nginx (subset new; mode istio, virtualservice/nginx)',
      );
      const vs = JSON.parse((await c.kubectl(['-n', NS, 'get', 'virtualservice', 'nginx', '-o', 'json'])).stdout) as { spec: { http: unknown[] } };
      assert.deepEqual(vs.spec.http, [
        { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host: 'nginx', port: { number: 80 } } }] },
        {
          route: [
            { destination: { host: 'nginx', subset: 'old', port: { number: 80 } }, weight: 70 },
            { destination: { host: 'nginx', subset: 'new', port: { number: 80 } }, weight: 30 },
          ],
        },
      ]);
      const dr = JSON.parse((await c.kubectl(['-n', NS, 'get', 'destinationrule', 'nginx', '-o', 'json'])).stdout) as {
        spec: unknown;
        metadata: { labels: Record<string, string> };
      };
      assert.deepEqual(dr.spec, {
        host: 'nginx',
        subsets: [
          { name: 'old', labels: { version: 'old' } },
          { name: 'new', labels: { version: 'new' } },
        ],
      });
      assert.equal(dr.metadata.labels['app.kubernetes.io/managed-by'], 'kubectl-canary');
      const yaml = (await c.kubectl(['-n', NS, 'get', 'virtualservice,destinationrule', '-o', 'yaml'])).stdout;
      const validate = await execa(bin('istioctl'), ['validate', '-f', '-'], { input: yaml, reject: false });
      assert.equal(validate.exitCode, 0, validate.stderr + validate.stdout);
      const again = await canary(c, ['set', 'new-nginx', '30']);
      assert.equal(
        again.stdout,
        'virtualservice.networking.istio.io/nginx unchanged\ncanary new-nginx gets 30% of service/nginx (subset new; mode istio, virtualservice/nginx)',
      );
      const replicasOnly = await canary(c, ['set', 'new-nginx', '30', '--mode', 'replicas']);
      assert.equal(replicasOnly.exitCode, 1);
      assert.match(
        replicasOnly.stderr,
        /^error: virtualservice\.networking\.istio\.io\/nginx routes service "nginx", so its weights, not replica counts, decide the split/,
      );
      await c.kubectl(['-n', NS, 'scale', 'deployment/new-nginx', '--replicas=0']);
      await c.kubectl(['-n', NS, 'rollout', 'status', 'deployment/new-nginx', '--timeout=60s']);
      const empty = await canary(c, ['set', 'new-nginx', '40']);
      assert.deepEqual([empty.exitCode, empty.stdout], [1, '']);
      assert.match(empty.stderr, /^error: deployment "new-nginx" has no ready pods, so 40% of the traffic would fail; scale it up first/);
      // abort: the default route as before the first set (no subsets), even with the canary at 0 pods.
      const abort = await canary(c, ['abort', 'new-nginx']);
      assert.equal(abort.exitCode, 0, abort.stderr);
      const restored = JSON.parse((await c.kubectl(['-n', NS, 'get', 'virtualservice', 'nginx', '-o', 'json'])).stdout) as { spec: { http: unknown[] } };
      assert.deepEqual(restored.spec.http[1], { route: [{ destination: { host: 'nginx', port: { number: 80 } } }] });
    } finally {
      await c.kubectl(['-n', NS, 'delete', 'virtualservice,destinationrule', 'nginx']);
    }
    const none = await canary(c, ['set', 'new-nginx', '30', '--mode', 'istio']);
    assert.deepEqual(
      [none.exitCode, none.stderr],
      [1, `error: no VirtualService in namespace "${NS}" routes service "nginx"; --mode istio needs one (or use --mode replicas)`],
    );
  });

  it('abort restores the stable replicas recorded before the first set and scales the canary to 0', async () => {
    await canary(c, ['set', 'new-nginx', '75', '--total', '4']);
    const r = await canary(c, ['abort', 'new-nginx']);
    assert.equal(r.exitCode, 0, r.stderr);
    const baseline = JSON.parse(
      (await c.kubectl(['-n', NS, 'get', 'deploy', 'new-nginx', '-o', "jsonpath={.metadata.annotations['traffic\\.kubectl-plugins\\.io/previous-replicas']}"]))
        .stdout || '{}',
    ) as Record<string, number>;
    assert.deepEqual(baseline, {}, 'the baseline is cleared');
    // The baseline recorded by the first set in this namespace was old-nginx=1, new-nginx=1.
    assert.equal(r.stdout, 'deployment.apps/new-nginx scaled (3 -> 0)\ncanary new-nginx aborted: all traffic of service/nginx to old-nginx (1 pod)');
    const spec = (await c.kubectl(['-n', NS, 'get', 'deploy', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.replicas} {end}'])).stdout.trim();
    assert.equal(spec, 'new-nginx=0 old-nginx=1');
    const again = await canary(c, ['abort', 'new-nginx']);
    assert.equal(
      again.stdout,
      'deployment.apps/new-nginx unchanged\ndeployment.apps/old-nginx unchanged\ncanary new-nginx aborted: all traffic of service/nginx to old-nginx (1 pod)',
    );
  });

  it('promote moves the whole capacity to the canary; abort undoes it; --delete-stable removes the stable', async () => {
    await canary(c, ['set', 'new-nginx', '50', '--total', '4']);
    const p = await canary(c, ['promote', 'new-nginx']);
    assert.equal(p.exitCode, 0, p.stderr);
    assert.equal(
      p.stdout,
      'deployment.apps/new-nginx scaled (2 -> 4)\ndeployment.apps/old-nginx scaled (2 -> 0)\ncanary new-nginx promoted: all traffic of service/nginx (4 pods)',
    );
    assert.deepEqual(await replicas(c), { 'new-nginx': '4/4', 'old-nginx': '0/' });
    const undo = await canary(c, ['abort', 'new-nginx']);
    assert.equal(undo.exitCode, 0, undo.stderr);
    assert.deepEqual(await replicas(c), { 'new-nginx': '0/', 'old-nginx': '1/1' }, 'back to the replicas before the first set');
    const dry = await canary(c, ['promote', 'new-nginx', '--delete-stable', '--dry-run=server']);
    assert.match(dry.stdout, /deployment\.apps\/old-nginx deleted \(server dry run\)/);
    assert.equal((await c.kubectl(['-n', NS, 'get', 'deploy', 'old-nginx'], { reject: false })).exitCode, 0, 'server dry run deleted nothing');
    const del = await canary(c, ['promote', 'new-nginx', '--delete-stable']);
    assert.equal(del.exitCode, 0, del.stderr);
    assert.match(del.stdout, /deployment\.apps\/old-nginx deleted\n/);
    assert.equal((await c.kubectl(['-n', NS, 'get', 'deploy', 'old-nginx'], { reject: false })).exitCode, 1);
    const twice = await canary(c, ['promote', 'new-nginx', '--delete-stable']);
    assert.deepEqual(
      [twice.exitCode, twice.stdout],
      [0, 'deployment.apps/new-nginx unchanged\ncanary new-nginx already promoted: no other Deployment behind its Service'],
    );
  });

  it('bad input never reaches the cluster: one line, exit 2 for usage, 1 for a missing Deployment', async () => {
    const bad = await canary(c, ['set', 'new-nginx', '150']);
    assert.deepEqual([bad.exitCode, bad.stdout, bad.stderr], [2, '', 'error: percentage "150" must be a whole number from 0 to 100']);
    const frac = await canary(c, ['set', 'new-nginx', '12.5']);
    assert.equal(frac.exitCode, 2);
    const total = await canary(c, ['set', 'new-nginx', '50', '--total', '0']);
    assert.deepEqual([total.exitCode, total.stderr], [2, 'error: --total "0" must be a whole number from 1 to 1000']);
    const missing = await canary(c, ['set', 'newer-nginx', '10']);
    assert.deepEqual([missing.exitCode, missing.stdout], [1, '']);
    assert.equal(missing.stderr, 'error: deployment "newer-nginx" not found in namespace "canary-l4"');
  });
});

// kubectl bluegreen on Ingresses, on the real control plane: seed 001 chapter 2 with Alibaba's weight
// annotation, ingress-nginx canary Ingresses and ALB canary Ingresses; the playground data plane
// follows the split, so the probe shows the seed's old/new alternation. status -w runs in-process
// (test/inprocess/bluegreen-status-watch.test.ts).
import assert from 'node:assert/strict';
import { assertShare } from '../support/share.js';
import { sharedCluster } from '../support/fixture.js';
import type { Cluster } from '../harness/cluster.js';
import { startDataPlane, type DataPlane } from '../playground/dataplane.js';
import { applySeed, bluegreenIn, getJson } from '../support/bluegreen.js';
import { readyEndpoints } from '../support/endpoints.js';

interface Ingress {
  metadata: { name: string; resourceVersion: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: { rules: { host: string; http: { paths: { path: string; backend: { service: { name: string } } }[] } }[] };
}
interface ProbeDoc {
  requests: number;
  errors: number;
  versions: { version: string; count: number; percent: number; low: number; high: number }[];
}

const backends = (i: Ingress) => i.spec.rules[0].http.paths.map((p) => p.backend.service.name);

describe('kubectl bluegreen on Ingresses', function () {
  this.timeout(240_000);
  let c: Cluster;
  let dp: DataPlane;

  before(async () => {
    c = await sharedCluster();
    dp = await startDataPlane({ kubeconfig: c.kubeconfig, refreshMs: 100 });
  });
  after(async () => dp?.close());

  const probeShare = async (bg: ReturnType<typeof bluegreenIn>, headers: string[] = [], host = 'mini-echo.io') => {
    await dp.refresh();
    const r = await bg([
      'probe',
      `http://127.0.0.1:${dp.port}/`,
      '--host',
      host,
      '--count',
      '400',
      '--concurrency',
      '20',
      ...headers.flatMap((h) => ['-H', h]),
      '-o',
      'json',
    ]);
    assert.equal(r.exitCode, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as ProbeDoc;
    assert.equal(doc.errors, 0, JSON.stringify(doc));
    return doc;
  };

  describe('aliyun (the seed)', () => {
    const NS = 'bg-aliyun';
    let run: ReturnType<typeof bluegreenIn>;
    before(async () => {
      await applySeed(c, NS);
      run = bluegreenIn(c, NS);
    });

    it('set 50 writes the seed: new-nginx beside old-nginx under mini-echo.io/, ingress.aliyun.weight/new-nginx "50"; the probe sees both', async () => {
      const r = await run(['set', 'echo', 'new-nginx', '50', '--provider', 'aliyun', '-v']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(
        r.stdout,
        'ingress.networking.k8s.io/echo configured\ningress.networking.k8s.io/echo routes mini-echo.io/ old-nginx 50%, new-nginx 50% (provider aliyun)',
      );
      assert.match(r.stderr, /^Warning: the ingress\.aliyun\.weight\/\* and nginx\.ingress\.kubernetes\.io\/service-weight annotations are deprecated/);
      // One read of the Ingress (--provider names the kind), one list per kind, the journal's ConfigMap, one write.
      assert.match(r.stderr, /I: 7 API requests to \S+ \(get 2, list 4, patch 1\)$/);
      const ing = await getJson<Ingress>(c, NS, ['ingress', 'echo']);
      assert.deepEqual(backends(ing), ['old-nginx', 'new-nginx']);
      assert.equal(ing.metadata.annotations?.['ingress.aliyun.weight/new-nginx'], '50');
      const doc = await probeShare(run);
      const share = Object.fromEntries(doc.versions.map((v) => [v.version, v]));
      assert.deepEqual(Object.keys(share).sort(), ['new', 'old']);
      assertShare(share['new'].percent, 50, 400, 'new-nginx');
    });

    it('a second run changes nothing and says so; status shows both backends with their ready endpoints', async () => {
      const before = (await getJson<Ingress>(c, NS, ['ingress', 'echo'])).metadata.resourceVersion;
      const again = await run(['set', 'echo', 'new-nginx', '50']);
      assert.equal(again.exitCode, 0, again.stderr);
      assert.equal(
        again.stdout,
        'ingress.networking.k8s.io/echo unchanged\ningress.networking.k8s.io/echo routes mini-echo.io/ old-nginx 50%, new-nginx 50% (provider aliyun)',
      );
      assert.equal((await getJson<Ingress>(c, NS, ['ingress', 'echo'])).metadata.resourceVersion, before);
      // -o json: the document alone on stdout, nothing changed; the line for people on stderr.
      const doc = await run(['set', 'echo', 'new-nginx', '50', '-o', 'json']);
      assert.equal(doc.exitCode, 0, doc.stderr);
      const parsed = JSON.parse(doc.stdout) as { kind: string; changed: boolean; objects: unknown[] };
      assert.deepEqual(
        [parsed.kind, parsed.changed, parsed.objects],
        ['BlueGreenChange', false, [{ name: 'ingress.networking.k8s.io/echo', action: 'unchanged' }]],
      );
      assert.match(doc.stderr, /\ningress\.networking\.k8s\.io\/echo unchanged$/, 'after the provider warning, the line for people');
      const st = await run(['status']);
      assert.equal(st.exitCode, 0, st.stderr);
      assert.equal(
        st.stdout,
        'NAME           PROVIDER   HOST           PATH   SERVICE     WEIGHT   READY\n' +
          'ingress/echo   aliyun     mini-echo.io   /      old-nginx   50%      1\n' +
          'ingress/echo   aliyun     mini-echo.io   /      new-nginx   50%      1',
      );
      const json = JSON.parse((await run(['status', 'echo', '-o', 'json'])).stdout) as { items: { provider: string; slots: unknown[] }[] };
      assert.deepEqual(json.items[0].slots, [
        {
          host: 'mini-echo.io',
          path: '/',
          backends: [
            { service: 'old-nginx', percent: 50, ready: 1 },
            { service: 'new-nginx', percent: 50, ready: 1 },
          ],
        },
      ]);
    });

    it('dry runs write nothing: client prints the object, server has it validated', async () => {
      const rv = (await getJson<Ingress>(c, NS, ['ingress', 'echo'])).metadata.resourceVersion;
      const client = await run(['set', 'echo', 'new-nginx', '80', '--dry-run=client']);
      assert.equal(client.exitCode, 0, client.stderr);
      assert.match(client.stdout, /ingress\.aliyun\.weight\/new-nginx: '80'/);
      assert.match(client.stdout, /ingress\.networking\.k8s\.io\/echo would route mini-echo\.io\/ old-nginx 20%, new-nginx 80% \(provider aliyun\)$/);
      const server = await run(['set', 'echo', 'new-nginx', '80', '--dry-run=server']);
      assert.equal(server.exitCode, 0, server.stderr);
      assert.match(server.stdout, /^ingress\.networking\.k8s\.io\/echo configured \(server dry run\)\n/);
      // The same dry run with -o json: a BlueGreenChange with the split before and after, and nothing else on stdout.
      const doc = await run(['set', 'echo', 'new-nginx', '80', '--dry-run=server', '-o', 'json']);
      assert.equal(doc.exitCode, 0, doc.stderr);
      const backends = (old: number) => ({
        backends: [
          { service: 'old-nginx', percent: old },
          { service: 'new-nginx', percent: 100 - old },
        ],
      });
      assert.deepEqual(JSON.parse(doc.stdout), {
        apiVersion: 'bluegreen.traffic.kubectl-plugins.io/v1alpha1',
        kind: 'BlueGreenChange',
        operation: 'set',
        target: 'ingress.networking.k8s.io/echo',
        namespace: NS,
        provider: 'aliyun',
        slots: [{ host: 'mini-echo.io', path: '/', before: backends(50), after: backends(20) }],
        dryRun: 'server',
        changed: true,
        objects: [{ name: 'ingress.networking.k8s.io/echo', action: 'configured' }],
      });
      assert.match(doc.stderr, /^ingress\.networking\.k8s\.io\/echo configured \(server dry run\)$/m, 'the line for people on stderr');
      const name = await run(['set', 'echo', 'new-nginx', '80', '--dry-run=client', '-o', 'name']);
      assert.equal(name.exitCode, 0, name.stderr);
      assert.equal(name.stdout, 'ingress.networking.k8s.io/echo');
      assert.equal((await getJson<Ingress>(c, NS, ['ingress', 'echo'])).metadata.resourceVersion, rv);
    });

    it('switch is refused while new-nginx has no ready endpoints; status calls traffic to nothing an error', async () => {
      await c.kubectl(['-n', NS, 'scale', 'deployment/new-nginx', '--replicas=0']);
      await readyEndpoints(c, NS, 'new-nginx', 0, 60_000);
      const r = await run(['switch', 'echo', 'new-nginx']);
      assert.deepEqual([r.exitCode, r.stdout], [1, '']);
      assert.match(
        r.stderr,
        /\nerror: service "new-nginx" has no ready endpoints, so the 100% of mini-echo\.io\/ sent to it would fail; wait for its pods to be ready .*, or pass --force$/,
      );
      const st = await run(['status', 'echo']);
      assert.equal(st.exitCode, 1);
      assert.match(st.stderr, /error: ingress\/echo: service "new-nginx" gets 50% of mini-echo\.io\/ but has no ready endpoints$/);
      await c.kubectl(['-n', NS, 'scale', 'deployment/new-nginx', '--replicas=1']);
      await readyEndpoints(c, NS, 'new-nginx', 1, 60_000);
      const ok = await run(['switch', 'echo', 'new-nginx']);
      assert.equal(ok.exitCode, 0, ok.stderr);
      assert.equal((await probeShare(run)).versions.map((v) => v.version).join(), 'new');
    });

    it('rollback restores the Ingress as it was before the first set; finalize keeps old-nginx without --delete-old, and deletes it when asked later', async () => {
      const rb = await run(['rollback', 'echo']);
      assert.equal(rb.exitCode, 0, rb.stderr);
      let ing = await getJson<Ingress>(c, NS, ['ingress', 'echo']);
      assert.deepEqual(backends(ing), ['old-nginx']);
      assert.deepEqual(Object.keys(ing.metadata.annotations ?? {}), []);
      assert.equal((await probeShare(run)).versions.map((v) => v.version).join(), 'old');
      // Without a recorded split or weights, the provider must be named again.
      assert.equal((await run(['set', 'echo', 'new-nginx', '100', '--provider', 'aliyun'])).exitCode, 0);
      const dry = await run(['finalize', 'echo', '--delete-old', '--dry-run=server']);
      assert.equal(dry.exitCode, 0, dry.stderr);
      assert.equal(
        dry.stdout,
        'ingress.networking.k8s.io/echo configured (server dry run)\nservice/old-nginx deleted (server dry run)\ningress.networking.k8s.io/echo would route mini-echo.io/ new-nginx 100% (provider aliyun)',
      );
      const fin = await run(['finalize', 'echo']);
      assert.equal(fin.exitCode, 0, fin.stderr);
      assert.match(fin.stderr, /kept service\/old-nginx \(delete with --delete-old\)$/);
      ing = await getJson<Ingress>(c, NS, ['ingress', 'echo']);
      assert.deepEqual(backends(ing), ['new-nginx']);
      assert.deepEqual(ing.metadata.annotations ?? {}, { 'traffic.kubectl-plugins.io/bluegreen.released': '["old-nginx"]' });
      assert.equal((await c.kubectl(['-n', NS, 'get', 'service', 'old-nginx'], { reject: false })).exitCode, 0, 'old-nginx kept');
      const again = await run(['finalize', 'echo', '--service', 'new-nginx', '--provider', 'aliyun']);
      assert.equal(
        again.stdout,
        'ingress.networking.k8s.io/echo unchanged\ningress.networking.k8s.io/echo routes mini-echo.io/ new-nginx 100% (provider aliyun)',
      );
      // The kept Service is remembered: --delete-old later still deletes it, and clears the record.
      const del = await run(['finalize', 'echo', '--delete-old', '--provider', 'aliyun']);
      assert.equal(del.exitCode, 0, del.stderr);
      assert.equal(
        del.stdout,
        'ingress.networking.k8s.io/echo configured\nservice/old-nginx deleted\ningress.networking.k8s.io/echo routes mini-echo.io/ new-nginx 100% (provider aliyun)',
      );
      assert.deepEqual((await getJson<Ingress>(c, NS, ['ingress', 'echo'])).metadata.annotations ?? {}, {});
      assert.equal((await c.kubectl(['-n', NS, 'get', 'service', 'old-nginx'], { reject: false })).exitCode, 1, 'old-nginx deleted');
    });

    it('one-line errors: unknown object, unknown Service, a host it does not route, header preview on aliyun', async () => {
      const cases: [string[], number, RegExp][] = [
        [['set', 'nope', 'new-nginx', '10'], 1, /^error: no Ingress, HTTPRoute or VirtualService named "nope" in namespace "bg-aliyun"$/],
        [['set', 'echo', 'ghost', '10', '--provider', 'aliyun'], 1, /error: service "ghost" not found in namespace "bg-aliyun"$/],
        [
          ['set', 'echo', 'old-nginx', '10', '--provider', 'aliyun', '--host', 'other.io'],
          2,
          /error: ingress\.networking\.k8s\.io\/echo has no route for host "other\.io"; it routes mini-echo\.io\/$/,
        ],
        [
          ['preview', 'echo', 'new-nginx', '--header', 'x-env=test', '--provider', 'aliyun'],
          2,
          /error: provider aliyun cannot route by header; use a provider that can \(nginx, alb, gateway, istio\)$/,
        ],
      ];
      for (const [argv, code, err] of cases) {
        const r = await run(argv);
        assert.deepEqual([r.exitCode, r.stdout], [code, ''], argv.join(' '));
        assert.match(r.stderr, err);
      }
    });
  });

  describe('nginx (canary Ingress)', () => {
    const NS = 'bg-nginx';
    let run: ReturnType<typeof bluegreenIn>;
    before(async () => {
      await applySeed(c, NS, { host: 'nginx.mini-echo.io' });
      run = bluegreenIn(c, NS);
    });

    it('set 20 creates one canary Ingress for the rule; the probe measures about 20% new; the controller end of life is said', async () => {
      const r = await run(['set', 'echo', 'new-nginx', '20']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(
        r.stdout,
        'ingress.networking.k8s.io/echo-canary created\ningress.networking.k8s.io/echo configured\ningress.networking.k8s.io/echo routes nginx.mini-echo.io/ old-nginx 80%, new-nginx 20% (provider nginx)',
      );
      assert.match(r.stderr, /^Warning: ingress-nginx was retired in March 2026/);
      const canary = await getJson<Ingress>(c, NS, ['ingress', 'echo-canary']);
      assert.deepEqual(backends(canary), ['new-nginx']);
      assert.equal(canary.metadata.annotations?.['nginx.ingress.kubernetes.io/canary-weight'], '20');
      assert.equal(canary.metadata.labels?.['app.kubernetes.io/managed-by'], 'kubectl-bluegreen');
      // --route sets each backend's observed share against the split the Ingress is set to.
      await dp.refresh();
      const p = await run([
        'probe',
        `http://127.0.0.1:${dp.port}/`,
        '--host',
        'nginx.mini-echo.io',
        '--count',
        '400',
        '--concurrency',
        '20',
        '--route',
        'echo',
        '-o',
        'json',
      ]);
      assert.equal(p.exitCode, 0, p.stderr);
      const doc = JSON.parse(p.stdout) as ProbeDoc & {
        route: string;
        backends: { service: string; version: string; configuredPercent: number; observedPercent: number; consistent: boolean }[];
      };
      assert.equal(doc.errors, 0);
      assert.equal(doc.route, 'ingress.networking.k8s.io/echo nginx.mini-echo.io/');
      assert.deepEqual(
        doc.backends.map((b) => [b.service, b.version, b.configuredPercent]),
        [
          ['old-nginx', 'old', 80],
          ['new-nginx', 'new', 20],
        ],
      );
      for (const b of doc.backends) assertShare(b.observedPercent, b.configuredPercent, 400, b.service);
      const table = await run(['probe', `http://127.0.0.1:${dp.port}/`, '--host', 'nginx.mini-echo.io', '--count', '100', '--route', 'echo']);
      assert.match(
        table.stdout,
        /\nsplit of ingress\.networking\.k8s\.io\/echo nginx\.mini-echo\.io\/:\nservice old-nginx \(version old\): set to 80%, observed [\d.]+% \(95% interval [\d.]+% - [\d.]+%\): (consistent|NOT consistent with the weight set)\nservice new-nginx \(version new\): set to 20%, observed /,
      );
    });

    it('preview by header rides on the same canary Ingress; the header reaches new-nginx every time', async () => {
      const r = await run(['preview', 'echo', 'new-nginx', '--header', 'x-env=test']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, /^ingress\.networking\.k8s\.io\/echo-canary configured\n/);
      assert.match(r.stdout, /routes nginx\.mini-echo\.io\/ old-nginx 80%, new-nginx 20%; preview header x-env: test -> new-nginx \(provider nginx\)$/);
      assert.equal((await probeShare(run, ['x-env: test'], 'nginx.mini-echo.io')).versions.map((v) => v.version).join(), 'new');
      assert.equal((await getJson<{ items: unknown[] }>(c, NS, ['ingress'])).items.length, 2, 'still one canary Ingress');
    });

    it('two sets at once both finish (conflicts are re-read and re-planned); one of their splits wins', async () => {
      const [a, b] = await Promise.all([run(['set', 'echo', 'new-nginx', '30']), run(['set', 'echo', 'new-nginx', '40'])]);
      assert.equal(a.exitCode, 0, a.stderr);
      assert.equal(b.exitCode, 0, b.stderr);
      const w = (await getJson<Ingress>(c, NS, ['ingress', 'echo-canary'])).metadata.annotations?.['nginx.ingress.kubernetes.io/canary-weight'];
      assert.ok(w === '30' || w === '40', w);
    });

    it('finalize --delete-old: new-nginx on the main Ingress, the canary Ingress and the Service old-nginx deleted', async () => {
      const r = await run(['finalize', 'echo', '--delete-old']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(
        r.stdout,
        'ingress.networking.k8s.io/echo configured\ningress.networking.k8s.io/echo-canary deleted\nservice/old-nginx deleted\ningress.networking.k8s.io/echo routes nginx.mini-echo.io/ new-nginx 100% (provider nginx)',
      );
      assert.equal((await c.kubectl(['-n', NS, 'get', 'service', 'old-nginx'], { reject: false })).exitCode, 1, 'old-nginx deleted');
      assert.deepEqual(
        (await getJson<{ items: Ingress[] }>(c, NS, ['ingress'])).items.map((i) => [i.metadata.name, backends(i).join()]),
        [['echo', 'new-nginx']],
      );
      assert.equal((await probeShare(run, [], 'nginx.mini-echo.io')).versions.map((v) => v.version).join(), 'new');
    });
  });

  describe('alb (ALB canary Ingresses)', () => {
    const NS = 'bg-alb';
    let run: ReturnType<typeof bluegreenIn>;
    before(async () => {
      await applySeed(c, NS, { host: 'alb.mini-echo.io' });
      await c.apply(`apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: alb}\nspec: {controller: ingress.k8s.alibabacloud/alb}\n`);
      await c.kubectl(['-n', NS, 'patch', 'ingress', 'echo', '--type=merge', '-p', '{"spec":{"ingressClassName":"alb"}}']);
      run = bluegreenIn(c, NS);
    });

    it('weight and header preview go on two canary Ingresses (ALB cannot combine them); the API server accepts both', async () => {
      assert.equal((await run(['set', 'echo', 'new-nginx', '10'])).exitCode, 0);
      const p = await run(['preview', 'echo', 'new-nginx', '--cookie', 'beta']);
      assert.equal(p.exitCode, 0, p.stderr);
      const items = (await getJson<{ items: Ingress[] }>(c, NS, ['ingress'])).items;
      assert.deepEqual(
        items.map((i) => i.metadata.name),
        ['echo', 'echo-canary', 'echo-preview'],
      );
      assert.deepEqual(items[2].metadata.annotations, { 'alb.ingress.kubernetes.io/canary': 'true', 'alb.ingress.kubernetes.io/canary-by-cookie': 'beta' });
      const st = JSON.parse((await run(['status', 'echo', '-o', 'json'])).stdout) as { items: { provider: string; slots: { preview?: unknown }[] }[] };
      assert.equal(st.items[0].provider, 'alb');
      assert.deepEqual(st.items[0].slots[0].preview, { service: 'new-nginx', cookie: 'beta', ready: 1 });
      const rb = await run(['rollback', 'echo']);
      assert.equal(rb.exitCode, 0, rb.stderr);
      assert.deepEqual(
        (await getJson<{ items: Ingress[] }>(c, NS, ['ingress'])).items.map((i) => i.metadata.name),
        ['echo'],
      );
    });
  });
});

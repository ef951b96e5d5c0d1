// Crash safety on the real control plane: the API server is killed (SIGKILL) at every step boundary
// of a journaled change, then started again on the same etcd data, certificates and port. The
// interrupted run must say what it did and how to finish and undo it; the rerun of the same command
// must reach the requested state (continuing the journal, not re-planning from the half-changed
// objects); abort/rollback must bring back the state from before.
//
// How the crash is placed (the simplest honest way): the command runs in-process, and the executor's
// test seam (stepHooks in shared/kube/carry-out.ts, which nothing but a test sets) kills the API
// server from this process when the journal reaches boundary k (k steps done: 0 is "journal
// recorded, nothing written yet"). The command then meets a dead server on its next request, as it
// would after a real crash of the API server between two writes.
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../harness/cluster.js';
import { runInProcess, type RunResult } from '../support/buffers.js';
import { stepHooks } from '../../shared/kube/carry-out.js';
import type { PluginDefinition } from '../../shared/cli/command.js';
import { plugin as canary } from '../../plugins/canary/cli.js';
import { plugin as bluegreen } from '../../plugins/bluegreen/cli.js';
import { plugin as ingressHa } from '../../plugins/ingress-ha/cli.js';

const L4 = 'crash-l4';
const BG = 'crash-bg';

interface Crashed {
  r: RunResult;
  /** Steps of the change (from the journal), when it was journaled. */
  total?: number;
  killed: boolean;
}

describe('crash safety: the API server killed at every step boundary, restarted on its data', function () {
  this.timeout(600_000);
  let c: Cluster;
  const timings: string[] = [];

  before(async () => {
    c = await startCluster({
      name: 'crash',
      // Istio's CRDs (VirtualService, DestinationRule) for the Istio promote; no Gateway API.
      istio: true,
      gatewayApi: false,
      nodes: [
        { name: 'cr-a1', zone: 'zone-a', labels: { 'node-role.kubernetes.io/ingress': 'true' } },
        { name: 'cr-b1', zone: 'zone-b', labels: { 'node-role.kubernetes.io/ingress': 'true' } },
      ],
    });
  });
  after(async () => {
    stepHooks.atBoundary = undefined;
    if (timings.length) process.stderr.write(`      ${timings.join('\n      ')}\n`);
    await c?.stop();
  });

  const run = (plugin: PluginDefinition, ns: string, args: string[]) =>
    runInProcess(plugin, [...args, '-n', ns, '--kubeconfig', c.kubeconfig], { NO_COLOR: '1' });

  /** Run with the API server killed when the change's journal reaches boundary k. */
  async function crashAt(plugin: PluginDefinition, ns: string, args: string[], k: number): Promise<Crashed> {
    const out: { total?: number; killed: boolean } = { killed: false };
    stepHooks.atBoundary = async (done, total) => {
      out.total = total;
      if (done === k && !out.killed) {
        out.killed = true;
        await c.killApiServer();
      }
    };
    try {
      const r = await run(plugin, ns, args);
      return { r, ...out };
    } finally {
      stepHooks.atBoundary = undefined;
      if (out.killed) {
        const t0 = Date.now();
        await c.restartApiServer();
        timings.push(`API server restarted on its data in ${Date.now() - t0} ms`);
      }
    }
  }

  /** What an interrupted run says: finish with the same command (all flags), undo with the command named. */
  function assertInterrupted(x: Crashed, k: number, command: string, undo: RegExp): void {
    const last = x.r.stderr.trim().split('\n').at(-1) ?? '';
    if (k === x.total) {
      // Every step was done: at most the journal's removal (or what follows the change) met the dead server.
      assert.match(x.r.stderr, /the change is complete, but its journal stays|cannot reach|connect/, x.r.stderr);
      return;
    }
    assert.equal(x.r.code, 1, x.r.stderr);
    assert.ok(last.startsWith('error: '), x.r.stderr);
    assert.ok(!/\n\s+at /.test(x.r.stderr), `no stack trace: ${x.r.stderr}`);
    if (k === 0) {
      assert.ok(last.includes(`nothing was changed yet; run it again (it goes on from its journal): ${command}`), last);
      return;
    }
    assert.ok(last.includes(`the change stopped after step ${k} of ${x.total}`), last);
    assert.ok(last.includes(`; to finish it: ${command}; to undo it: `), last);
    assert.match(last, undo);
  }

  /**
   * A crashed holder's Lease is taken over 15 s after its last renewal (canary-lock.test.ts shows it);
   * here it is removed by hand, to keep each boundary short.
   */
  async function clearLocks(ns: string): Promise<void> {
    await c.kubectl(['-n', ns, 'delete', 'lease', '--all', '--wait=false'], { reject: false });
  }

  async function journals(ns: string): Promise<string[]> {
    const r = await c.kubectl(['-n', ns, 'get', 'configmap', '-o', 'jsonpath={range .items[*]}{.metadata.name} {end}']);
    return r.stdout
      .trim()
      .split(' ')
      .filter((n) => n.includes('.journal.'));
  }

  describe('kubectl canary (replicas mode)', () => {
    const deployment = (name: string, version: string, replicas: number) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: L4 },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'nginx', version } },
        template: { metadata: { labels: { app: 'nginx', version } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } },
      },
    });
    const replicas = async () =>
      (await c.kubectl(['-n', L4, 'get', 'deploy', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.replicas} {end}'])).stdout.trim();
    const BEFORE = 'new-nginx=0 old-nginx=4';

    before(async () => {
      await c.apply([
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: L4 } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'nginx', namespace: L4 }, spec: { selector: { app: 'nginx' }, ports: [{ port: 80 }] } },
        deployment('old-nginx', 'old', 4),
        deployment('new-nginx', 'new', 0),
      ]);
      await c.kubectl(['-n', L4, 'rollout', 'status', 'deployment/old-nginx', '--timeout=60s']);
    });

    const cases: { verb: string; args: string[]; after: string; setup?: string[] }[] = [
      // Without --total: the rerun must not recompute the total from the half-changed replicas (issue 11).
      { verb: 'set', args: ['set', 'new-nginx', '75', '--wait=false'], after: 'new-nginx=3 old-nginx=1' },
      // The rerun must keep the capacity both had (4), not 4 + the canary's new pods (issue 11: 9 instead of 5).
      { verb: 'promote', args: ['promote', 'new-nginx', '--wait=false'], after: 'new-nginx=4 old-nginx=0' },
    ];
    for (const cs of cases) {
      it(`${cs.verb}: crashed at each boundary, the rerun finishes it, abort brings back the state from before`, async () => {
        assert.equal(await replicas(), BEFORE);
        let total = Infinity;
        for (let k = 0; k <= total; k++) {
          const t0 = Date.now();
          const x = await crashAt(canary, L4, cs.args, k);
          total = x.total ?? 0;
          assert.ok(x.killed, `boundary ${k} of ${total} reached`);
          assertInterrupted(
            x,
            k,
            `kubectl canary ${[...cs.args, '-n', L4, '--kubeconfig', c.kubeconfig].join(' ')}`,
            /to undo it: kubectl canary abort new-nginx -n crash-l4 --kubeconfig \S+$/,
          );
          await clearLocks(L4);
          const again = await run(canary, L4, cs.args);
          assert.equal(again.code, 0, `boundary ${k}: ${again.stderr}`);
          assert.equal(await replicas(), cs.after, `boundary ${k}: the rerun reaches the requested state`);
          assert.deepEqual(await journals(L4), []);
          const t1 = Date.now();
          const abort = await run(canary, L4, ['abort', 'new-nginx', '--wait=false']);
          assert.equal(abort.code, 0, abort.stderr);
          assert.equal(await replicas(), BEFORE, `boundary ${k}: abort restores the state from before`);
          timings.push(`canary ${cs.verb} boundary ${k}/${total}: ${Date.now() - t0} ms (abort ${Date.now() - t1} ms)`);
        }
        assert.ok(total >= 2, `a multi-step change (${total} steps)`);
      });
    }

    it('abort: crashed at each boundary, the rerun of abort brings back the state from before', async () => {
      let total = Infinity;
      for (let k = 0; k <= total; k++) {
        const set = await run(canary, L4, ['set', 'new-nginx', '75', '--wait=false']);
        assert.equal(set.code, 0, set.stderr);
        assert.equal(await replicas(), 'new-nginx=3 old-nginx=1');
        const x = await crashAt(canary, L4, ['abort', 'new-nginx', '--wait=false'], k);
        total = x.total ?? 0;
        assertInterrupted(
          x,
          k,
          `kubectl canary abort new-nginx --wait=false -n ${L4} --kubeconfig ${c.kubeconfig}`,
          /to undo it: kubectl scale deployment new-nginx --replicas=3 -n crash-l4 && kubectl scale deployment old-nginx --replicas=1 -n crash-l4$/,
        );
        await clearLocks(L4);
        const again = await run(canary, L4, ['abort', 'new-nginx', '--wait=false']);
        assert.equal(again.code, 0, `boundary ${k}: ${again.stderr}`);
        assert.equal(await replicas(), BEFORE, `boundary ${k}`);
        assert.deepEqual(await journals(L4), []);
      }
    });

    it('abort after a set interrupted half-way plans from the recorded baseline', async () => {
      const x = await crashAt(canary, L4, ['set', 'new-nginx', '75', '--wait=false'], 1);
      assert.equal(x.r.code, 1);
      await clearLocks(L4);
      // Half-changed: the canary is up, the stable not down yet. A different set is refused with both commands.
      assert.equal(await replicas(), 'new-nginx=3 old-nginx=4');
      const other = await run(canary, L4, ['set', 'new-nginx', '20', '--wait=false']);
      assert.equal(other.code, 1);
      assert.match(
        other.stderr,
        /a change is half done here \(1 of 2 steps of 'kubectl canary set new-nginx 75 .*'.*\); finish it: .*; or undo it: kubectl canary abort new-nginx/,
      );
      const abort = await run(canary, L4, ['abort', 'new-nginx', '--wait=false']);
      assert.equal(abort.code, 0, abort.stderr);
      assert.equal(await replicas(), BEFORE);
      assert.deepEqual(await journals(L4), []);
    });
  });

  describe('kubectl canary (Istio mode)', () => {
    const IS = 'crash-istio';
    const deployment = (version: string, replicas: number) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `reviews-${version}`, namespace: IS },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'reviews', version } },
        template: { metadata: { labels: { app: 'reviews', version } }, spec: { containers: [{ name: 'reviews', image: 'reviews' }] } },
      },
    });
    const ROUTE = [{ destination: { host: 'reviews' } }];
    const state = async () => {
      const r = await c.kubectl(['-n', IS, 'get', 'deploy', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.replicas} {end}']);
      const vs = JSON.parse((await c.kubectl(['-n', IS, 'get', 'virtualservice', 'reviews', '-o', 'json'])).stdout) as {
        metadata: { annotations?: Record<string, string> };
        spec: { http: { route: unknown[] }[] };
      };
      const recorded = Object.keys(vs.metadata.annotations ?? {}).some((k) => k.startsWith('traffic.kubectl-plugins.io/'));
      return { replicas: r.stdout.trim(), route: vs.spec.http[0].route, recorded };
    };

    before(async () => {
      await c.apply([
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: IS } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace: IS }, spec: { selector: { app: 'reviews' }, ports: [{ port: 9080 }] } },
        deployment('v1', 2),
        deployment('v2', 0),
        {
          apiVersion: 'networking.istio.io/v1',
          kind: 'VirtualService',
          metadata: { name: 'reviews', namespace: IS },
          spec: { hosts: ['reviews'], http: [{ route: ROUTE }] },
        },
      ]);
      await c.kubectl(['-n', IS, 'rollout', 'status', 'deployment/reviews-v1', '--timeout=60s']);
    });

    it('promote: crashed at each boundary, the rerun finishes it, abort brings back the replicas and the route from before', async () => {
      const before = { replicas: 'reviews-v1=2 reviews-v2=0', route: ROUTE, recorded: false };
      assert.deepEqual(await state(), before);
      const args = ['promote', 'reviews-v2', '--wait=false'];
      let total = Infinity;
      for (let k = 0; k <= total; k++) {
        const t0 = Date.now();
        const x = await crashAt(canary, IS, args, k);
        total = x.total ?? 0;
        assert.ok(x.killed, `boundary ${k} of ${total} reached`);
        assertInterrupted(
          x,
          k,
          `kubectl canary ${[...args, '-n', IS, '--kubeconfig', c.kubeconfig].join(' ')}`,
          /to undo it: kubectl canary abort reviews-v2 -n crash-istio --kubeconfig \S+$/,
        );
        await clearLocks(IS);
        const again = await run(canary, IS, args);
        assert.equal(again.code, 0, `boundary ${k}: ${again.stderr}`);
        const promoted = await state();
        assert.equal(promoted.replicas, 'reviews-v1=0 reviews-v2=2', `boundary ${k}: the capacity both had, not more`);
        assert.deepEqual(
          promoted.route,
          [
            { destination: { host: 'reviews', subset: 'v1' }, weight: 0 },
            { destination: { host: 'reviews', subset: 'v2' }, weight: 100 },
          ],
          `boundary ${k}`,
        );
        assert.deepEqual(await journals(IS), []);
        const abort = await run(canary, IS, ['abort', 'reviews-v2', '--wait=false']);
        assert.equal(abort.code, 0, abort.stderr);
        assert.deepEqual(await state(), before, `boundary ${k}: abort restores the replicas and the route from before`);
        timings.push(`canary promote (istio) boundary ${k}/${total}: ${Date.now() - t0} ms`);
      }
      assert.ok(total >= 3, `a multi-step change (${total} steps)`);
    });
  });

  describe('kubectl bluegreen (ingress-nginx canary Ingress: two objects per change)', () => {
    const ingresses = async () => {
      const r = await c.kubectl(['-n', BG, 'get', 'ingress', '-o', 'json']);
      const items = (JSON.parse(r.stdout) as { items: { metadata: { name: string; annotations?: Record<string, string> } }[] }).items;
      return items
        .map((i) => {
          const a = i.metadata.annotations ?? {};
          const ours = Object.keys(a).filter((k) => k.startsWith('traffic.kubectl-plugins.io/')).length;
          return `${i.metadata.name}${a['nginx.ingress.kubernetes.io/canary-weight'] ? ` weight=${a['nginx.ingress.kubernetes.io/canary-weight']}` : ''}${ours ? ' recorded' : ''}`;
        })
        .join(', ');
    };
    const BEFORE = 'echo';

    before(async () => {
      const svc = (name: string) => ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: BG },
        spec: { selector: { app: name }, ports: [{ port: 80 }] },
      });
      await c.apply([
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: BG } },
        { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } },
        svc('old-nginx'),
        svc('new-nginx'),
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: { name: 'echo', namespace: BG },
          spec: {
            ingressClassName: 'nginx',
            rules: [
              {
                host: 'crash.mini-echo.io',
                http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'old-nginx', port: { number: 80 } } } }] },
              },
            ],
          },
        },
      ]);
    });

    // --force: no pods behind the Services (their readiness is not what is tested here).
    const cases = [
      { verb: 'set', args: ['set', 'echo', 'new-nginx', '30', '--force'], after: 'echo recorded, echo-canary weight=30' },
      { verb: 'switch', args: ['switch', 'echo', 'new-nginx', '--force'], after: 'echo recorded, echo-canary weight=100' },
    ];
    for (const cs of cases) {
      it(`${cs.verb}: crashed at each boundary, the rerun finishes it, rollback brings back the Ingress from before`, async () => {
        assert.equal(await ingresses(), BEFORE);
        let total = Infinity;
        for (let k = 0; k <= total; k++) {
          const x = await crashAt(bluegreen, BG, cs.args, k);
          total = x.total ?? 0;
          assert.ok(x.killed, `boundary ${k} of ${total} reached`);
          assertInterrupted(
            x,
            k,
            `kubectl bluegreen ${[...cs.args, '-n', BG, '--kubeconfig', c.kubeconfig].join(' ')}`,
            /to undo it: kubectl bluegreen rollback echo -n crash-bg --kubeconfig \S+$/,
          );
          await clearLocks(BG);
          const again = await run(bluegreen, BG, cs.args);
          assert.equal(again.code, 0, `boundary ${k}: ${again.stderr}`);
          assert.equal(await ingresses(), cs.after, `boundary ${k}`);
          assert.deepEqual(await journals(BG), []);
          const rollback = await run(bluegreen, BG, ['rollback', 'echo', '--force']);
          assert.equal(rollback.code, 0, rollback.stderr);
          assert.equal(await ingresses(), BEFORE, `boundary ${k}: rollback restores the Ingress from before`);
          // A second rollback: nothing to do, and it says so (no --service hint: rollback has no such flag).
          const twice = await run(bluegreen, BG, ['rollback', 'echo', '--force']);
          assert.deepEqual([twice.code, twice.stdout.split('\n')[0]], [0, 'ingress.networking.k8s.io/echo unchanged (already rolled back)']);
          assert.ok(!twice.stderr.includes('--service'), twice.stderr);
        }
        assert.ok(total >= 2, `a multi-step change (${total} steps)`);
      });
    }
  });

  describe('no-op runs: the second run of each mutating command writes nothing', () => {
    const noop: string[] = [];
    after(() => void timings.push(...noop));

    /** Run twice; the second run (with -v) must send reads only. Returns its request line. */
    async function twice(plugin: PluginDefinition, ns: string, args: string[]): Promise<string> {
      const first = await run(plugin, ns, args);
      assert.equal(first.code, 0, first.stderr);
      const again = await run(plugin, ns, [...args, '-v', '-v']);
      assert.equal(again.code, 0, again.stderr);
      const line = /^I: (\d+) API requests to \S+ \((.*)\)$/m.exec(again.stderr);
      assert.ok(line, again.stderr);
      const verbs = line[2].split(', ').map((v) => v.split(' ')[0]);
      assert.deepEqual(
        verbs.filter((v) => v !== 'get' && v !== 'list'),
        [],
        `kubectl ${plugin.name} ${args.join(' ')}: ${again.stderr}`,
      );
      noop.push(`no-op kubectl ${plugin.name} ${args.join(' ')}: ${line[1]} requests (${line[2]})`);
      return line[0];
    }

    it('canary set, promote, abort', async () => {
      await twice(canary, L4, ['set', 'new-nginx', '75', '--wait=false']);
      await twice(canary, L4, ['promote', 'new-nginx', '--wait=false']);
      await twice(canary, L4, ['abort', 'new-nginx', '--wait=false']);
    });

    it('bluegreen set, switch, preview, rollback, finalize', async () => {
      await twice(bluegreen, BG, ['set', 'echo', 'new-nginx', '30', '--force']);
      await twice(bluegreen, BG, ['switch', 'echo', 'new-nginx', '--force']);
      await twice(bluegreen, BG, ['preview', 'echo', 'new-nginx', '--header', 'x-env=test', '--force']);
      await twice(bluegreen, BG, ['rollback', 'echo', '--force']);
      await twice(bluegreen, BG, ['finalize', 'echo', '--service', 'old-nginx', '--force']);
    });

    it('ingress-ha deploy', async () => {
      await c.kubectl(['create', 'namespace', 'crash-ha-noop']);
      await twice(ingressHa, 'crash-ha-noop', ['deploy', '--cloud', 'alibaba', '--timeout', '60s']);
    });
  });

  describe('kubectl ingress-ha deploy --adopt', () => {
    const OLD = 'nginx-ingress-controller';
    const LB = 'nginx-ingress-lb';
    const labels = { app: 'ingress-nginx' };
    const legacy = (ns: string) => [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: OLD, namespace: ns, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'controller', image: 'nginx', ports: [{ name: 'http', containerPort: 80 }] }] } },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: LB, namespace: ns },
        spec: { type: 'LoadBalancer', selector: labels, ports: [{ name: 'http', port: 80, targetPort: 80 }] },
      },
    ];

    it('crashed at each boundary, the rerun of the printed command finishes it and keeps the load balancer annotation', async () => {
      let total = Infinity;
      for (let k = 0; k <= total; k++) {
        const t0 = Date.now();
        const ns = `crash-ha-${k}`;
        await c.apply(legacy(ns));
        await c.kubectl(['-n', ns, 'rollout', 'status', `deployment/${OLD}`, '--timeout=60s']);
        const uid = (await c.kubectl(['-n', ns, 'get', 'svc', LB, '-o', 'jsonpath={.metadata.uid}'])).stdout;
        const args = ['deploy', '--adopt', OLD, '--cloud', 'alibaba', '--timeout', '60s'];
        const x = await crashAt(ingressHa, ns, args, k);
        total = x.total ?? 0;
        assert.ok(x.killed, `boundary ${k} of ${total} reached`);
        assertInterrupted(
          x,
          k,
          `kubectl ingress-ha ${[...args, '-n', ns, '--kubeconfig', c.kubeconfig].join(' ')}`,
          /to undo it: kubectl -n crash-ha-\d+ patch service /,
        );
        // A rerun without the user's --cloud would write other objects: refused, with the command to use.
        if (k > 0 && k < total) {
          const bare = await run(ingressHa, ns, ['deploy', '--adopt', OLD]);
          assert.equal(bare.code, 1);
          assert.ok(bare.stderr.includes(`finish it: kubectl ingress-ha ${args.join(' ')} -n ${ns}`), bare.stderr);
        }
        const again = await run(ingressHa, ns, args);
        assert.equal(again.code, 0, `boundary ${k}: ${again.stderr}`);
        const svc = JSON.parse((await c.kubectl(['-n', ns, 'get', 'svc', LB, '-o', 'json'])).stdout) as {
          metadata: { uid: string; annotations?: Record<string, string> };
          spec: { selector: Record<string, string>; externalTrafficPolicy?: string };
        };
        assert.equal(svc.metadata.uid, uid, 'the Service is kept');
        assert.equal(svc.metadata.annotations?.['service.beta.kubernetes.io/alibaba-cloud-loadbalancer-backend-label'], 'node-role.kubernetes.io/ingress=true');
        assert.equal(svc.spec.selector['app.kubernetes.io/name'], 'ingress-nginx');
        assert.equal(svc.spec.externalTrafficPolicy, 'Local');
        assert.equal((await c.kubectl(['-n', ns, 'get', 'deploy', OLD], { reject: false })).exitCode, 1, 'the old Deployment is gone');
        assert.deepEqual(await journals(ns), []);
        await c.kubectl(['delete', 'namespace', ns, '--wait=false']);
        timings.push(`deploy --adopt boundary ${k}/${total}: ${Date.now() - t0} ms`);
      }
      assert.ok(total >= 4, `a multi-step change (${total} steps)`);
    });
  });
});

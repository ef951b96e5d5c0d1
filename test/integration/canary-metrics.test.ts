// kubectl canary run and analyze judged by real traffic: requests sent to the Service's ClusterIP go
// through kube-proxy to the pods' responders on the test network, which report Istio's metrics
// (failing or slowing down as the pods' annotations ask); Istio's Prometheus addon (the real one,
// Debian's) scrapes them at the pods' addresses, and the plugin asks it through the API server.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { execa } from 'execa';
import { sharedCluster } from '../support/fixture.js';
import { REPO_ROOT } from '../harness/binaries.js';
import type { Cluster } from '../harness/cluster.js';
import { FAULT_DELAY_MS, FAULT_ERROR_PERCENT } from '../harness/network/istio-metrics.js';
import { prometheusBinary, servePrometheus, type PrometheusServer } from '../harness/prometheus.js';
import { scenario } from '../support/scenario.js';

const NS = 'canary-metrics';
const INTERVAL = '6s';
/**
 * A new pod's requests reach Prometheus after its discovery (Prometheus passes new targets on every 5 s)
 * and two scrapes: a step that sees too little yet waits another interval, as a cautious user runs it.
 */
const WAIT = ['--on-no-data', 'wait', '--timeout', '90s'];

/** Requests to address:80 at a steady pace until stopped (never more than `max`), a few at a time. */
function traffic(address: string, max = 20_000): { stop: () => Promise<number> } {
  let stopped = false;
  let sent = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      // A connection per request, as curl does: kube-proxy picks a backend per connection.
      const req = request({ host: address, port: 80, path: '/', timeout: 5000, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve());
      req.end();
    });
  const worker = async () => {
    while (!stopped && sent < max) {
      sent++;
      await one();
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const workers = Promise.all(Array.from({ length: 4 }, worker));
  return {
    stop: async () => {
      stopped = true;
      await workers;
      return sent;
    },
  };
}

describe('kubectl canary run/analyze judged by Prometheus metrics', function () {
  this.timeout(300_000);
  let c: Cluster;
  let prom: PrometheusServer | undefined;
  let load: { stop: () => Promise<number> } | undefined;
  const canary = (args: string[]) =>
    execa(join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary'), [...args, '-n', NS, '--kubeconfig', c.kubeconfig], {
      reject: false,
      stdin: 'ignore',
      env: { NO_COLOR: '1', PATH: process.env['PATH'] ?? '' },
      extendEnv: false,
    });
  const replicas = async () =>
    (await c.kubectl(['-n', NS, 'get', 'deploy', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.replicas} {end}'])).stdout.trim();
  /** Both versions back to 1 replica each with the given faults, the run's and analysis's records removed. */
  const reset = async (faults: { old?: Record<string, string>; new?: Record<string, string> }) => {
    for (const d of ['old-nginx', 'new-nginx']) {
      const f = (d === 'old-nginx' ? faults.old : faults.new) ?? {};
      const annotations = { [FAULT_ERROR_PERCENT]: f[FAULT_ERROR_PERCENT] ?? null, [FAULT_DELAY_MS]: f[FAULT_DELAY_MS] ?? null };
      await c.kubectl(['-n', NS, 'patch', 'deploy', d, '--type=merge', '-p', JSON.stringify({ spec: { template: { metadata: { annotations } } } })]);
    }
    await c.kubectl([
      '-n',
      NS,
      'annotate',
      'deploy',
      'new-nginx',
      'traffic.kubectl-plugins.io/previous-replicas-',
      'traffic.kubectl-plugins.io/run-',
      'traffic.kubectl-plugins.io/analysis-',
    ]);
    await c.kubectl(['-n', NS, 'scale', 'deploy/new-nginx', 'deploy/old-nginx', '--replicas=1']);
    await c.kubectl(['-n', NS, 'rollout', 'status', 'deploy/new-nginx', 'deploy/old-nginx', '--timeout=60s']);
  };
  const startLoad = async () => {
    const ip = (await c.kubectl(['-n', NS, 'get', 'svc', 'nginx', '-o', 'jsonpath={.spec.clusterIP}'])).stdout.trim();
    await c.network!.assertRouted(ip);
    load = traffic(ip);
  };
  const stopLoad = async () => {
    const sent = await load?.stop();
    load = undefined;
    return sent ?? 0;
  };

  before(async function () {
    c = await sharedCluster();
    if (!c.network || !prometheusBinary()) return this.skip();
    prom = await servePrometheus(c);
    await c.kubectl(['create', 'namespace', NS]);
    await c.apply(scenario('01-l4-canary.yaml', NS));
    await c.kubectl(['-n', NS, 'wait', '--for=condition=Available', 'deployment', '--all', '--timeout=60s']);
  });

  afterEach(async () => {
    await stopLoad();
  });

  after(async () => {
    await stopLoad();
    await prom?.stop();
    if (c && prom) await c.kubectl(['delete', 'namespace', NS, '--wait=false'], { reject: false });
  });

  it('a canary answering 500 to 20% of requests is rolled back at the first step, the measured error rate in the message', async () => {
    await reset({ new: { [FAULT_ERROR_PERCENT]: '20' } });
    await startLoad();
    const r = await canary([
      'run',
      'new-nginx',
      '--steps',
      '50,100',
      '--interval',
      INTERVAL,
      '--prometheus',
      'istio-system/prometheus:9090',
      '--max-error-rate',
      '5',
      ...WAIT,
    ]);
    assert.equal(r.exitCode, 1, r.stdout);
    assert.match(r.stdout, /^step 1\/2: analysis fail: \d+ requests to new-nginx in the last 6s; error-rate of new-nginx is [\d.]+%, above 5%$/m);
    const rate = Number(/failed at step 1 of 2 \(50%\): error-rate of new-nginx is ([\d.]+)%, above 5%; it was aborted/.exec(r.stderr)?.[1]);
    assert.ok(rate >= 15 && rate <= 25, `${r.stderr}: the responders fail 20% of the canary's requests`);
    assert.doesNotMatch(r.stdout, /step 2\/2/);
    assert.match(await replicas(), /^new-nginx=0 old-nginx=[1-9]$/, 'aborted: all traffic on the stable version');
    const status = await canary(['status', 'new-nginx']);
    assert.match(status.stdout, /^Last analysis: fail at step 1\/2 \(50%\), 6s window, .*Z: error-rate of new-nginx is [\d.]+%, above 5%$/m);
    const json = JSON.parse((await canary(['status', 'new-nginx', '-o', 'json'])).stdout) as { items: { lastAnalysis?: { verdict: string } }[] };
    assert.equal(json.items[0].lastAnalysis?.verdict, 'fail');
  });

  it('a healthy canary is promoted, each step judged by its real traffic', async () => {
    await reset({});
    await startLoad();
    const r = await canary([
      'run',
      'new-nginx',
      '--steps',
      '50',
      '--interval',
      INTERVAL,
      '--prometheus',
      'istio-system/prometheus:9090',
      '--max-p99',
      '200ms',
      ...WAIT,
    ]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(
      r.stdout,
      /^step 1\/1: analysis pass: \d+ requests to new-nginx in the last 6s; error-rate of new-nginx is 0%, within 1%; p99 of new-nginx is [\d.]+ ms, within 200 ms$/m,
    );
    assert.match(r.stdout, /canary new-nginx promoted after 1 step\b/);
    const status = await canary(['status', 'new-nginx']);
    assert.match(status.stdout, /^Last analysis: pass at step 1\/1 \(50%\)/m);
  });

  it('no traffic is no data: --on-no-data fail rolls back saying so; analyze exits 3, or 0 with --on-no-data pass', async () => {
    await reset({});
    const r = await canary(['run', 'new-nginx', '--steps', '50', '--interval', '5s', '--min-requests', '20']);
    assert.equal(r.exitCode, 1, r.stdout);
    assert.match(r.stderr, /failed at step 1 of 1 \(50%\): no data: \d+ requests to new-nginx in the last 5s, fewer than --min-requests 20; .*aborted/);
    assert.match(r.stdout, /^step 1\/1: analysis unknown: no data/m);
    const a = await canary(['analyze', 'new-nginx', '--since', '5s', '--min-requests', '20']);
    assert.equal(a.exitCode, 3, a.stderr);
    assert.match(a.stderr, /^unknown: no data: \d+ requests to new-nginx in the last 5s/m);
    assert.equal((await canary(['analyze', 'new-nginx', '--since', '5s', '--min-requests', '20', '--on-no-data', 'pass'])).exitCode, 0);
  });

  it('--on-no-data wait watches another interval until traffic comes, then judges it', async () => {
    await reset({});
    const child = canary(['run', 'new-nginx', '--steps', '50', '--interval', '5s', '--min-requests', '20', '--on-no-data', 'wait', '--timeout', '2m']);
    let started = false;
    child.stdout?.on('data', (b: Buffer) => {
      if (!started && b.toString().includes('too little traffic to judge')) {
        started = true;
        void startLoad();
      }
    });
    const r = await child;
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^step 1\/1: analysis unknown: no data: \d+ requests to new-nginx in the last 5s, fewer than --min-requests 20;/m);
    assert.match(r.stdout, /^step 1\/1: too little traffic to judge; watching another 5s$/m);
    assert.match(r.stdout, /^step 1\/1: analysis pass: \d+ requests to new-nginx/m);
    assert.match(r.stdout, /promoted after 1 step\b/);
  });

  it('a slow canary fails the p99 check', async () => {
    await reset({ new: { [FAULT_DELAY_MS]: '300' } });
    await startLoad();
    const r = await canary([
      'run',
      'new-nginx',
      '--steps',
      '50,100',
      '--interval',
      INTERVAL,
      '--max-p99',
      '200ms',
      '--prometheus',
      'istio-system/prometheus',
      ...WAIT,
    ]);
    assert.equal(r.exitCode, 1, r.stdout);
    // 300 ms answers fall in Istio's (250, 500] bucket, the p99 interpolating near 500; on a loaded machine
    // a few answer later than that and the p99 lands in (500, 1000].
    const p99 = Number(/failed at step 1 of 2 \(50%\): p99 of new-nginx is (\d+) ms, above 200 ms; it was aborted/.exec(r.stderr)?.[1]);
    assert.ok(p99 > 250 && p99 <= 1000, r.stderr);
  });

  it('--relative passes when both versions are equally slow; analyze shows both values, -o json, exit 3 when a check fails', async () => {
    await reset({ new: { [FAULT_DELAY_MS]: '300' }, old: { [FAULT_DELAY_MS]: '300' } });
    await startLoad();
    // Until both versions' new pods are discovered and scraped twice (analyze exits 3 on no data).
    let rel = await canary(['analyze', 'new-nginx', '--since', INTERVAL, '--max-p99', '100ms', '--relative', '-o', 'json', '-v']);
    for (let i = 0; i < 30 && rel.exitCode === 3 && (JSON.parse(rel.stdout) as { verdict: string }).verdict === 'unknown'; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      rel = await canary(['analyze', 'new-nginx', '--since', INTERVAL, '--max-p99', '100ms', '--relative', '-o', 'json', '-v']);
    }
    assert.equal(rel.exitCode, 0, rel.stdout + rel.stderr);
    // The figure of one round through the API server's service proxy.
    console.log(`      ${/^I: \d+ queries to .* answered and judged in \d+ ms$/m.exec(rel.stderr)?.[0] ?? rel.stderr}`);
    const doc = JSON.parse(rel.stdout) as {
      apiVersion: string;
      kind: string;
      verdict: string;
      requests: number;
      checks: { name: string; value: number; stable: number; status: string }[];
    };
    assert.deepEqual([doc.apiVersion, doc.kind, doc.verdict], ['canary.traffic.kubectl-plugins.io/v1alpha1', 'CanaryAnalysis', 'pass']);
    assert.equal(doc.requests, 3, 'one query per check: requests, error-rate, p99');
    const p99 = doc.checks.find((x) => x.name === 'p99')!;
    assert.ok(p99.value > 250 && p99.stable > 250 && p99.status === 'pass', JSON.stringify(p99));
    const abs = await canary(['analyze', 'new-nginx', '--since', INTERVAL, '--max-p99', '100ms']);
    assert.equal(abs.exitCode, 3, abs.stderr);
    assert.match(abs.stdout, /^CHECK\s+CANARY\s+LIMIT\s+RESULT$/m);
    assert.match(abs.stdout, /^p99\s+[\d.]+ms\s+<= 100ms\s+fail$/m);
    assert.match(abs.stderr, /^failed: p99 of new-nginx is [\d.]+ ms, above 100 ms$/m);
  });

  it('clear errors: no Prometheus there, a query Prometheus rejects, a query with several series', async () => {
    const none = await canary(['analyze', 'new-nginx', '--prometheus', 'istio-system/nope:9090']);
    assert.deepEqual([none.exitCode, none.stdout], [1, '']);
    assert.match(none.stderr, /no Prometheus: service istio-system\/nope not found .*--prometheus NAMESPACE\/SERVICE:PORT, or use --metrics-url/);
    const bad = await canary(['analyze', 'new-nginx', '--query', 'x=sum(rate(istio_requests_total[1m])<=1']);
    assert.equal(bad.exitCode, 1);
    assert.match(bad.stderr, /rejected the query sum\(rate\(istio_requests_total\[1m\]\): .*parse error/);
    const several = await canary(['analyze', 'new-nginx', '--query', 'up=up<=1']);
    assert.equal(several.exitCode, 1);
    assert.match(several.stderr, /--query up returned \d+ series .*aggregate it/);
    const url = await canary(['analyze', 'new-nginx', '--metrics-url', prom!.url, '--since', '1m', '--on-no-data', 'pass']);
    assert.ok([0, 3].includes(url.exitCode ?? -1), url.stderr);
    assert.match(url.stdout, /^requests\s+\d+/m);
  });
});

// Every PromQL query the canary checks build, run against a real Prometheus (Debian's) scraping Istio's
// metrics as the test responder reports them: a typo in a query, a wrong label or a wrong function
// fails here. No cluster: the metrics are served on loopback, traffic is recorded at a steady pace.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { analyze } from '../../plugins/canary/metrics/analysis.js';
import { parseCustomQuery, planChecks, type MetricLimits } from '../../plugins/canary/metrics/judge.js';
import { prometheusClient, type PrometheusClient } from '../../plugins/canary/metrics/prometheus.js';
import { errorRateQuery, p99Query, requestsQuery } from '../../plugins/canary/metrics/promql.js';
import { CliError } from '../../shared/errors.js';
import { failsAt, IstioMetrics } from '../harness/network/istio-metrics.js';
import { prometheusBinary, startPrometheus, type PrometheusServer } from '../harness/prometheus.js';
import { until } from '../harness/wait.js';

const NS = 'shop';
const pod = (deployment: string, version: string) => ({
  namespace: NS,
  pod: `${deployment}-7f9c-abcde`,
  labels: { 'pod-template-hash': '7f9c', app: 'nginx', version },
});

describe('canary metric checks: each PromQL query against a real Prometheus', function () {
  this.timeout(120_000);
  let prom: PrometheusServer | undefined;
  let server: Server;
  let timer: NodeJS.Timeout;
  let client: PrometheusClient;
  const metrics = new IstioMetrics();
  const IP = 'all';
  const t = { namespace: NS, canary: 'new-nginx', stable: 'old-nginx', windowMs: 10_000 };
  const kubeUnused = () => {
    throw new Error('no cluster in this test');
  };

  before(async function () {
    if (!prometheusBinary()) return this.skip();
    // 100 requests a second to each version: the canary answers 500 to exactly 20% and takes 300 ms;
    // the stable version answers all in 3 ms. A third workload must never leak into the answers.
    let n = 0;
    const tick = () => {
      for (let i = 0; i < 10; i++) {
        n++;
        metrics.record(IP, pod('new-nginx', 'new'), failsAt(n, 20) ? 500 : 200, 300);
        metrics.record(IP, pod('old-nginx', 'old'), 200, 3);
        metrics.record(IP, pod('other', 'x'), 503, 9000);
      }
    };
    tick();
    timer = setInterval(tick, 100);
    server = createServer((_req, res) => res.end(metrics.render(IP)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    prom = await startPrometheus([`127.0.0.1:${(server.address() as AddressInfo).port}`]);
    client = prometheusClient({ kind: 'url', url: new URL(prom.url), headers: {}, timeoutMs: 10_000 }, kubeUnused);
    // Series younger than the window make rate() extrapolate only part of the way: wait until they span it.
    await until(
      'the series to span the 10s window',
      async () => ((await client.query(`count_over_time(istio_requests_total{destination_workload="old-nginx"}[1m])`))[0]?.value ?? 0) >= 12,
      30_000,
    );
  });

  after(async () => {
    clearInterval(timer);
    await prom?.stop();
    server?.close();
  });

  const byWorkload = async (q: string) => Object.fromEntries((await client.query(q)).map((s) => [s.labels['destination_workload'], s.value]));

  it('requests: the increase over the window, per version, other workloads left out', async () => {
    const r = await byWorkload(requestsQuery(t));
    assert.deepEqual(Object.keys(r).sort(), ['new-nginx', 'old-nginx']);
    // 100 a second for 10 s, extrapolated from the scrapes inside the window.
    for (const v of Object.values(r)) assert.ok(v > 300 && v < 1500, `${v} requests`);
    assert.deepEqual(Object.keys(await byWorkload(requestsQuery({ ...t, stable: undefined }))), ['new-nginx']);
  });

  it('error rate: the canary at 20%, the stable version (no 5xx series at all) at 0, not missing', async () => {
    const r = await byWorkload(errorRateQuery(t));
    assert.ok(Math.abs(r['new-nginx'] - 20) < 0.5, `canary ${r['new-nginx']}%`);
    assert.equal(r['old-nginx'], 0);
  });

  it("p99: from Istio's buckets, per version", async () => {
    const r = await byWorkload(p99Query(t));
    // 300 ms falls in the (250, 500] bucket: histogram_quantile interpolates to 497.5; 3 ms in (1, 5]: 4.96.
    assert.ok(Math.abs(r['new-nginx'] - 497.5) < 0.01, `canary ${r['new-nginx']}`);
    assert.ok(Math.abs(r['old-nginx'] - 4.96) < 0.01, `stable ${r['old-nginx']}`);
  });

  it('no traffic in the window is no data: NaN or no series, never 0%', async () => {
    const quiet = { ...t, canary: 'absent', stable: undefined };
    assert.deepEqual(await client.query(requestsQuery(quiet)), []);
    assert.deepEqual(await client.query(errorRateQuery(quiet)), []);
    assert.deepEqual(await client.query(p99Query(quiet)), []);
  });

  it('one round judges every check with one request each, and fails the 20% canary naming its error rate', async () => {
    const q = parseCustomQuery(
      'rps=sum(rate(istio_requests_total{destination_workload="{{canary}}",destination_workload_namespace="{{namespace}}"}[{{interval}}]))>=50',
    );
    assert.ok(typeof q !== 'string');
    const limits: MetricLimits = { maxErrorRate: 1, maxP99Ms: 1000, minRequests: 100, queries: [q], relative: false };
    const a = await analyze(client, { ...t, stable: undefined }, limits, () => new Date());
    assert.equal(a.requests, planChecks(t, limits).length, 'one request per check');
    assert.equal(a.verdict, 'fail');
    assert.deepEqual(
      a.checks.map((c) => [c.name, c.status]),
      [
        ['requests', 'pass'],
        ['error-rate', 'fail'],
        ['p99', 'pass'],
        ['rps', 'pass'],
      ],
    );
    assert.match(a.checks[1].message, /^error-rate of new-nginx is 20%, above 1%$/);
    // 100 a second when the timer keeps time; a loaded machine runs it late.
    assert.ok((a.checks[3].value ?? 0) > 50 && (a.checks[3].value ?? 0) <= 110, `rps ${a.checks[3].value}`);
    console.log(`      one round: ${a.requests} queries answered and judged in ${a.elapsedMs} ms`);
  });

  it('--relative: the canary 300 ms slower than stable fails a 100 ms margin; the same version against itself passes', async () => {
    const limits: MetricLimits = { maxErrorRate: 1, maxP99Ms: 100, minRequests: 1, queries: [], relative: true };
    const a = await analyze(client, t, limits, () => new Date());
    assert.equal(a.checks.find((c) => c.name === 'p99')?.status, 'fail');
    // Both "versions" equally slow: the relative p99 passes although each is far above 100 ms.
    const same = await analyze(client, { ...t, stable: 'new-nginx' }, { ...limits, maxErrorRate: undefined }, () => new Date());
    assert.equal(same.checks.find((c) => c.name === 'p99')?.status, 'pass', JSON.stringify(same.checks));
  });

  it('a query Prometheus rejects, and one with several series, are one-line errors', async () => {
    await assert.rejects(
      client.query('sum(rate(istio_requests_total[10s]'),
      (e: unknown) => e instanceof CliError && /rejected the query .*: .*parse error/.test(e.message),
    );
    const several = parseCustomQuery('codes=sum by (response_code) (istio_requests_total)<=1');
    assert.ok(typeof several !== 'string');
    await assert.rejects(
      analyze(client, t, { minRequests: 1, queries: [several], relative: false }, () => new Date()),
      /--query codes returned \d series .*aggregate it/,
    );
  });
});

import assert from 'node:assert/strict';
import { errorRateQuery, fillTemplate, p99Query, promDuration, requestsQuery, selector, unfilled } from '../../plugins/canary/metrics/promql.js';
import { judge, parseCustomQuery, planChecks, type Answer, type MetricLimits } from '../../plugins/canary/metrics/judge.js';
import { analysisPatch, readAnalysis, toAnswer, type Analysis } from '../../plugins/canary/metrics/analysis.js';
import { parseAnswer } from '../../plugins/canary/metrics/prometheus.js';
import { analysisLine } from '../../plugins/canary/status.js';
import { CliError } from '../../shared/errors.js';
import { failsAt, faultOf, IstioMetrics, workloadName } from '../harness/network/istio-metrics.js';

const t = { namespace: 'shop', canary: 'new-nginx', windowMs: 30_000 };
const rel = { ...t, stable: 'old-nginx' };
const limits = (l: Partial<MetricLimits>): MetricLimits => ({ minRequests: 1, queries: [], relative: false, maxErrorRate: 1, ...l });

describe('canary metrics: PromQL builders', () => {
  it('ranges in whole seconds, else milliseconds', () => {
    assert.deepEqual([promDuration(30_000), promDuration(600_000), promDuration(1500), promDuration(0)], ['30s', '600s', '1500ms', '1ms']);
  });

  it("selects the destination side's reports of the canary, and of both versions for --relative", () => {
    assert.equal(selector(t), '{reporter="destination",destination_workload_namespace="shop",destination_workload="new-nginx"}');
    assert.equal(
      selector({ ...rel, canary: 'reviews.v2' }),
      '{reporter="destination",destination_workload_namespace="shop",destination_workload=~"reviews\\\\.v2|old-nginx"}',
    );
  });

  it('builds the error-rate, p99 and requests queries, summed by workload', () => {
    const s = selector(t);
    assert.equal(requestsQuery(t), `sum by (destination_workload) (increase(istio_requests_total${s}[30s]))`);
    assert.equal(
      errorRateQuery(t),
      `(sum by (destination_workload) (rate(istio_requests_total${s.slice(0, -1)},response_code=~"5.."}[30s])) or 0 * sum by (destination_workload) (rate(istio_requests_total${s}[30s]))) / sum by (destination_workload) (rate(istio_requests_total${s}[30s])) * 100`,
    );
    assert.equal(p99Query(t), `histogram_quantile(0.99, sum by (destination_workload, le) (rate(istio_request_duration_milliseconds_bucket${s}[30s])))`);
  });

  it('fills {{namespace}} {{canary}} {{stable}} {{interval}} in a --query and names what it cannot', () => {
    assert.equal(fillTemplate('x{ns="{{namespace}}",w="{{ canary }}",s="{{stable}}"}[{{interval}}]', rel), 'x{ns="shop",w="new-nginx",s="old-nginx"}[30s]');
    assert.deepEqual(unfilled('{{stable}} {{nope}}', t), ['stable', 'nope']);
  });
});

describe('canary metrics: --query', () => {
  it('reads NAME=PROMQL<=THRESHOLD and >=, the last comparison splitting', () => {
    assert.deepEqual(parseCustomQuery('restarts=sum(x{a="b"}) <= 0'), { name: 'restarts', query: 'sum(x{a="b"})', op: '<=', threshold: 0 });
    assert.deepEqual(parseCustomQuery('rps=sum(rate(y[{{interval}}])) >= 2 >= 1.5'), {
      name: 'rps',
      query: 'sum(rate(y[{{interval}}])) >= 2',
      op: '>=',
      threshold: 1.5,
    });
  });
  it('refuses a missing name, comparison or number, and the built-in names', () => {
    for (const bad of ['sum(x)<=1', 'Bad=x<=1', 'a=sum(x)', 'a=sum(x)<=', 'p99=x<=1']) assert.equal(typeof parseCustomQuery(bad), 'string', bad);
  });
});

describe('canary metrics: judge', () => {
  const run = (l: MetricLimits, answers: Answer[], target: { canary: string; stable?: string; windowMs: number } = t) =>
    judge(planChecks(target.stable ? rel : t, l), answers, target);

  it('passes within the limits and fails above them, naming the measured value', () => {
    const ok = run(limits({ maxP99Ms: 500 }), [
      { byWorkload: { 'new-nginx': 120 } },
      { byWorkload: { 'new-nginx': 0.5 } },
      { byWorkload: { 'new-nginx': 240 } },
    ]);
    assert.equal(ok.verdict, 'pass');
    assert.deepEqual(
      ok.checks.map((c) => [c.name, c.status, c.value]),
      [
        ['requests', 'pass', 120],
        ['error-rate', 'pass', 0.5],
        ['p99', 'pass', 240],
      ],
    );
    const bad = run(limits({ maxP99Ms: 500 }), [
      { byWorkload: { 'new-nginx': 120 } },
      { byWorkload: { 'new-nginx': 20 } },
      { byWorkload: { 'new-nginx': 240 } },
    ]);
    assert.equal(bad.verdict, 'fail');
    assert.equal(bad.checks[1].message, 'error-rate of new-nginx is 20%, above 1%');
  });

  it('too few requests make the built-in checks unknown, not healthy', () => {
    const r = run(limits({ minRequests: 50 }), [{ byWorkload: { 'new-nginx': 12 } }, { byWorkload: { 'new-nginx': 0 } }]);
    assert.equal(r.verdict, 'unknown');
    assert.deepEqual(
      r.checks.map((c) => c.status),
      ['unknown', 'unknown'],
    );
    assert.equal(r.checks[0].message, 'no data: 12 requests to new-nginx in the last 30s, fewer than --min-requests 50');
    // No requests at all: the query answers nothing (0/0 is NaN): unknown too.
    assert.equal(run(limits({}), [{ byWorkload: {} }, { byWorkload: { 'new-nginx': NaN } }]).verdict, 'unknown');
  });

  it('--relative holds the canary to the stable value plus the margin', () => {
    const l = limits({ relative: true, maxErrorRate: 1, maxP99Ms: 50 });
    const answers: Answer[] = [
      { byWorkload: { 'new-nginx': 100, 'old-nginx': 400 } },
      { byWorkload: { 'new-nginx': 0, 'old-nginx': 0 } },
      { byWorkload: { 'new-nginx': 310, 'old-nginx': 300 } },
    ];
    const same = run(l, answers, rel);
    assert.equal(same.verdict, 'pass');
    assert.deepEqual([same.checks[2].value, same.checks[2].stable, same.checks[2].limit], [310, 300, 350]);
    assert.equal(same.checks[2].message, "p99 of new-nginx is 310 ms, within 350 ms (old-nginx's 300 ms + 50 ms)");
    const slower = run(l, [answers[0], answers[1], { byWorkload: { 'new-nginx': 900, 'old-nginx': 300 } }], rel);
    assert.equal(slower.verdict, 'fail');
    // The stable version needs its own traffic to be compared with.
    const noStable = run(l, [{ byWorkload: { 'new-nginx': 100 } }, answers[1], answers[2]], rel);
    assert.equal(noStable.verdict, 'unknown');
    assert.match(noStable.checks[0].message, /0 to old-nginx/);
  });

  it('a custom query passes, fails or returns nothing; it is not gated by --min-requests', () => {
    const q = parseCustomQuery('rps=sum(rate(x[{{interval}}]))>=2');
    assert.ok(typeof q !== 'string');
    const l = limits({ maxErrorRate: undefined, minRequests: 100, queries: [q] });
    const p = planChecks(t, l);
    assert.equal(p[1].query, 'sum(rate(x[30s]))');
    assert.equal(judge(p, [{ byWorkload: { 'new-nginx': 500 } }, { value: 1 }], t).checks[1].message, 'rps is 1, below 2');
    assert.equal(judge(p, [{ byWorkload: { 'new-nginx': 500 } }, { value: 3 }], t).verdict, 'pass');
    assert.equal(judge(p, [{ byWorkload: { 'new-nginx': 500 } }, { value: undefined }], t).checks[1].message, 'rps unknown: the query returned nothing');
  });
});

describe('canary metrics: answers', () => {
  const body = (result: unknown, resultType = 'vector') => ({ status: 200, body: JSON.stringify({ status: 'success', data: { resultType, result } }) });

  it('reads vectors and scalars, NaN included', () => {
    assert.deepEqual(parseAnswer(body([{ metric: { destination_workload: 'a' }, value: [1, '2.5'] }]), 'p', 'q'), [
      { labels: { destination_workload: 'a' }, value: 2.5 },
    ]);
    assert.ok(Number.isNaN(parseAnswer(body([1, 'NaN'], 'scalar'), 'p', 'q')[0].value));
  });

  it("says what Prometheus said of a bad query, and when the answer is not Prometheus's", () => {
    const bad = { status: 400, body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 5' }) };
    assert.throws(() => parseAnswer(bad, 'service istio-system/prometheus:9090', 'sum(('), {
      message: 'Prometheus at service istio-system/prometheus:9090 rejected the query sum((: parse error at char 5',
    });
    assert.throws(() => parseAnswer({ status: 200, body: '<html>' }, 'http://x', 'q'), /not Prometheus's query API: <html>/);
    assert.throws(() => parseAnswer(body('x', 'string'), 'http://x', 'q'), /returned a string result/);
  });

  it('a custom query with several series is an error saying how to aggregate; built-ins read per workload', () => {
    const [, custom] = planChecks(t, limits({ maxErrorRate: undefined, queries: [{ name: 'x', query: 'up', op: '<=', threshold: 1 }] }));
    const two = [
      { labels: { pod: 'a' }, value: 1 },
      { labels: { pod: 'b' }, value: 1 },
    ];
    assert.throws(
      () => toAnswer(custom, two),
      (e: unknown) => e instanceof CliError && /returned 2 series \(\{pod="a"\}, \{pod="b"\}\); a check needs one value/.test(e.message),
    );
    assert.deepEqual(toAnswer(custom, []), { value: undefined });
    const [requests] = planChecks(t, limits({}));
    assert.deepEqual(toAnswer(requests, [{ labels: { destination_workload: 'new-nginx' }, value: 3 }]), { byWorkload: { 'new-nginx': 3 } });
  });

  it('the last analysis round trips through the annotation and reads as one line', () => {
    const checks = judge(planChecks(t, limits({})), [{ byWorkload: { 'new-nginx': 80 } }, { byWorkload: { 'new-nginx': 20 } }], t).checks;
    const a: Analysis = {
      at: '2026-12-01T04:10:00.123Z',
      canary: 'new-nginx',
      windowMs: 30_000,
      verdict: 'fail',
      checks,
      source: 's',
      requests: 2,
      elapsedMs: 9,
      step: { index: 0, of: 2, weight: 20 },
    };
    const patch = analysisPatch(a) as { metadata: { annotations: Record<string, string> } };
    const back = readAnalysis({ metadata: { annotations: patch.metadata.annotations } });
    assert.ok(back);
    assert.equal(analysisLine(back), 'fail at step 1/2 (20%), 30s window, 2026-12-01T04:10:00Z: error-rate of new-nginx is 20%, above 1%');
    assert.equal(readAnalysis({ metadata: { annotations: { 'traffic.kubectl-plugins.io/analysis': '{' } } }), undefined);
  });
});

describe("test responder: Istio's metrics", () => {
  it('names the workload as Istio does, and fails exactly the asked share of requests', () => {
    assert.equal(workloadName({ namespace: 'n', pod: 'new-nginx-5d8f7c9b4-x2kqz', labels: { 'pod-template-hash': '5d8f7c9b4' } }), 'new-nginx');
    assert.equal(workloadName({ namespace: 'n', pod: 'prometheus', labels: {} }), 'prometheus');
    const fails = Array.from({ length: 100 }, (_, i) => failsAt(i + 1, 20)).filter(Boolean).length;
    assert.equal(fails, 20);
    assert.deepEqual(faultOf({ 'test.kplugins.io/error-percent': '20', 'test.kplugins.io/delay-ms': 'x' }), { errorPercent: 20, delayMs: 0 });
  });

  it("renders istio_requests_total and the duration histogram with Istio's labels and buckets", () => {
    const m = new IstioMetrics();
    const w = { namespace: 'shop', pod: 'new-nginx-abc-12345', labels: { 'pod-template-hash': 'abc', app: 'nginx', version: 'new' } };
    m.record('10.0.0.1', w, 200, 3);
    m.record('10.0.0.1', w, 500, 300);
    const text = m.render('10.0.0.1');
    assert.match(
      text,
      /^istio_requests_total\{reporter="destination",.*destination_workload="new-nginx",destination_workload_namespace="shop",.*response_code="500".*\} 1$/m,
    );
    assert.match(text, /istio_request_duration_milliseconds_bucket\{.*response_code="200".*,le="5"\} 1/);
    assert.match(text, /istio_request_duration_milliseconds_bucket\{.*response_code="500".*,le="250"\} 0/);
    assert.match(text, /istio_request_duration_milliseconds_bucket\{.*response_code="500".*,le="\+Inf"\} 1/);
    m.forget('10.0.0.1');
    assert.doesNotMatch(m.render('10.0.0.1'), /\} \d/);
  });
});

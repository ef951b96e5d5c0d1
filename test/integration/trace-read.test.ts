// kubectl trace services/list/show/deps against a real Jaeger v2 and a real Zipkin on loopback (--url):
// the same spans posted to both read back as the same trace model, waterfall and critical path.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../harness/binaries.js';
import { postJson, postZipkin, startJaeger, startZipkin, waitForTrace, type TracingServer } from '../harness/tracing.js';
import { bigTrace, bookinfoTrace, hexId, prng, type BookinfoTrace } from '../support/traces.js';
import { runInProcess } from '../support/buffers.js';
import { plugin } from '../../plugins/trace/cli.js';

const trace = (args: string[]) => runInProcess(plugin, args, { NO_COLOR: '1' });

describe('kubectl trace: reading Jaeger and Zipkin', function () {
  this.timeout(480_000);
  let jaeger: TracingServer;
  let zipkin: TracingServer;
  const now = Date.now() * 1000;
  // Two Bookinfo requests a few minutes ago; the second fails in ratings, whose clock is 2 s ahead.
  const ok = bookinfoTrace({ start: now - 300_000_000, seed: 1 });
  const bad = bookinfoTrace({ start: now - 120_000_000, seed: 2, ratingsError: true, ratingsSkew: 2_000_000, overflow: true, messaging: true });
  const big = bigTrace(10_000, now - 60_000_000);
  const both = () => [jaeger, zipkin] as const;

  before(async () => {
    [jaeger, zipkin] = await Promise.all([startJaeger({ basePath: '/jaeger' }), startZipkin()]);
    for (const s of both()) {
      await postZipkin(s, [...ok.spans, ...bad.spans]);
      await postZipkin(s, big.spans);
    }
    for (const s of both()) {
      await waitForTrace(s, ok.traceId, ok.spans.length);
      await waitForTrace(s, bad.traceId, bad.spans.length);
      await waitForTrace(s, big.traceId, big.spans.length, 180_000);
    }
  });
  after(async () => Promise.all([jaeger?.stop(), zipkin?.stop()]));

  it('services: the same list from both', async () => {
    for (const s of both()) {
      const r = await trace(['services', '--url', s.queryUrl]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^SERVICE\n/);
      for (const svc of ['details.default', 'istio-ingressgateway.istio-system', 'productpage.default', 'ratings.default', 'reviews.default'])
        assert.match(r.stdout, new RegExp(`^${svc}$`, 'm'));
      const ops = await trace(['services', 'reviews.default', '--url', s.queryUrl, '-o', 'json']);
      const doc = JSON.parse(ops.stdout) as { kind: string; items: string[] };
      assert.equal(doc.kind, 'OperationList');
      assert.ok(doc.items.includes('ratings.default.svc.cluster.local:9080/*'), ops.stdout);
    }
  });

  it('list: newest first with root, spans, services and errors; --errors, --min-duration and --tag filter', async () => {
    for (const s of both()) {
      const r = await trace(['list', '--service', 'productpage.default', '--url', s.queryUrl, '--since', '1h']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.match(lines[0], /^TRACE ID\s+ROOT\s+AGE\s+DURATION\s+SPANS\s+SERVICES\s+ERRORS$/);
      const rows = lines.slice(1).filter((l) => l.startsWith(ok.traceId) || l.startsWith(bad.traceId));
      assert.equal(rows.length, 2, r.stdout);
      assert.ok(rows[0].startsWith(bad.traceId), 'newest first');
      const row =
        /istio-ingressgateway\.istio-system: productpage\.default\.svc\.cluster\.local:9080\/productpage\s+(\d+)m(?:(\d+)s)?\s+42ms\s+11\s+6\s+2$/.exec(
          rows[0],
        );
      assert.ok(row, rows[0]);
      // The age is counted from now: at least the 2 minutes it was posted back, at most that plus the time since.
      const age = Number(row[1]) * 60 + Number(row[2] ?? 0);
      assert.ok(age >= 120 && age <= 121 + (Date.now() - now / 1000) / 1000, `age ${age}s`);
      assert.match(rows[1], /\s+30ms\s+8\s+5\s+0$/);
      const errors = await trace(['list', '--service', 'productpage.default', '--errors', '--url', s.queryUrl, '-o', 'json']);
      assert.deepEqual(
        (JSON.parse(errors.stdout) as { items: { traceId: string }[] }).items.map((i) => i.traceId),
        [bad.traceId],
      );
      // Durations, like tags, are matched on the service's own spans (productpage's server span lasts 28 ms).
      const ids = (out: string) => (JSON.parse(out) as { items: { traceId: string }[] }).items.map((i) => i.traceId);
      assert.deepEqual(ids((await trace(['list', '--service', 'productpage.default', '--min-duration', '28ms', '--url', s.queryUrl, '-o', 'json'])).stdout), [
        bad.traceId,
        ok.traceId,
      ]);
      assert.deepEqual(
        ids((await trace(['list', '--service', 'productpage.default', '--min-duration', '28.5ms', '--url', s.queryUrl, '-o', 'json'])).stdout),
        [],
      );
      assert.deepEqual(ids((await trace(['list', '--service', 'notifications.default', '--max-duration', '2ms', '--url', s.queryUrl, '-o', 'json'])).stdout), [
        bad.traceId,
      ]);
      const tagged = await trace(['list', '--service', 'ratings.default', '--tag', 'http.status_code=500', '--url', s.queryUrl, '-o', 'json']);
      assert.deepEqual(
        (JSON.parse(tagged.stdout) as { items: { traceId: string }[] }).items.map((i) => i.traceId),
        [bad.traceId],
      );
    }
  });

  it('show -o json: the same document from Jaeger and from Zipkin (Bookinfo with error, skew, overflow, messaging; and 10,000 spans)', async () => {
    for (const t of [ok, bad, big] as { traceId: string }[]) {
      const [j, z] = await Promise.all(both().map((s) => trace(['show', t.traceId, '--url', s.queryUrl, '-o', 'json'])));
      assert.equal(j.code, 0, j.stderr);
      assert.equal(z.code, 0, z.stderr);
      assert.equal(j.stdout, z.stdout, `trace ${t.traceId} reads differently from Jaeger and Zipkin`);
      const doc = JSON.parse(j.stdout) as { apiVersion: string; kind: string; spanCount: number };
      assert.equal(doc.kind, 'Trace');
      assert.equal(doc.apiVersion, 'trace.traffic.kubectl-plugins.io/v1alpha1');
      assert.ok(doc.spanCount >= 8);
    }
  });

  it('show: the critical path of the failing request, computed by hand (skew corrected, overflow clipped, the consumer off the path)', async () => {
    const r = await trace(['show', bad.traceId, '--url', zipkin.queryUrl, '-o', 'json']);
    const doc = JSON.parse(r.stdout) as {
      durationMicros: number;
      errorCount: number;
      criticalPath: { totalMicros: number; byService: { service: string; micros: number }[] };
      clockSkewAdjustments: { service: string; shiftMicros: number }[];
      spans: { spanId: string; startMicros: number; criticalMicros: number; error: boolean }[];
    };
    assert.deepEqual(
      doc.clockSkewAdjustments.map((a) => [a.service, a.shiftMicros]),
      [['ratings.default', -2_000_000]],
    );
    assert.equal(doc.spans.find((s) => s.spanId === bad.ids['ratings'])!.startMicros, bad.spans[0].timestamp + 11_500);
    assert.deepEqual(doc.criticalPath.byService, [
      { service: 'ratings.default', micros: 12_000 },
      { service: 'productpage.default', micros: 7_000 },
      { service: 'reviews.default', micros: 5_000 },
      { service: 'details.default', micros: 4_000 },
      { service: 'istio-ingressgateway.istio-system', micros: 2_000 },
    ]);
    assert.equal(doc.criticalPath.totalMicros, 30_000);
    assert.equal(doc.durationMicros, 42_000, 'the consumer ends at 42 ms');
    assert.equal(doc.errorCount, 2);
    // On the path: the async log's first millisecond (inside productpage), not the consumer.
    assert.equal(doc.spans.find((s) => s.spanId === bad.ids['log'])!.criticalMicros, 1_000);
    assert.equal(doc.spans.find((s) => s.spanId === bad.ids['consume'])!.criticalMicros, 0);
    assert.match(r.stderr, /clock skew: 1 span of ratings\.default moved by -2s/);
    assert.match(r.stderr, /1 span runs outside its parent's time/);
  });

  it('show: the waterfall (tree, bars at the width, errors, critical path per service); --critical-only, --service, --depth, --tags', async () => {
    const r = await trace(['show', bad.traceId, '--url', jaeger.queryUrl, '--width', '120']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], `Trace ${bad.traceId}`);
    assert.match(lines[2], /· 42ms · 11 spans · 6 services · 2 errors$/);
    assert.ok(
      lines.every((l) => l.length <= 120),
      'fits the width',
    );
    const row = (needle: string) => lines.find((l) => l.includes(needle)) ?? assert.fail(`no row with ${needle}\n${r.stdout}`);
    assert.match(row('└─ ✗ ratings.default'), /server\s+12ms\s+ {10,}█+$/);
    assert.match(row('consume'), /consumer\s+2ms\s+ +░+$/, 'the consumer is off the critical path');
    assert.match(r.stdout, /\nCRITICAL PATH\s+TIME\s+SHARE\nratings\.default\s+12ms\s+40%\nproductpage\.default\s+7ms\s+23%\n/);
    assert.match(r.stdout, /\ntotal\s+30ms\s+100%\n/);

    const critical = await trace(['show', bad.traceId, '--url', jaeger.queryUrl, '--critical-only', '--width', '160']);
    assert.doesNotMatch(critical.stdout, /consume|publish review-viewed .*consumer/);
    assert.match(critical.stdout, /async-access-log/);
    const svc = await trace(['show', bad.traceId, '--url', jaeger.queryUrl, '--service', 'details']);
    assert.deepEqual(
      svc.stdout
        .split('\n')
        .filter((l) => / (client|server|internal|producer|consumer) /.test(l))
        .map((l) => l.replace(/ .*?(\S+\.\S+) .*/, '$1')).length,
      4,
      'details, with the gateway, productpage and its client span above it',
    );
    const depth = await trace(['show', bad.traceId, '--url', jaeger.queryUrl, '--depth', '2', '--width', '200']);
    assert.match(depth.stdout, /\n└─ productpage\.default productpage\.default\.svc\.cluster\.local:9080\/productpage server \(\+9\)\s+28ms {2}/);
    assert.equal(depth.stdout.split('\n').filter((l) => /(client|server)( \(\+\d+\))?\s+\d+(ms|µs)\s/.test(l)).length, 2);
    const tags = await trace(['show', ok.traceId, '--url', zipkin.queryUrl, '--tags', '--width', '200']);
    assert.match(tags.stdout, /upstream_cluster=outbound\|9080\|\|details\.default\.svc\.cluster\.local/);
    assert.match(tags.stdout, /istio\.canonical_service=ratings/);
  });

  it('show: an unknown trace id is one clear line (exit 1); a malformed one is a usage error (exit 2)', async () => {
    for (const s of both()) {
      const r = await trace(['show', 'ffffffffffffffffffffffffffffffff', '--url', s.queryUrl]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr,
        /^error: trace ffffffffffffffffffffffffffffffff not found in http:\/\/127\.0\.0\.1:\d+(\/jaeger)? \((Jaeger|Zipkin)\); it may be older than the backend keeps/,
      );
      assert.equal(r.stderr.split('\n').length, 2);
    }
    const bad2 = await trace(['show', 'not-a-trace', '--url', zipkin.queryUrl]);
    assert.equal(bad2.code, 2);
    assert.match(bad2.stderr, /"not-a-trace" is not a trace id/);
  });

  it('deps: the call graph as a tree with counts, as dot and as mermaid', async () => {
    const z = await trace(['deps', '--url', zipkin.queryUrl]);
    assert.equal(z.code, 0, z.stderr);
    assert.match(
      z.stdout,
      /^istio-ingressgateway\.istio-system\n└─ productpage\.default {2}2 calls, 0 errors\n {3}├─ details\.default {2}2 calls, 0 errors\n {3}└─ reviews\.default {2}2 calls, 0 errors\n {6}├─ kafka {2}1 call, 0 errors\n {6}│ {2}└─ notifications\.default {2}1 call, 0 errors\n {6}└─ ratings\.default {2}2 calls, 1 error\n/,
    );
    const j = await trace(['deps', '--url', jaeger.queryUrl]);
    assert.equal(j.code, 0, j.stderr);
    assert.match(j.stdout, /└─ productpage\.default {2}2 calls/);
    assert.match(j.stderr, /does not count errors/);
    const dot = await trace(['deps', '--url', zipkin.queryUrl, '-o', 'dot']);
    assert.match(dot.stdout, /^digraph services \{\n/);
    assert.match(dot.stdout, /"reviews\.default" -> "ratings\.default" \[label="2 calls, 1 error", color=red, fontcolor=red\];/);
    const mermaid = await trace(['deps', '--url', zipkin.queryUrl, '-o', 'mermaid']);
    assert.match(mermaid.stdout, /^flowchart LR\n/);
    assert.match(mermaid.stdout, /-->\|"2 calls, 1 error"\|/);
    assert.match(mermaid.stdout, /linkStyle [\d,]+ stroke:red,color:red/);
  });

  it('Jaeger FOLLOWS_FROM (OTLP links): the follower hangs under its cause and does not hold it up', async () => {
    const rand = prng(99);
    const traceId = hexId(rand, 32);
    const [a, b, c] = [hexId(rand, 16), hexId(rand, 16), hexId(rand, 16)];
    // Nanoseconds since the epoch exceed 2^53: BigInt keeps them exact.
    const t0 = BigInt(now - 30_000_000) * 1000n;
    const ns = (ms: number) => String(t0 + BigInt(ms) * 1_000_000n);
    const span = (id: string, name: string, from: number, to: number, extra: Record<string, unknown> = {}) => ({
      traceId,
      spanId: id,
      name,
      kind: 2,
      startTimeUnixNano: ns(from),
      endTimeUnixNano: ns(to),
      ...extra,
    });
    const status = await postJson(jaeger.otlpTracesUrl!, {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'orders.shop' } }] },
          scopeSpans: [
            {
              scope: { name: 'test' },
              spans: [
                span(a, 'POST /orders', 0, 100),
                span(b, 'save', 10, 50, { parentSpanId: a, kind: 1 }),
                span(c, 'send-receipt', 60, 150, { kind: 1, links: [{ traceId, spanId: a }] }),
              ],
            },
          ],
        },
      ],
    });
    assert.equal(status, 200);
    await waitForTrace(jaeger, traceId, 3);
    const r = await trace(['show', traceId, '--url', jaeger.queryUrl, '-o', 'json']);
    const doc = JSON.parse(r.stdout) as {
      spans: { spanId: string; parentId?: string; parentType?: string; criticalMicros: number }[];
      criticalPath: { totalMicros: number };
    };
    const follower = doc.spans.find((s) => s.spanId === c)!;
    assert.equal(follower.parentId, a);
    assert.equal(follower.parentType, 'follows-from');
    assert.equal(follower.criticalMicros, 0);
    assert.equal(doc.criticalPath.totalMicros, 100_000);
    assert.equal(doc.spans.find((s) => s.spanId === b)!.criticalMicros, 40_000);
  });

  it('errors: the zipkin receiver chosen as backend, nothing listening, a wrong base path found', async () => {
    const receiver = jaeger.zipkinSpansUrl.replace(/\/api\/v2\/spans$/, '');
    const r = await trace(['services', '--url', receiver]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: http:\/\/127\.0\.0\.1:\d+ only receives spans: it is a span receiver/);
    const root = jaeger.queryUrl.replace(/\/jaeger$/, '');
    const found = await trace(['services', '--url', root, '-v']);
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stdout, /productpage\.default/);
    const closed = await trace(['services', '--url', 'http://127.0.0.1:1']);
    assert.equal(closed.code, 1);
    assert.match(closed.stderr, /^error: cannot reach the tracing backend at http:\/\/127\.0\.0\.1:1: connection refused/);
  });

  it('the built binary: show prints the waterfall, NO_COLOR respected, stdout clean', async () => {
    const r = await execa(join(REPO_ROOT, 'dist', 'bin', 'kubectl-trace'), ['show', ok.traceId, '--url', zipkin.queryUrl, '--width', '100'], {
      reject: false,
      env: { NO_COLOR: '1', PATH: process.env['PATH'] ?? '', HOME: '/nonexistent' },
      extendEnv: false,
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /\u001b\[/);
    assert.match(r.stdout, /\nCRITICAL PATH/);
    assert.equal(r.stderr, '');
  });
});

export type { BookinfoTrace };

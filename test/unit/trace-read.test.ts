// The reading side without a backend: formats, backend detection, query parameters, conversions,
// the dependency graph and a golden waterfall.
import assert from 'node:assert/strict';
import { formatAge, formatMicros, parseMicros, truncateMiddle } from '../../plugins/trace/format.js';
import { candidateFor, detectCandidates, distinctBackends, parseBackendRef } from '../../plugins/trace/backends/detect.js';
import { fromZipkinTrace, zipkinSearchParams } from '../../plugins/trace/backends/zipkin.js';
import { fromJaegerTrace, jaegerSearchParams } from '../../plugins/trace/backends/jaeger.js';
import { graphOf, renderDependencyTree, renderDot, renderMermaid } from '../../plugins/trace/deps.js';
import { analyze } from '../../plugins/trace/view.js';
import { renderWaterfall } from '../../plugins/trace/waterfall.js';
import { painter } from '../../shared/output/color.js';
import { bookinfoTrace } from '../support/traces.js';
import type { Service } from '../../shared/kube/types.js';

const svc = (
  name: string,
  selector: Record<string, string>,
  ports: { name?: string; port: number; targetPort?: number }[],
  labels: Record<string, string> = {},
): Service => ({
  metadata: { name, namespace: 'istio-system', labels },
  spec: { selector, ports },
});

describe('trace reading: formats', () => {
  it('durations as trace UIs show them, ages as kubectl does', () => {
    assert.deepEqual([0, 850, 999.6, 3_420, 23_410, 999_999, 1_250_000, 59_999_999, 62_500_000, 3_723_400_000].map(formatMicros), [
      '0µs',
      '850µs',
      '1ms',
      '3.42ms',
      '23.4ms',
      '1s',
      '1.25s',
      '1m',
      '1m2.5s',
      '1h2m3.4s',
    ]);
    assert.deepEqual([5_000, 119_000, 190_000, 3_600_000, 9 * 3_600_000, 50 * 3_600_000].map(formatAge), ['5s', '119s', '3m10s', '60m', '9h', '2d2h']);
    assert.equal(parseMicros('500us', 'x'), 500);
    assert.equal(parseMicros('1.5s', 'x'), 1_500_000);
    assert.equal(parseMicros('1m30s', 'x'), 90_000_000);
    assert.equal(parseMicros('250', 'x'), 250_000, 'a bare number is milliseconds');
    assert.throws(() => parseMicros('fast', '--min-duration'), /--min-duration "fast" is not a duration/);
    assert.equal(truncateMiddle('details.default.svc.cluster.local:9080/*', 20), 'details.de…al:9080/*');
  });
});

describe('trace reading: finding the backend', () => {
  it("Istio's Jaeger addon: tracing is the query API under /jaeger; zipkin is Jaeger's receiver", () => {
    const tracing = svc('tracing', { app: 'jaeger' }, [
      { name: 'http-query', port: 80, targetPort: 16686 },
      { name: 'grpc-query', port: 16685, targetPort: 16685 },
    ]);
    const zipkin = svc('zipkin', { app: 'jaeger' }, [{ name: 'http-query', port: 9411, targetPort: 9411 }]);
    assert.deepEqual(candidateFor(tracing), { namespace: 'istio-system', service: 'tracing', port: '80', type: 'jaeger', basePaths: ['/jaeger', ''] });
    assert.deepEqual(candidateFor(zipkin), { namespace: 'istio-system', service: 'zipkin', port: '9411', type: 'zipkin', basePaths: [''], writeOnly: true });
    assert.deepEqual(
      detectCandidates([zipkin, tracing]).map((c) => c.service),
      ['tracing', 'zipkin'],
    );
  });

  it("Istio's Zipkin addon, Jaeger's own charts, and Services that are not tracing", () => {
    assert.deepEqual(candidateFor(svc('tracing', { app: 'zipkin' }, [{ name: 'http-query', port: 80, targetPort: 9411 }]))?.type, 'zipkin');
    assert.equal(candidateFor(svc('zipkin', { app: 'zipkin' }, [{ name: 'http-query', port: 9411, targetPort: 9411 }]))?.writeOnly, undefined);
    assert.deepEqual(candidateFor(svc('jaeger-query', { 'app.kubernetes.io/name': 'jaeger' }, [{ name: 'http-query', port: 16686 }]))?.basePaths, [
      '',
      '/jaeger',
    ]);
    assert.equal(candidateFor(svc('istiod', { app: 'istiod' }, [{ port: 15012 }])), undefined);
    assert.equal(candidateFor(svc('jaeger-collector', { app: 'jaeger' }, [{ port: 14268 }, { name: 'http-zipkin', port: 9411 }]))?.writeOnly, true);
  });

  it('two Services in front of the same pods are one backend; different pods are a choice', () => {
    const services = [
      svc('tracing', { app: 'zipkin' }, [{ name: 'http-query', port: 80, targetPort: 9411 }]),
      svc('zipkin', { app: 'zipkin' }, [{ name: 'http-query', port: 9411, targetPort: 9411 }]),
    ];
    assert.deepEqual(
      distinctBackends(services, detectCandidates(services)).map((c) => c.service),
      ['tracing'],
    );
    const withJaeger = [...services, svc('jaeger-query', { 'app.kubernetes.io/name': 'jaeger' }, [{ name: 'http-query', port: 16686 }])];
    assert.deepEqual(
      distinctBackends(withJaeger, detectCandidates(withJaeger)).map((c) => c.service),
      ['tracing', 'jaeger-query'],
    );
  });

  it('--backend [ns/]svc[:port]', () => {
    assert.deepEqual(parseBackendRef('tracing', 'istio-system'), { namespace: 'istio-system', service: 'tracing' });
    assert.deepEqual(parseBackendRef('observability/jaeger-query:http-query', 'x'), {
      namespace: 'observability',
      service: 'jaeger-query',
      port: 'http-query',
    });
    assert.throws(() => parseBackendRef('http://x', 'x'), /must look like \[namespace\/\]service\[:port\]/);
  });

  it("search parameters in each backend's units", () => {
    const q = {
      service: 'reviews.default',
      operation: 'op',
      tags: { 'http.status_code': '500' },
      minDurationMicros: 1500,
      startMicros: 1_000_000_000,
      endMicros: 4_600_000_000,
      limit: 20,
    };
    assert.deepEqual(jaegerSearchParams(q), {
      service: 'reviews.default',
      operation: 'op',
      tags: '{"http.status_code":"500"}',
      minDuration: '1500us',
      start: '1000000000',
      end: '4600000000',
      limit: '20',
    });
    assert.deepEqual(zipkinSearchParams({ ...q, minDurationMicros: undefined, maxDurationMicros: 9000 }), {
      serviceName: 'reviews.default',
      spanName: 'op',
      annotationQuery: 'http.status_code=500',
      minDuration: '1',
      maxDuration: '9000',
      endTs: '4600000',
      lookback: '3600000',
      limit: '20',
    });
  });
});

describe('trace reading: conversions', () => {
  it('Zipkin: a span id shared by client and server (B3 shared spans) is split; the server half keeps its children', () => {
    const base = { traceId: 'a'.repeat(16), localEndpoint: { serviceName: 'x' }, tags: {} };
    const t = fromZipkinTrace([
      { ...base, id: '1', name: 'root', kind: 'SERVER', timestamp: 10, duration: 100 },
      { ...base, id: '2', parentId: '1', name: 'call', kind: 'CLIENT', timestamp: 20, duration: 50 },
      { ...base, id: '2', parentId: '1', name: 'call', kind: 'SERVER', timestamp: 25, duration: 40, localEndpoint: { serviceName: 'y' }, shared: true },
      { ...base, id: '3', parentId: '2', name: 'db', timestamp: 30, duration: 10, localEndpoint: { serviceName: 'y' } },
      { ...base, id: '4', parentId: '1', name: 'late', timestamp: undefined, duration: undefined },
    ]);
    assert.equal(t.traceId, '0000000000000000aaaaaaaaaaaaaaaa');
    const byId = Object.fromEntries(t.spans.map((s) => [s.spanId, s]));
    assert.equal(byId['0000000000000002.1'].parentId, '0000000000000002');
    assert.equal(byId['0000000000000002.1'].service, 'y');
    assert.equal(byId['0000000000000003'].parentId, '0000000000000002.1');
    assert.equal(byId['0000000000000004'].startMicros, 10, 'an incomplete span sits at its parent start');
    assert.match(t.warnings.join('\n'), /span id 0000000000000002 is shared by a client span of x and a server span of y/);
    assert.match(t.warnings.join('\n'), /span 4 has no timestamp/);
  });

  it('Jaeger: references, typed tags, logs, endpoints and the error flag', () => {
    const t = fromJaegerTrace({
      traceID: 'abc',
      processes: { p1: { serviceName: 'svc', tags: [] } },
      warnings: ['clock skew adjustment disabled; not applying calculated delta of 1s', 'something else'],
      spans: [
        {
          traceID: 'abc',
          spanID: 'b',
          operationName: 'op',
          references: [
            { refType: 'FOLLOWS_FROM', traceID: 'abc', spanID: 'a' },
            { refType: 'FOLLOWS_FROM', traceID: 'def', spanID: 'z' },
          ],
          startTime: 5,
          duration: 3,
          tags: [
            { key: 'span.kind', type: 'string', value: 'consumer' },
            { key: 'error', type: 'bool', value: true },
            { key: 'otel.status_description', type: 'string', value: 'boom' },
            { key: 'http.status_code', type: 'int64', value: 500 },
            { key: 'net.peer.ip', type: 'string', value: '10.0.0.9' },
            { key: 'net.host.port', type: 'int64', value: 8080 },
          ],
          logs: [
            {
              timestamp: 6,
              fields: [
                { key: 'event', value: 'retry' },
                { key: 'attempt', value: 2 },
              ],
            },
          ],
          processID: 'p1',
        },
      ],
    });
    assert.deepEqual(t.warnings, ['something else']);
    assert.deepEqual(t.spans[0], {
      spanId: '000000000000000b',
      parentId: '000000000000000a',
      parentType: 'follows-from',
      links: [{ type: 'follows-from', traceId: '00000000000000000000000000000def', spanId: '000000000000000z' }],
      service: 'svc',
      operation: 'op',
      kind: 'consumer',
      startMicros: 5,
      durationMicros: 3,
      error: true,
      errorMessage: 'boom',
      tags: { 'http.status_code': 500 },
      events: [{ timeMicros: 6, name: 'retry', fields: { attempt: 2 } }],
      localEndpoint: { port: 8080 },
      remoteEndpoint: { ip: '10.0.0.9' },
    });
  });
});

describe('trace reading: the dependency graph', () => {
  const g = graphOf([
    { parent: 'a', child: 'b', calls: 3, errors: 0 },
    { parent: 'b', child: 'c', calls: 2, errors: 1 },
    { parent: 'a', child: 'b', calls: 1, errors: 0 },
    { parent: 'c', child: 'a', calls: 1, errors: 0 },
    { parent: 'x "quoted"', child: 'b', calls: 1, errors: 0 },
  ]);

  it('merges repeated links; a tree from the uncalled services, a cycle marked, not repeated', () => {
    assert.deepEqual(g.links[0], { parent: 'a', child: 'b', calls: 4, errors: 0 });
    assert.equal(
      renderDependencyTree(g, painter(false)),
      'x "quoted"\n└─ b  1 call, 0 errors\n   └─ c  2 calls, 1 error\n      └─ a  1 call, 0 errors\n         └─ b  4 calls, 0 errors (calls back up the tree)\n',
    );
  });

  it('dot and mermaid: quoted names, errors in red', () => {
    assert.match(renderDot(g), /"x \\"quoted\\"" -> "b" \[label="1 call, 0 errors"\];/);
    assert.match(renderDot(g), /"b" -> "c" \[label="2 calls, 1 error", color=red, fontcolor=red\];/);
    const m = renderMermaid(g);
    assert.match(m, /s3\["x #quot;quoted#quot;"\]/);
    assert.match(m, /linkStyle 1 stroke:red,color:red\n$/);
  });
});

describe('trace reading: the waterfall', () => {
  it('golden: Bookinfo with an error, skew corrected, an overflowing child and messaging, 100 columns, no colour', () => {
    const b = bookinfoTrace({ start: 1_780_000_000_000_000, ratingsError: true, ratingsSkew: 2_000_000, overflow: true, messaging: true });
    const text = renderWaterfall(analyze(fromZipkinTrace(structuredClone(b.spans))), { width: 100, criticalOnly: false, tags: false, paint: painter(false) });
    assert.equal(
      text,
      [
        'Trace 00042021040806019dcca8c51255994f',
        'istio-ingressgateway.istio-system: productpage.default.svc.cluster.local:9080/productpage',
        'Started 2026-05-28T20:26:40.000000Z · 42ms · 11 spans · 6 services · 2 errors',
        '',
        'SPAN                                              DURATION  0      10.5ms     21ms     31.5ms   42ms',
        'istio-ingressgateway.istio-system pro…age client      30ms  █░░░░░░░░░░░░░░░░░░░░░░░░░░██',
        '└─ productpage.default productpa…ductpage server      28ms  ███░░░░██░░░░░░░░░░░░░░░░██░',
        '   ├─ productpage.default details…:9080/* client       5ms    ██░░░█',
        '   │  └─ details.default details.…:9080/* server       4ms     █████',
        '   ├─ productpage.default reviews…:9080/* client      18ms          ██░░░░░░░░░░░░░░░█',
        '   │  └─ reviews.default reviews.…:9080/* server      17ms           ██░░░░░░░░░░░████',
        '   │     ├─ ✗ reviews.default ratin…080/* client      13ms            █░░░░░░░░░░░█',
        '   │     │  └─ ✗ ratings.default rati…0/* server      12ms            █████████████',
        '   │     └─ reviews.default publi…iewed producer     500µs                         ██',
        '   │        └─ notifications.default consume re…       2ms                                        ░░',
        '   └─ productpage.default async-…ss-log internal       6ms                            ██░░░░░',
        '',
        'CRITICAL PATH                            TIME   SHARE',
        'ratings.default                          12ms     40%',
        'productpage.default                       7ms     23%',
        'reviews.default                           5ms     17%',
        'details.default                           4ms     13%',
        'istio-ingressgateway.istio-system         2ms      7%',
        'total                                    30ms    100%',
        '',
      ].join('\n'),
    );
  });
});

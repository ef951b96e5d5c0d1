// The critical path against hand-computed expectations (times in microseconds from 0), and the
// clock-skew correction that comes before it.
import assert from 'node:assert/strict';
import { criticalPath } from '../../plugins/trace/critical-path.js';
import type { Span, SpanKind, Trace } from '../../plugins/trace/model.js';
import { adjustClockSkew } from '../../plugins/trace/skew.js';
import { buildTree } from '../../plugins/trace/tree.js';
import { analyze } from '../../plugins/trace/view.js';

function span(id: string, parent: string | undefined, start: number, end: number, extra: Partial<Span> & { kind?: SpanKind } = {}): Span {
  return {
    spanId: id,
    ...(parent ? { parentId: parent } : {}),
    service: extra.service ?? 'svc',
    operation: id,
    kind: extra.kind ?? 'internal',
    startMicros: start,
    durationMicros: end - start,
    error: false,
    tags: {},
    events: [],
    ...extra,
  };
}

const trace = (spans: Span[]): Trace => ({ traceId: '0'.repeat(32), spans, warnings: [] });

function cp(spans: Span[]) {
  const r = criticalPath(buildTree(trace(spans)));
  return {
    sections: r.sections.map((s) => `${s.spanId}[${s.startMicros},${s.endMicros}]`),
    bySpan: Object.fromEntries(r.bySpan),
    byService: Object.fromEntries(r.byService.map((b) => [b.service, b.micros])),
    total: r.totalMicros,
  };
}

describe('trace critical path', () => {
  it('sequential children: the last one, then back to the one that ended before it started', () => {
    const r = cp([span('A', undefined, 0, 100), span('B', 'A', 10, 40), span('C', 'A', 50, 80)]);
    assert.deepEqual(r.sections, ['A[80,100]', 'C[50,80]', 'A[40,50]', 'B[10,40]', 'A[0,10]']);
    assert.deepEqual(r.bySpan, { A: 40, B: 30, C: 30 });
    assert.equal(r.total, 100);
  });

  it('overlapping children: the one finishing last wins, the other is off the path', () => {
    const r = cp([span('A', undefined, 0, 100), span('B', 'A', 10, 60), span('C', 'A', 30, 90)]);
    assert.deepEqual(r.sections, ['A[90,100]', 'C[30,90]', 'A[0,30]']);
    assert.equal(r.bySpan['B'], undefined);
  });

  it('a child that overflows its parent counts only inside the parent; one wholly outside is dropped with its subtree', () => {
    const r = cp([
      span('A', undefined, 0, 100),
      span('C', 'A', 10, 50),
      span('B', 'A', 60, 130),
      span('D', 'A', 120, 150),
      span('E', 'D', 125, 140),
      span('F', 'A', -30, 5),
    ]);
    // B is clipped to [60,100]; D (and E under it) start after A ends; F is clipped to [0,5].
    assert.deepEqual(r.sections, ['B[60,100]', 'A[50,60]', 'C[10,50]', 'A[5,10]', 'F[0,5]']);
    assert.deepEqual(r.bySpan, { A: 15, B: 40, C: 40, F: 5 });
  });

  it('FOLLOWS_FROM children and a CONSUMER under a PRODUCER do not block their parent', () => {
    const r = cp([
      span('A', undefined, 0, 100, { kind: 'server' }),
      span('P', 'A', 10, 20, { kind: 'producer' }),
      span('Q', 'P', 30, 95, { kind: 'consumer' }),
      span('F', 'A', 50, 99, { parentType: 'follows-from' }),
    ]);
    assert.deepEqual(r.sections, ['A[20,100]', 'P[10,20]', 'A[0,10]']);
    assert.deepEqual(r.bySpan, { A: 90, P: 10 });
  });

  it('equal end times: the child that started first is taken', () => {
    const r = cp([span('A', undefined, 0, 100), span('X', 'A', 20, 80), span('Y', 'A', 40, 80)]);
    assert.deepEqual(r.sections, ['A[80,100]', 'X[20,80]', 'A[0,20]']);
  });

  it("Bookinfo's hops: time per service adds up to the trace", () => {
    const pp = { service: 'productpage.default' };
    const spans = [
      span('pp', undefined, 0, 1000, { ...pp, kind: 'server' }),
      span('dc', 'pp', 100, 300, { ...pp, kind: 'client' }),
      span('ds', 'dc', 120, 280, { service: 'details.default', kind: 'server' }),
      span('rc', 'pp', 350, 950, { ...pp, kind: 'client' }),
      span('rs', 'rc', 360, 940, { service: 'reviews.default', kind: 'server' }),
      span('tc', 'rs', 400, 800, { service: 'reviews.default', kind: 'client' }),
      span('ts', 'tc', 420, 780, { service: 'ratings.default', kind: 'server' }),
    ];
    const r = cp(spans);
    assert.deepEqual(r.bySpan, { pp: 200, dc: 40, ds: 160, rc: 20, rs: 180, tc: 40, ts: 360 });
    assert.deepEqual(r.byService, { 'productpage.default': 260, 'reviews.default': 220, 'ratings.default': 360, 'details.default': 160 });
    assert.equal(r.total, 1000);
  });

  it('10,000 sequential spans under one parent: each on the path, with the gaps to the parent (bench/trace.ts times it)', () => {
    const spans = [span('root', undefined, 0, 10_000_000)];
    for (let i = 0; i < 10_000; i++) spans.push(span(`c${i}`, 'root', i * 1000, i * 1000 + 900));
    const r = cp(spans);
    assert.equal(r.bySpan['root'], 10_000 * 100);
    assert.equal(r.total, 10_000_000);
    assert.equal(r.bySpan['c9999'], 900);
  });

  it('a chain 10,000 deep does not overflow the stack', () => {
    const spans = [span('s0', undefined, 0, 20_000)];
    for (let i = 1; i < 10_000; i++) spans.push(span(`s${i}`, `s${i - 1}`, i, 20_000 - i));
    const r = cp(spans);
    assert.equal(r.total, 20_000);
  });
});

describe('trace clock skew', () => {
  const spans = (ratingsShift: number) => [
    span('pp', undefined, 0, 1000, { service: 'productpage.default', kind: 'server' }),
    span('rc', 'pp', 350, 950, { service: 'productpage.default', kind: 'client' }),
    span('rs', 'rc', 360, 940, { service: 'reviews.default', kind: 'server' }),
    span('tc', 'rs', 400, 800, { service: 'reviews.default', kind: 'client' }),
    span('ts', 'tc', 420 + ratingsShift, 780 + ratingsShift, {
      service: 'ratings.default',
      kind: 'server',
      events: [{ timeMicros: 500 + ratingsShift, name: 'x' }],
    }),
    span('tl', 'ts', 430 + ratingsShift, 770 + ratingsShift, { service: 'ratings.default', kind: 'client' }),
  ];

  it('a server span outside its client span is centred in it, with the spans its host reported below it', () => {
    const t = trace(spans(5_000_000));
    const { trace: fixed, adjustments } = adjustClockSkew(t, buildTree(t));
    // Client 400-800 (400), server lasts 360: 20 each side, so it starts at 420.
    assert.deepEqual(adjustments, [{ service: 'ratings.default', shiftMicros: -5_000_000, spanId: 'ts', spans: 2 }]);
    const ts = fixed.spans.find((s) => s.spanId === 'ts')!;
    assert.equal(ts.startMicros, 420);
    assert.equal(ts.events[0].timeMicros, 500);
    assert.equal(fixed.spans.find((s) => s.spanId === 'tl')!.startMicros, 430);
    assert.equal(fixed.spans.find((s) => s.spanId === 'rs')!.startMicros, 360, 'other hosts keep their times');
  });

  it('spans that fit are left alone; --raw skips the correction', () => {
    const ok = trace(spans(0));
    assert.deepEqual(adjustClockSkew(ok, buildTree(ok)).adjustments, []);
    const skewed = trace(spans(-2_000));
    assert.equal(analyze(skewed).critical.totalMicros, 1000);
    const raw = analyze(skewed, { raw: true });
    assert.equal(raw.adjustments.length, 0);
    assert.equal(raw.trace.spans.find((s) => s.spanId === 'ts')!.startMicros, 420 - 2_000);
  });
});

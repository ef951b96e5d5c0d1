import assert from 'node:assert/strict';
import type { KubeObject } from '../../shared/kube/object.js';
import { CliError, UsageError } from '../../shared/errors.js';
import { readState } from '../../shared/kube/ownership.js';
import { cookieFromRegex, cookieRegex, toPercents, type IngressLike, type Observed, type Provider } from '../../plugins/bluegreen/model.js';
import { planBlueGreen } from '../../plugins/bluegreen/plan.js';
import type { Operation, Selection } from '../../plugins/bluegreen/operations.js';
import { detectProvider, providerNamed } from '../../plugins/bluegreen/detect.js';
import { parseServiceWeight } from '../../plugins/bluegreen/providers/aliyun.js';
import { ObjectStore } from '../support/objects.js';
import type { Service } from '../../shared/kube/types.js';

const NS = 'shop';
const service = (name: string, port = 80): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: NS },
  spec: { ports: [{ name: 'http', port }] },
});
const ingressPath = (svc: string) => ({ path: '/', pathType: 'Prefix', backend: { service: { name: svc, port: { number: 80 } } } });
export const seedIngress = (annotations: Record<string, string> = {}, services = ['old-nginx']): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'echo', namespace: NS, annotations },
  spec: { ingressClassName: 'nginx', rules: [{ host: 'mini-echo.io', http: { paths: services.map(ingressPath) } }] },
});
const httpRoute = (): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'echo', namespace: NS },
  spec: {
    parentRefs: [{ name: 'gw' }],
    hostnames: ['mini-echo.io'],
    rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'old-nginx', port: 80 }] }],
  },
});
const virtualService = (): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'echo', namespace: NS },
  spec: { hosts: ['mini-echo.io'], gateways: ['gw'], http: [{ route: [{ destination: { host: 'old-nginx', port: { number: 80 } } }] }] },
});

const TARGET: Record<string, { kind: string; make: () => KubeObject }> = {
  aliyun: { kind: 'Ingress', make: () => seedIngress() },
  nginx: { kind: 'Ingress', make: () => seedIngress() },
  alb: { kind: 'Ingress', make: () => seedIngress() },
  gateway: { kind: 'HTTPRoute', make: httpRoute },
  istio: { kind: 'VirtualService', make: virtualService },
};

class World {
  store: ObjectStore;
  constructor(
    readonly p: Provider,
    target: KubeObject,
  ) {
    this.store = new ObjectStore([target, service('old-nginx'), service('new-nginx'), service('other')]);
  }
  get kind() {
    return TARGET[this.p.name].kind;
  }
  observed(): Observed {
    return {
      namespace: NS,
      target: this.store.find(this.kind, 'echo')!,
      ingresses: this.store.objects.filter((o) => o.kind === 'Ingress') as IngressLike[],
      services: this.store.objects.filter((o) => o.kind === 'Service') as Service[],
    };
  }
  run(op: Operation, sel: Selection = {}) {
    const r = planBlueGreen(this.p, this.observed(), op, sel);
    this.store.apply(r.changes);
    return r;
  }
  split(): Record<string, number> {
    const slots = this.p.read(this.observed()).slots;
    return Object.fromEntries(slots[0].backends.map((b) => [b.service, b.percent]));
  }
  ingressNames(): string[] {
    return this.store.objects
      .filter((o) => o.kind === 'Ingress')
      .map((o) => o.metadata?.name ?? '')
      .sort();
  }
}

const world = (name: string) => new World(providerNamed(name), TARGET[name].make());

describe('bluegreen weights', () => {
  const cases: [number[], number[]][] = [
    [
      [1, 1, 1],
      [34, 33, 33],
    ],
    [
      [1, 2],
      [33, 67],
    ],
    [
      [2, 1],
      [67, 33],
    ],
    [
      [20, 60],
      [25, 75],
    ],
    [
      [50, 50],
      [50, 50],
    ],
    [
      [0, 0],
      [0, 0],
    ],
    [
      [0, 5],
      [0, 100],
    ],
    [
      [1, 1, 1, 1, 1, 1, 1],
      [15, 15, 14, 14, 14, 14, 14],
    ],
    [
      [999, 1],
      [100, 0],
    ],
  ];
  for (const [weights, percents] of cases) {
    it(`${weights.join(':')} reads as ${percents.join('/')}%`, () => {
      const got = toPercents(weights);
      assert.deepEqual(got, percents);
      if (weights.some((w) => w > 0))
        assert.equal(
          got.reduce((a, b) => a + b, 0),
          100,
        );
    });
  }

  it('parses the service-weight annotation, commas or new lines, and rejects anything else', () => {
    assert.deepEqual(
      [...parseServiceWeight('new-nginx: 20, old-nginx: 80')!],
      [
        ['new-nginx', 20],
        ['old-nginx', 80],
      ],
    );
    assert.deepEqual(
      [...parseServiceWeight('new-nginx:20\nold-nginx:60\n')!],
      [
        ['new-nginx', 20],
        ['old-nginx', 60],
      ],
    );
    assert.equal(parseServiceWeight('new-nginx=20'), undefined);
    assert.equal(parseServiceWeight('new-nginx: lots'), undefined);
  });

  it('a cookie preview regex matches the cookie set to always, and reads back to its name', () => {
    const re = new RegExp(cookieRegex('canary.v2'));
    assert.ok(re.test('canary.v2=always'));
    assert.ok(re.test('a=1; canary.v2=always; b=2'));
    assert.ok(!re.test('canaryXv2=always'));
    assert.ok(!re.test('xcanary.v2=always'));
    assert.ok(!re.test('canary.v2=never'));
    assert.equal(cookieFromRegex(cookieRegex('canary.v2')), 'canary.v2');
    assert.equal(cookieFromRegex('^foo$'), undefined);
  });
});

describe('bluegreen providers: round trips', () => {
  for (const name of ['aliyun', 'nginx', 'alb', 'gateway', 'istio']) {
    describe(name, () => {
      for (const percent of [0, 1, 33, 50, 99, 100]) {
        it(`set new-nginx ${percent}% reads back as ${percent}/${100 - percent}, and again changes nothing`, () => {
          const w = world(name);
          const first = w.run({ kind: 'set', service: 'new-nginx', percent });
          assert.ok(first.changes.length > 0);
          assert.deepEqual(w.split(), { 'old-nginx': 100 - percent, 'new-nginx': percent });
          assert.deepEqual(w.run({ kind: 'set', service: 'new-nginx', percent }).changes, []);
        });
      }

      it('set, set again, then rollback: the split before the first set, and nothing recorded any more', () => {
        const w = world(name);
        const before = w.observed().target;
        w.run({ kind: 'set', service: 'new-nginx', percent: 20 });
        w.run({ kind: 'set', service: 'new-nginx', percent: 70 });
        const state = readState(w.observed().target);
        assert.equal(state['bluegreen.new-service'], 'new-nginx');
        assert.deepEqual(JSON.parse(state['bluegreen.previous-split']), {
          'mini-echo.io/': { host: 'mini-echo.io', path: '/', backends: [{ service: 'old-nginx', percent: 100, port: { number: 80 } }] },
        });
        w.run({ kind: 'rollback' });
        assert.deepEqual(w.split(), { 'old-nginx': 100 });
        assert.deepEqual(readState(w.observed().target), {});
        assert.deepEqual(w.observed().target.spec, before.spec);
        assert.deepEqual(
          w.ingressNames(),
          ['echo'].filter(() => w.kind === 'Ingress'),
        );
      });

      it('switch then finalize: the new Service alone, no weights or companions left', () => {
        const w = world(name);
        w.run({ kind: 'set', service: 'new-nginx', percent: 100 });
        const fin = w.run({ kind: 'finalize' });
        assert.deepEqual(fin.plan.released, ['old-nginx']);
        assert.deepEqual(w.split(), { 'new-nginx': 100 });
        // What finalize kept is remembered for a later --delete-old; nothing else of ours or of weights stays.
        const annotations = () => Object.keys(w.observed().target.metadata?.annotations ?? {}).filter((k) => /weight|traffic\.kubectl/.test(k));
        assert.deepEqual(annotations(), ['traffic.kubectl-plugins.io/bluegreen.released']);
        if (w.kind === 'Ingress') assert.deepEqual(w.ingressNames(), ['echo']);
        assert.deepEqual(w.run({ kind: 'finalize' }).changes, [], 'already final: the one backend is the one to keep');
        const del = w.run({ kind: 'finalize', deleteOld: true });
        assert.deepEqual(del.plan.released, ['old-nginx']);
        assert.deepEqual(annotations(), []);
        assert.deepEqual(w.run({ kind: 'finalize', service: 'new-nginx', deleteOld: true }).plan.released, []);
      });
    });
  }
});

describe('bluegreen providers: what each writes', () => {
  it("aliyun: the seed's form, both Services under the same path and ingress.aliyun.weight/new-nginx", () => {
    const w = world('aliyun');
    w.run({ kind: 'set', service: 'new-nginx', percent: 50 });
    const ing = w.observed().target as KubeObject & { spec: { rules: { http: { paths: unknown[] } }[] } };
    assert.equal(ing.metadata?.annotations?.['ingress.aliyun.weight/new-nginx'], '50');
    assert.equal(ing.metadata?.annotations?.['ingress.aliyun.weight/old-nginx'], undefined);
    assert.deepEqual(ing.spec.rules[0].http.paths, [ingressPath('old-nginx'), ingressPath('new-nginx')]);
  });

  it('aliyun: reads the seed as written by hand, and keeps the service-weight form where it is used', () => {
    const seed = new World(providerNamed('aliyun'), seedIngress({ 'ingress.aliyun.weight/new-nginx': '50' }, ['old-nginx', 'new-nginx']));
    assert.deepEqual(seed.split(), { 'old-nginx': 50, 'new-nginx': 50 });
    const w = new World(
      providerNamed('aliyun'),
      seedIngress({ 'nginx.ingress.kubernetes.io/service-weight': 'new-nginx: 20, old-nginx: 60' }, ['old-nginx', 'new-nginx']),
    );
    assert.deepEqual(w.split(), { 'old-nginx': 75, 'new-nginx': 25 }, 'relative weights');
    w.run({ kind: 'set', service: 'new-nginx', percent: 30 });
    assert.equal(w.observed().target.metadata?.annotations?.['nginx.ingress.kubernetes.io/service-weight'], 'old-nginx: 70, new-nginx: 30');
    assert.deepEqual(w.split(), { 'old-nginx': 70, 'new-nginx': 30 });
  });

  it('aliyun: unannotated backends share what the annotated leave; three-way splits are refused', () => {
    const w = new World(providerNamed('aliyun'), seedIngress({ 'ingress.aliyun.weight/new-nginx': '40' }, ['old-nginx', 'new-nginx', 'other']));
    assert.deepEqual(w.split(), { 'old-nginx': 30, 'new-nginx': 40, other: 30 });
    assert.throws(
      () => w.run({ kind: 'set', service: 'new-nginx', percent: 50 }),
      (e: unknown) => e instanceof CliError && /splits traffic between old-nginx, other/.test(e.message),
    );
  });

  it('aliyun cannot preview by header: a usage error naming the providers that can', () => {
    assert.throws(
      () => world('aliyun').run({ kind: 'preview', service: 'new-nginx', match: { header: { name: 'x-env', value: 'test' } } }),
      (e: unknown) => e instanceof UsageError && e.message === 'provider aliyun cannot route by header; use a provider that can (nginx, alb, gateway, istio)',
    );
  });

  it('nginx: one canary Ingress per rule carries weight and header preview together', () => {
    const w = world('nginx');
    w.run({ kind: 'set', service: 'new-nginx', percent: 20 });
    w.run({ kind: 'preview', service: 'new-nginx', match: { header: { name: 'x-canary', value: 'yes' } } });
    assert.deepEqual(w.ingressNames(), ['echo', 'echo-canary']);
    const c = w.store.find('Ingress', 'echo-canary')!;
    assert.deepEqual(c.metadata?.annotations, {
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '20',
      'nginx.ingress.kubernetes.io/canary-weight-total': '100',
      'nginx.ingress.kubernetes.io/canary-by-header': 'x-canary',
      'nginx.ingress.kubernetes.io/canary-by-header-value': 'yes',
    });
    assert.equal(c.metadata?.labels?.['app.kubernetes.io/managed-by'], 'kubectl-bluegreen');
    assert.deepEqual(c.spec, { ingressClassName: 'nginx', rules: [{ host: 'mini-echo.io', http: { paths: [ingressPath('new-nginx')] } }] });
    const slot = w.p.read(w.observed()).slots[0];
    assert.deepEqual(slot.preview, { service: 'new-nginx', header: { name: 'x-canary', value: 'yes' } });
    assert.throws(() => w.run({ kind: 'preview', service: 'other', match: { cookie: 'beta' } }), /one canary Ingress per rule/);
  });

  it('nginx: a weight of 3 out of a canary-weight-total of 7 reads as 43%', () => {
    const canary: KubeObject = {
      ...seedIngress(
        {
          'nginx.ingress.kubernetes.io/canary': 'true',
          'nginx.ingress.kubernetes.io/canary-weight': '3',
          'nginx.ingress.kubernetes.io/canary-weight-total': '7',
        },
        ['new-nginx'],
      ),
      metadata: {
        name: 'mine',
        namespace: NS,
        annotations: {
          'nginx.ingress.kubernetes.io/canary': 'true',
          'nginx.ingress.kubernetes.io/canary-weight': '3',
          'nginx.ingress.kubernetes.io/canary-weight-total': '7',
        },
      },
    };
    const w = world('nginx');
    w.store.objects.push(canary);
    assert.deepEqual(w.split(), { 'old-nginx': 57, 'new-nginx': 43 });
    // The existing canary Ingress is reused, not duplicated.
    w.run({ kind: 'set', service: 'new-nginx', percent: 10 });
    assert.deepEqual(w.ingressNames(), ['echo', 'mine']);
    assert.equal(w.store.find('Ingress', 'mine')!.metadata?.annotations?.['nginx.ingress.kubernetes.io/canary-weight'], '10');
    // Nothing recorded (the canary Ingress was written by hand): rollback gives its Service 0%.
    const fresh = world('nginx');
    fresh.store.objects.push(canary);
    fresh.run({ kind: 'rollback' });
    assert.deepEqual(fresh.split(), { 'old-nginx': 100, 'new-nginx': 0 });
    assert.equal(fresh.store.find('Ingress', 'mine')!.metadata?.annotations?.['nginx.ingress.kubernetes.io/canary-weight'], '0');
    // A second canary Ingress for the rule: a warning when reading, a refusal to write (not a silent delete).
    w.store.objects.push({ ...canary, metadata: { ...canary.metadata, name: 'theirs' } });
    assert.match(
      w.p.read(w.observed()).warnings.join(),
      /2 canary Ingresses \(mine, theirs\) route mini-echo\.io\/, but ingress-nginx uses only one canary Ingress per rule/,
    );
    assert.throws(
      () => w.run({ kind: 'set', service: 'new-nginx', percent: 15 }),
      /^CliError: ingress\/mine, ingress\/theirs are all canary Ingresses of mini-echo\.io\/; ingress-nginx uses one per rule: delete the extra ones first$/,
    );
  });

  it('alb: header and weight on two canary Ingresses (ALB cannot combine them on one); no regex headers', () => {
    const w = world('alb');
    w.run({ kind: 'set', service: 'new-nginx', percent: 20 });
    w.run({ kind: 'preview', service: 'new-nginx', match: { header: { name: 'x-canary', value: 'yes' } } });
    assert.deepEqual(w.ingressNames(), ['echo', 'echo-canary', 'echo-preview']);
    assert.deepEqual(w.store.find('Ingress', 'echo-canary')!.metadata?.annotations, {
      'alb.ingress.kubernetes.io/canary': 'true',
      'alb.ingress.kubernetes.io/canary-weight': '20',
    });
    assert.deepEqual(w.store.find('Ingress', 'echo-preview')!.metadata?.annotations, {
      'alb.ingress.kubernetes.io/canary': 'true',
      'alb.ingress.kubernetes.io/canary-by-header': 'x-canary',
      'alb.ingress.kubernetes.io/canary-by-header-value': 'yes',
    });
    assert.deepEqual(w.split(), { 'old-nginx': 80, 'new-nginx': 20 });
    assert.throws(() => w.run({ kind: 'preview', service: 'new-nginx', match: { header: { name: 'x', pattern: '^a' } } }), /exact value only/);
    w.run({ kind: 'rollback' });
    assert.deepEqual(w.ingressNames(), ['echo']);
  });

  it('gateway: weights written as percentages, a header rule for the preview, and a cookie preview as a Cookie regex', () => {
    const w = world('gateway');
    w.run({ kind: 'set', service: 'new-nginx', percent: 30 });
    w.run({ kind: 'preview', service: 'new-nginx', match: { header: { name: 'x-canary', value: 'yes' } } });
    const rules = (w.observed().target.spec as { rules: unknown[] }).rules;
    assert.deepEqual(rules, [
      {
        name: 'bluegreen-preview',
        matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'x-canary', value: 'yes' }] }],
        backendRefs: [{ name: 'new-nginx', port: 80 }],
      },
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [
          { name: 'old-nginx', port: 80, weight: 70 },
          { name: 'new-nginx', port: 80, weight: 30 },
        ],
      },
    ]);
    w.run({ kind: 'preview', service: 'new-nginx', match: { cookie: 'beta' } });
    assert.deepEqual(w.p.read(w.observed()).slots[0].preview, { service: 'new-nginx', cookie: 'beta' });
    assert.equal((w.observed().target.spec as { rules: unknown[] }).rules.length, 2, 'the preview rule replaced, not added');
  });

  it('header routes and rules of others are never taken for a preview: set, preview, rollback and finalize leave them as they were', () => {
    const vs = virtualService();
    const theirs = [
      { name: 'debug', match: [{ headers: { 'x-debug': { exact: '1' } } }], route: [{ destination: { host: 'debug-svc' } }], timeout: '30s' },
      { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host: 'old-nginx', subset: 'v2' } }] },
    ];
    (vs.spec as { http: unknown[] }).http.unshift(...structuredClone(theirs));
    const w = new World(providerNamed('istio'), vs);
    const foreign = () =>
      (w.observed().target.spec as { http: { name?: string }[] }).http.filter((r) => r.name !== 'bluegreen-preview' && (r as { match?: unknown }).match);
    w.run({ kind: 'set', service: 'new-nginx', percent: 10 });
    assert.deepEqual(foreign(), theirs);
    assert.equal(w.p.read(w.observed()).slots[0].preview, undefined, 'no preview read from them');
    w.run({ kind: 'preview', service: 'new-nginx', match: { header: { name: 'x-canary', value: 'yes' } } });
    assert.deepEqual(foreign(), theirs);
    w.run({ kind: 'rollback' });
    assert.deepEqual(foreign(), theirs);
    w.run({ kind: 'set', service: 'new-nginx', percent: 10 });
    w.run({ kind: 'finalize' });
    assert.deepEqual(foreign(), theirs);

    const route = httpRoute();
    const rule = {
      matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'x-qa', value: '1' }] }],
      backendRefs: [{ name: 'qa-svc', port: 80 }],
      filters: [{ type: 'RequestHeaderModifier' }],
    };
    (route.spec as { rules: unknown[] }).rules.unshift(structuredClone(rule));
    const g = new World(providerNamed('gateway'), route);
    g.run({ kind: 'set', service: 'new-nginx', percent: 10 });
    g.run({ kind: 'preview', service: 'new-nginx', match: { cookie: 'beta' } });
    g.run({ kind: 'finalize' });
    assert.deepEqual((g.observed().target.spec as { rules: unknown[] }).rules[0], rule);
  });

  it('gateway: proportional weights written by others read as rounded percentages', () => {
    const route = httpRoute();
    (route.spec as { rules: { backendRefs: unknown[] }[] }).rules[0].backendRefs = [
      { name: 'old-nginx', port: 80 },
      { name: 'new-nginx', port: 80, weight: 2 },
    ];
    const w = new World(providerNamed('gateway'), route);
    assert.deepEqual(w.split(), { 'old-nginx': 33, 'new-nginx': 67 });
  });

  it('istio: weights between destinations, the preview route first, single destinations without weight', () => {
    const w = world('istio');
    w.run({ kind: 'set', service: 'new-nginx', percent: 25 });
    w.run({ kind: 'preview', service: 'new-nginx', match: { cookie: 'beta' } });
    assert.deepEqual((w.observed().target.spec as { http: unknown[] }).http, [
      {
        name: 'bluegreen-preview',
        match: [{ headers: { cookie: { regex: cookieRegex('beta') } } }],
        route: [{ destination: { host: 'new-nginx', port: { number: 80 } } }],
      },
      {
        route: [
          { destination: { host: 'old-nginx', port: { number: 80 } }, weight: 75 },
          { destination: { host: 'new-nginx', port: { number: 80 } }, weight: 25 },
        ],
      },
    ]);
    w.run({ kind: 'finalize' });
    assert.deepEqual((w.observed().target.spec as { http: unknown[] }).http, [{ route: [{ destination: { host: 'new-nginx', port: { number: 80 } } }] }]);
  });

  it('errors: unknown Service, a host or path the object does not route, no new Service known', () => {
    assert.throws(() => world('nginx').run({ kind: 'set', service: 'nope', percent: 5 }), /^CliError: service "nope" not found in namespace "shop"$/);
    assert.throws(
      () => world('gateway').run({ kind: 'set', service: 'new-nginx', percent: 5 }, { path: '/api' }),
      (e: unknown) => e instanceof UsageError && e.message === 'httproute.gateway.networking.k8s.io/echo has no route for path "/api"; it routes mini-echo.io/',
    );
    const vs = virtualService();
    (vs.spec as { http: { route: unknown[] }[] }).http[0].route.push({ destination: { host: 'new-nginx' }, weight: 0 });
    (vs.spec as { http: { route: { weight?: number }[] }[] }).http[0].route[0].weight = 100;
    assert.throws(
      () => new World(providerNamed('istio'), vs).run({ kind: 'finalize' }),
      /cannot tell which backend of virtualservice\.networking\.istio\.io\/echo is the new one .*; name it with --service$/,
    );
    assert.deepEqual(world('istio').run({ kind: 'finalize' }).changes, [], 'one backend: already final');
  });
});

describe('bluegreen provider detection', () => {
  const cls = (name: string, controller: string, dflt = false) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name, ...(dflt ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}) },
    spec: { controller },
  });
  const classes = [cls('nginx', 'k8s.io/ingress-nginx'), cls('alb', 'ingress.k8s.alibabacloud/alb'), cls('traefik', 'traefik.io/ingress-controller')];
  const withClass = (c: string | undefined, annotations: Record<string, string> = {}) => {
    const i = seedIngress(annotations) as IngressLike;
    if (c === undefined) delete i.spec!.ingressClassName;
    else i.spec!.ingressClassName = c;
    return i;
  };
  const canaryOf = (prefix: string): IngressLike =>
    ({ ...seedIngress({}, ['new-nginx']), metadata: { name: 'c', namespace: NS, annotations: { [`${prefix}/canary`]: 'true' } } }) as IngressLike;
  const cases: [string, KubeObject, IngressLike[], string | undefined, string][] = [
    ['an HTTPRoute', httpRoute(), [], undefined, 'gateway'],
    ['a VirtualService', virtualService(), [], undefined, 'istio'],
    ['ingress-nginx class', withClass('nginx'), [], undefined, 'nginx'],
    ['ALB class', withClass('alb'), [], undefined, 'alb'],
    ["the seed's weight annotation", withClass('nginx', { 'ingress.aliyun.weight/new-nginx': '50' }), [], undefined, 'aliyun'],
    ['the service-weight annotation', withClass('nginx', { 'nginx.ingress.kubernetes.io/service-weight': 'a: 1' }), [], undefined, 'aliyun'],
    ['an ALB canary companion, whatever the class', withClass('traefik'), [canaryOf('alb.ingress.kubernetes.io')], undefined, 'alb'],
    ['--provider aliyun on an ingress-nginx class', withClass('nginx'), [], 'aliyun', 'aliyun'],
    ['the legacy class annotation without IngressClass objects', withClass(undefined, { 'kubernetes.io/ingress.class': 'nginx' }), [], undefined, 'nginx'],
  ];
  for (const [what, target, ingresses, explicit, want] of cases) {
    it(`${what} -> ${want}`, () => assert.equal(detectProvider(target, { ingresses, classes: what.includes('legacy') ? [] : classes, explicit }).name, want));
  }
  it('an unknown controller or a provider for another kind is a one-line usage error', () => {
    assert.throws(
      () => detectProvider(withClass('traefik'), { ingresses: [], classes }),
      (e: unknown) =>
        e instanceof UsageError &&
        /IngressClass "traefik" names controller "traefik.io\/ingress-controller"; pass --provider aliyun\|nginx\|alb$/.test(e.message),
    );
    assert.throws(
      () => detectProvider(withClass('nginx'), { ingresses: [], classes, explicit: 'gateway' }),
      /provider gateway works on HTTPRoute objects, and ingress "echo" is an Ingress/,
    );
    assert.throws(
      () => detectProvider(withClass('nginx'), { ingresses: [], classes, explicit: 'haproxy' }),
      /unknown provider "haproxy": use one of aliyun, nginx, alb, gateway, istio/,
    );
  });
});

describe('bluegreen providers: one host or path of several', () => {
  it('istio: --path /api changes only the /api route; its preview route is named for the path and placed before it', () => {
    const vs = virtualService();
    (vs.spec as { http: unknown[] }).http.unshift({
      match: [{ uri: { prefix: '/api' } }],
      route: [{ destination: { host: 'old-nginx', port: { number: 80 } } }],
    });
    const w = new World(providerNamed('istio'), vs);
    w.run({ kind: 'set', service: 'new-nginx', percent: 10 }, { path: '/api' });
    w.run({ kind: 'preview', service: 'new-nginx', match: { header: { name: 'x-env', value: 'test' } } }, { path: '/api' });
    const http = (w.observed().target.spec as { http: { name?: string; route: { destination: { host: string }; weight?: number }[] }[] }).http;
    assert.deepEqual(
      http.map((r) => [r.name, r.route.map((d) => `${d.destination.host}:${d.weight ?? '-'}`).join(' ')]),
      [
        ['bluegreen-preview-api', 'new-nginx:-'],
        [undefined, 'old-nginx:90 new-nginx:10'],
        [undefined, 'old-nginx:-'],
      ],
    );
    assert.deepEqual(
      w.p.read(w.observed()).slots.map((s) => [s.path, s.backends.length, Boolean(s.preview)]),
      [
        ['/api', 2, true],
        ['/', 1, false],
      ],
    );
  });

  it('nginx: --host picks one rule of an Ingress with two hosts; its canary Ingress covers that host only', () => {
    const two = seedIngress();
    (two.spec as { rules: unknown[] }).rules.push({ host: 'other.io', http: { paths: [ingressPath('old-nginx')] } });
    const w = new World(providerNamed('nginx'), two);
    w.run({ kind: 'set', service: 'new-nginx', percent: 40 }, { host: 'other.io' });
    assert.deepEqual(w.ingressNames(), ['echo', 'echo-canary-1']);
    assert.deepEqual(
      (w.store.find('Ingress', 'echo-canary-1')!.spec as { rules: { host: string }[] }).rules.map((r) => r.host),
      ['other.io'],
    );
    assert.deepEqual(
      w.p.read(w.observed()).slots.map((s) => s.backends.map((b) => `${b.service}:${b.percent}`).join(' ')),
      ['old-nginx:100', 'old-nginx:60 new-nginx:40'],
    );
    w.run({ kind: 'rollback' }, { host: 'other.io' });
    assert.deepEqual(w.ingressNames(), ['echo']);
    assert.deepEqual(readState(w.observed().target), {});
  });

  it('finalize without --host acts where the new Service is routed; other hosts keep their own backends', () => {
    const two = seedIngress();
    (two.spec as { rules: unknown[] }).rules.push({ host: 'other.io', http: { paths: [ingressPath('other')] } });
    const w = new World(providerNamed('nginx'), two);
    w.run({ kind: 'set', service: 'new-nginx', percent: 40 }, { host: 'mini-echo.io' });
    const fin = w.run({ kind: 'finalize' });
    assert.deepEqual(fin.plan.selected, ['mini-echo.io/']);
    assert.deepEqual(fin.plan.released, ['old-nginx']);
    assert.deepEqual(
      w.p.read(w.observed()).slots.map((s) => s.backends.map((b) => `${b.service}:${b.percent}`).join(' ')),
      ['new-nginx:100', 'other:100'],
    );
    assert.throws(
      () => w.run({ kind: 'finalize', service: 'new-nginx' }, { host: 'other.io' }),
      /^CliError: other\.io\/ does not route to service "new-nginx"; nothing to finalize there$/,
    );
  });

  it('aliyun: rolling back one host keeps the record of the other host changed since', () => {
    const two = seedIngress();
    (two.spec as { rules: unknown[] }).rules.push({ host: 'other.io', http: { paths: [ingressPath('old-nginx')] } });
    const w = new World(providerNamed('aliyun'), two);
    w.run({ kind: 'set', service: 'new-nginx', percent: 40 });
    w.run({ kind: 'rollback' }, { host: 'other.io' });
    assert.deepEqual(Object.keys(JSON.parse(readState(w.observed().target)['bluegreen.previous-split']) as object), ['mini-echo.io/']);
    assert.deepEqual(
      w.p.read(w.observed()).slots.map((s) => s.backends.map((b) => `${b.service}:${b.percent}`).join(' ')),
      ['old-nginx:60 new-nginx:40', 'old-nginx:100'],
    );
    w.run({ kind: 'rollback' });
    assert.deepEqual(
      w.p.read(w.observed()).slots.map((s) => s.backends.length),
      [1, 1],
    );
    assert.deepEqual(readState(w.observed().target), {});
  });
});

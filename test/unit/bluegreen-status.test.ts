import assert from 'node:assert/strict';
import type { KubeObject } from '../../shared/kube/object.js';
import type { IngressLike } from '../../plugins/bluegreen/model.js';
import { readyEndpoints } from '../../plugins/bluegreen/observe.js';
import { blueGreenViews, warningLines, type StatusInput } from '../../plugins/bluegreen/status.js';
import type { EndpointSlice, Service } from '../../shared/kube/types.js';

const NS = 'shop';
const ing = (name: string, cls: string, services: string[], annotations: Record<string, string> = {}, host = 'mini-echo.io'): IngressLike => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: NS, annotations },
  spec: {
    ingressClassName: cls,
    rules: [{ host, http: { paths: services.map((s) => ({ path: '/', pathType: 'Prefix', backend: { service: { name: s, port: { number: 80 } } } })) } }],
  },
});
const slice = (service: string, ready: boolean[], name = `${service}-abc`): EndpointSlice => ({
  metadata: { name, namespace: NS, labels: { 'kubernetes.io/service-name': service } },
  endpoints: ready.map((r, i) => ({ conditions: { ready: r }, targetRef: { name: `${service}-pod-${i}` }, addresses: [`10.0.0.${i}`] })),
});
const services: Service[] = ['old-nginx', 'new-nginx'].map((name) => ({ metadata: { name, namespace: NS }, spec: { ports: [{ port: 80 }] } }));
const classes = [{ metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } }];

describe('bluegreen status view', () => {
  it('counts ready endpoints per Service, a pod in two slices once, not-ready ones not at all', () => {
    const slices = [slice('old-nginx', [true, true, false]), slice('old-nginx', [true], 'old-nginx-v6'), slice('new-nginx', [false])];
    assert.equal(readyEndpoints(slices, NS, 'old-nginx'), 2);
    assert.equal(readyEndpoints(slices, NS, 'new-nginx'), 0);
    assert.equal(readyEndpoints(slices, 'other', 'old-nginx'), 0);
  });

  const input = (targets: KubeObject[], slices: EndpointSlice[], ingresses = targets as IngressLike[]): StatusInput => ({
    targets,
    ingresses,
    services,
    slices,
    classes,
  });

  it('a split with a backend that gets traffic but has no ready endpoint is an error; deprecation is a warning', () => {
    const echo = ing('echo', 'nginx', ['old-nginx', 'new-nginx'], { 'ingress.aliyun.weight/new-nginx': '30' });
    const [v] = blueGreenViews(input([echo], [slice('old-nginx', [true]), slice('new-nginx', [false])]), false);
    assert.deepEqual(
      { provider: v.provider, slots: v.slots, errors: v.errors },
      {
        provider: 'aliyun',
        slots: [
          {
            host: 'mini-echo.io',
            path: '/',
            backends: [
              { service: 'old-nginx', percent: 70, ready: 1 },
              { service: 'new-nginx', percent: 30, ready: 0 },
            ],
          },
        ],
        errors: ['service "new-nginx" gets 30% of mini-echo.io/ but has no ready endpoints'],
      },
    );
    assert.match(v.warnings[0], /deprecated/);
  });

  it('lists splits and previews in progress, not their canary Ingresses, not plain Ingresses unless named', () => {
    const main = ing('echo', 'nginx', ['old-nginx']);
    const canary = ing('echo-canary', 'nginx', ['new-nginx'], {
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-by-cookie': 'beta',
    });
    const plain = ing('plain', 'nginx', ['old-nginx'], {}, 'plain.io');
    const odd = ing('odd', 'traefik', ['old-nginx', 'new-nginx'], {}, 'odd.io');
    const slices = [slice('old-nginx', [true]), slice('new-nginx', [true])];
    const views = blueGreenViews(input([main, canary, plain, odd], slices), false);
    assert.deepEqual(
      views.map((v) => [v.name, v.provider, v.slots[0].preview]),
      [['echo', 'nginx', { service: 'new-nginx', cookie: 'beta', ready: 1 }]],
    );
    assert.deepEqual(
      blueGreenViews(input([plain], slices, [main, canary, plain]), true).map((v) => v.slots[0].backends),
      [[{ service: 'old-nginx', percent: 100, ready: 1 }]],
    );
    assert.throws(() => blueGreenViews(input([odd], slices), true), /cannot tell which controller serves ingress "odd"/);
  });

  it('reads a canary Ingress a few times, not once per other Ingress of the namespace', () => {
    const main = ing('echo', 'nginx', ['old-nginx']);
    const canary = ing('echo-canary', 'nginx', ['new-nginx'], {
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '20',
    });
    let reads = 0;
    const spec = canary.spec;
    Object.defineProperty(canary, 'spec', { enumerable: true, get: () => (reads++, spec) });
    const plain = Array.from({ length: 50 }, (_, i) => ing(`plain-${i}`, 'nginx', ['old-nginx'], {}, `plain-${i}.io`));
    const views = blueGreenViews(input([main, canary, ...plain], [slice('old-nginx', [true]), slice('new-nginx', [true])]), false);
    assert.deepEqual(
      views.map((v) => [v.name, v.slots[0].backends.map((b) => b.percent)]),
      [['echo', [80, 20]]],
    );
    assert.ok(reads <= 5, `the canary Ingress's rules were read ${reads} times for 51 other Ingresses`);
  });

  it('prints a warning the same for many objects once, naming three and counting the rest', () => {
    const aliyun = (name: string) => ing(name, 'nginx', ['old-nginx', 'new-nginx'], { 'ingress.aliyun.weight/new-nginx': '30' }, `${name}.io`);
    const slices = [slice('old-nginx', [true]), slice('new-nginx', [true])];
    const many = blueGreenViews(input(['a', 'b', 'c', 'd', 'e', 'f'].map(aliyun), slices), false);
    const notice = many[0].warnings[0];
    assert.match(notice, /annotations are deprecated/);
    assert.ok(
      many.every((v) => v.warnings.includes(notice)),
      'each view keeps its own warnings (-o json)',
    );
    assert.deepEqual(warningLines(many), [`ingress/a, ingress/b, ingress/c and 3 more: ${notice}`]);
    // Four are named rather than "and 1 more"; different texts stay apart, in order of first appearance.
    const four = blueGreenViews(input(['a', 'b', 'c', 'd'].map(aliyun), slices), false);
    assert.deepEqual(warningLines(four), [`ingress/a, ingress/b, ingress/c, ingress/d: ${notice}`]);
    const mixed = [...four.slice(0, 1), { ...four[1], warnings: ['its own trouble', notice] }];
    assert.deepEqual(warningLines(mixed), [`ingress/a, ingress/b: ${notice}`, 'ingress/b: its own trouble']);
  });
});

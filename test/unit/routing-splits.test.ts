// The playground data plane follows Ingress splits (Alibaba weight annotations, canary Ingresses) and HTTPRoute weights.
import assert from 'node:assert/strict';
import { route, type IngressInfo, type Snapshot } from '../playground/routing.js';

const NS = 'ingress-demo';
const ing = (name: string, services: string[], annotations: Record<string, string> = {}): IngressInfo => ({
  namespace: NS,
  name,
  annotations,
  rules: [{ host: 'mini-echo.io', paths: services.map((service) => ({ path: '/', pathType: 'Prefix', service })) }],
});
const world = (ingresses: IngressInfo[]): Snapshot => ({
  services: ['old-nginx', 'new-nginx'].map((name) => ({ namespace: NS, name })),
  endpoints: ['old-nginx', 'new-nginx'].map((service) => ({ namespace: NS, service, podName: service, ip: '10.0.0.1', ready: true })),
  pods: [
    { namespace: NS, name: 'old-nginx', labels: { version: 'old' } },
    { namespace: NS, name: 'new-nginx', labels: { version: 'new' } },
  ],
  virtualServices: [],
  destinationRules: [],
  ingresses,
});
/** The version answering at each of 100 evenly spread random draws (each request draws twice at most). */
const shares = (s: Snapshot, headers: Record<string, string> = {}) => {
  let n = 0;
  for (let i = 0; i < 100; i++) {
    const d = route(s, { host: 'mini-echo.io', path: '/', headers }, () => (i + 0.5) / 100);
    if (d.status === 200 && d.version === 'new') n++;
  }
  return n;
};

describe('data plane: Ingress splits', () => {
  it("the seed's ingress.aliyun.weight/new-nginx: 50 sends half to each", () => {
    assert.equal(shares(world([ing('echo', ['old-nginx', 'new-nginx'], { 'ingress.aliyun.weight/new-nginx': '50' })])), 50);
  });

  it('service-weight is relative: 20 and 60 send a quarter to new', () => {
    assert.equal(
      shares(world([ing('echo', ['old-nginx', 'new-nginx'], { 'nginx.ingress.kubernetes.io/service-weight': 'new-nginx: 20, old-nginx: 60' })])),
      25,
    );
  });

  it('an ingress-nginx canary Ingress: weight out of the total, header first, never wins over weight', () => {
    const canary = ing('echo-canary', ['new-nginx'], {
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '3',
      'nginx.ingress.kubernetes.io/canary-weight-total': '10',
      'nginx.ingress.kubernetes.io/canary-by-header': 'x-env',
      'nginx.ingress.kubernetes.io/canary-by-header-value': 'test',
    });
    const s = world([ing('echo', ['old-nginx']), canary]);
    assert.equal(shares(s), 30);
    assert.equal(shares(s, { 'x-env': 'test' }), 100);
    assert.equal(shares(s, { 'x-env': 'never' }), 0);
  });

  it('an ALB canary Ingress by cookie', () => {
    const s = world([
      ing('echo', ['old-nginx']),
      ing('echo-preview', ['new-nginx'], { 'alb.ingress.kubernetes.io/canary': 'true', 'alb.ingress.kubernetes.io/canary-by-cookie': 'beta' }),
    ]);
    assert.equal(shares(s), 0);
    assert.equal(shares(s, { cookie: 'a=1; beta=always' }), 100);
  });
});

describe('data plane: Gateway API HTTPRoutes', () => {
  const routeWorld = (rules: NonNullable<Snapshot['httpRoutes']>[number]['rules']): Snapshot => ({
    ...world([]),
    httpRoutes: [{ namespace: NS, name: 'echo', hostnames: ['mini-echo.io'], rules }],
  });
  const prefix = { path: { type: 'PathPrefix', value: '/' } };

  it('weights split proportionally (default 1); 0 takes nothing', () => {
    assert.equal(
      shares(
        routeWorld([
          {
            matches: [prefix],
            backendRefs: [
              { name: 'old-nginx', weight: 70 },
              { name: 'new-nginx', weight: 30 },
            ],
          },
        ]),
      ),
      30,
    );
    assert.equal(shares(routeWorld([{ matches: [prefix], backendRefs: [{ name: 'old-nginx' }, { name: 'new-nginx' }] }])), 50);
    assert.equal(
      shares(
        routeWorld([
          {
            matches: [prefix],
            backendRefs: [
              { name: 'old-nginx', weight: 0 },
              { name: 'new-nginx', weight: 1 },
            ],
          },
        ]),
      ),
      100,
    );
  });

  it('a rule with a header match outranks the plain rule for requests carrying the header', () => {
    const s = routeWorld([
      { matches: [prefix], backendRefs: [{ name: 'old-nginx' }] },
      { matches: [{ ...prefix, headers: [{ type: 'Exact', name: 'x-env', value: 'test' }] }], backendRefs: [{ name: 'new-nginx' }] },
    ]);
    assert.equal(shares(s), 0);
    assert.equal(shares(s, { 'x-env': 'test' }), 100);
    assert.equal(shares(s, { 'x-env': 'prod' }), 0);
  });
});

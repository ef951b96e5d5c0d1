import assert from 'node:assert/strict';
import { solveReplicas } from '../../plugins/canary/replicas.js';
import { findTopology } from '../../plugins/canary/topology.js';
import { planAbort, planPromote, planSet, readPrevious } from '../../plugins/canary/plan-set.js';
import { CliError, UsageError } from '../../shared/errors.js';
import type { Deployment, Service } from '../../shared/kube/types.js';

const dep = (name: string, labels: Record<string, string>, replicas = 1, rv = '10'): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default', resourceVersion: rv },
  spec: { replicas, selector: { matchLabels: { run: name } }, template: { metadata: { labels: { run: name, ...labels } } } },
});
const svc = (name: string, selector: Record<string, string>): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector } });

describe('canary replica solver', () => {
  const cases: [number, number, number, number, number, boolean, number | undefined][] = [
    // percent, total -> canary, stable, achieved, exact, exactTotal
    [50, 2, 1, 1, 50, true, undefined],
    [50, 5, 2, 3, 40, false, 6],
    [20, 10, 2, 8, 20, true, undefined],
    [25, 5, 1, 4, 20, false, 4],
    [0, 4, 0, 4, 0, true, undefined],
    [100, 4, 4, 0, 100, true, undefined],
    [5, 4, 1, 3, 25, false, 20],
    [95, 4, 3, 1, 75, false, 20],
    [75, 2, 1, 1, 50, false, 4],
    [33, 3, 1, 2, 33.3, false, 100],
    [50, 1, 0, 1, 0, false, 2],
    [30, 5, 1, 4, 20, false, 10],
  ];
  for (const [p, total, canary, stable, achieved, exact, exactTotal] of cases) {
    it(`${p}% of ${total} pods`, () => {
      const s = solveReplicas(p, total);
      assert.deepEqual(
        { canary: s.canary, stable: s.stable, achieved: s.achieved, exact: s.exact, exactTotal: s.exactTotal },
        { canary, stable, achieved, exact, exactTotal },
      );
      assert.equal(s.canary + s.stable, total);
    });
  }
});

describe('canary topology', () => {
  const deployments = [dep('old-nginx', { app: 'nginx' }, 3), dep('new-nginx', { app: 'nginx' }, 1), dep('other', { app: 'web' })];
  const services = [svc('nginx', { app: 'nginx' }), svc('web', { app: 'web' })];
  const base = { namespace: 'default', deployments, services, autoscalers: [] };

  it('finds the Service selecting the canary and the stable Deployment behind it', () => {
    const t = findTopology({ ...base, canaryName: 'new-nginx' });
    assert.equal(t.service.metadata?.name, 'nginx');
    assert.equal(t.stable.metadata?.name, 'old-nginx');
  });

  it('one clear error for each impossible case', () => {
    assert.throws(
      () => findTopology({ ...base, canaryName: 'nginx' }),
      (e: Error) => e instanceof CliError && /deployment "nginx" not found in namespace "default"; did you mean old-nginx, new-nginx\?/.test(e.message),
    );
    assert.throws(() => findTopology({ ...base, canaryName: 'other' }), /service "web" selects no Deployment other than "other"/);
    assert.throws(
      () => findTopology({ ...base, services: [services[1]], canaryName: 'new-nginx' }),
      /no Service in namespace "default" selects the pods of deployment "new-nginx" \(labels run=new-nginx,app=nginx\)/,
    );
    assert.throws(
      () => findTopology({ ...base, services: [...services, svc('nginx-2', { app: 'nginx' })], canaryName: 'new-nginx' }),
      (e: Error) => e instanceof UsageError && /several Services .*: nginx, nginx-2; choose one with --service/.test(e.message),
    );
    assert.throws(
      () => findTopology({ ...base, canaryName: 'new-nginx', serviceName: 'web' }),
      /service "web" \(selector app=web\) does not select the pods of deployment "new-nginx"/,
    );
    assert.throws(
      () => findTopology({ ...base, deployments: [...deployments, dep('older', { app: 'nginx' })], canaryName: 'new-nginx' }),
      (e: Error) =>
        e instanceof UsageError && /several Deployments besides "new-nginx" \(old-nginx, older\); choose the stable one with --stable/.test(e.message),
    );
    assert.equal(
      findTopology({ ...base, deployments: [...deployments, dep('older', { app: 'nginx' })], canaryName: 'new-nginx', stableName: 'older' }).stable.metadata
        ?.name,
      'older',
    );
    assert.throws(
      () => findTopology({ ...base, canaryName: 'new-nginx', stableName: 'other' }),
      /deployment "other" is not behind service "nginx" with "new-nginx"; the Deployments there are old-nginx/,
    );
  });

  it('notices autoscalers targeting either Deployment', () => {
    const hpa = { metadata: { name: 'old-hpa' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'old-nginx' } } };
    const unrelated = { metadata: { name: 'x' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'other' } } };
    assert.deepEqual(findTopology({ ...base, autoscalers: [hpa, unrelated], canaryName: 'new-nginx' }).autoscalers, [hpa]);
  });
});

describe('canary set plan', () => {
  const topo = (stable: number, canary: number, annotations?: Record<string, string>) => {
    const c = dep('new-nginx', { app: 'nginx' }, canary, '22');
    if (annotations) c.metadata!.annotations = annotations;
    return findTopology({
      namespace: 'default',
      canaryName: 'new-nginx',
      deployments: [dep('old-nginx', { app: 'nginx' }, stable, '11'), c],
      services: [svc('nginx', { app: 'nginx' })],
      autoscalers: [],
    });
  };

  it('scales up before down, with resourceVersion preconditions and the baseline for abort', () => {
    const p = planSet(topo(4, 1), 60);
    assert.deepEqual(
      p.steps.map((s) => [s.name, s.from, s.to]),
      [
        ['new-nginx', 1, 3],
        ['old-nginx', 4, 2],
      ],
    );
    assert.equal(p.solution.exact, true);
    assert.deepEqual(p.steps[0].patch, {
      metadata: { resourceVersion: '22', annotations: { 'traffic.kubectl-plugins.io/previous-replicas': '{"old-nginx":4,"new-nginx":1}' } },
      spec: { replicas: 3 },
    });
    assert.deepEqual(p.steps[1].patch, { metadata: { resourceVersion: '11' }, spec: { replicas: 2 } });
    // The stable side scales first; the baseline is still the first write (so a timeout leaves it).
    const back = planSet(topo(2, 3), 0);
    assert.deepEqual(
      back.steps.map((s) => [s.name, s.from, s.to]),
      [
        ['new-nginx', 3, 3],
        ['old-nginx', 2, 5],
        ['new-nginx', 3, 0],
      ],
    );
    assert.deepEqual(back.steps[0].patch, {
      metadata: { resourceVersion: '22', annotations: { 'traffic.kubectl-plugins.io/previous-replicas': '{"old-nginx":2,"new-nginx":3}' } },
    });
    assert.deepEqual(back.steps[2].patch, { metadata: {}, spec: { replicas: 0 } });
    assert.equal(planSet(topo(2, 3), 0, undefined, '{"old-nginx":9,"new-nginx":1}').steps[0].patch['metadata'] !== undefined, true);
    assert.match(
      JSON.stringify(planSet(topo(2, 3), 0, undefined, '{"old-nginx":9,"new-nginx":1}').steps[0].patch),
      /old-nginx\\":9/,
      'a baseline fixed at the first read survives a retry',
    );
  });

  it('keeps the first baseline on later sets, and plans nothing when already there', () => {
    const later = planSet(topo(2, 3, { 'traffic.kubectl-plugins.io/previous-replicas': '{"old-nginx":4,"new-nginx":1}' }), 80);
    assert.deepEqual(
      later.steps.map((s) => s.patch['metadata']),
      [{ resourceVersion: '22' }, { resourceVersion: '11' }],
    );
    assert.deepEqual(planSet(topo(1, 1), 50).steps, []);
    assert.deepEqual(readPrevious(topo(2, 3, { 'traffic.kubectl-plugins.io/previous-replicas': '{"old-nginx":4,"new-nginx":1}' }).canary), {
      'old-nginx': 4,
      'new-nginx': 1,
    });
  });

  it('--total changes the pod count; the baseline still lands on the canary', () => {
    const p = planSet(topo(1, 1), 50, 4);
    assert.deepEqual(
      p.steps.map((s) => [s.name, s.from, s.to]),
      [
        ['new-nginx', 1, 2],
        ['old-nginx', 1, 2],
      ],
    );
    const stableOnly = planSet(topo(3, 1), 25, 4);
    assert.deepEqual(stableOnly.steps, []);
    const grow = planSet(topo(1, 1), 50, 2);
    assert.deepEqual(grow.steps, []);
    const onlyStable = planSet(topo(2, 1), 25, 4);
    assert.deepEqual(
      onlyStable.steps.map((s) => [s.name, s.from, s.to]),
      [
        ['new-nginx', 1, 1],
        ['old-nginx', 2, 3],
      ],
    );
    assert.ok(
      String(
        (onlyStable.steps[0].patch['metadata'] as { annotations: Record<string, string> }).annotations['traffic.kubectl-plugins.io/previous-replicas'],
      ).includes('"old-nginx":2'),
    );
  });

  it('refuses to split zero pods', () => {
    assert.throws(() => planSet(topo(0, 0), 50), /both have 0 replicas; say how many pods to split with --total/);
  });
});

describe('canary abort and promote plans', () => {
  const topo = (stable: number, canary: number, previous?: string) => {
    const c = dep('new-nginx', { app: 'nginx' }, canary, '22');
    if (previous) c.metadata!.annotations = { 'traffic.kubectl-plugins.io/previous-replicas': previous };
    return findTopology({
      namespace: 'default',
      canaryName: 'new-nginx',
      deployments: [dep('old-nginx', { app: 'nginx' }, stable, '11'), c],
      services: [svc('nginx', { app: 'nginx' })],
      autoscalers: [],
    });
  };
  const shape = (p: ReturnType<typeof planAbort>) => p.steps.map((s) => [s.name, s.from, s.to, s.delete ?? false]);

  it('abort: stable back to its recorded replicas first, canary to 0, baseline cleared with the last write', () => {
    const p = planAbort(topo(1, 3, '{"old-nginx":4,"new-nginx":1}'));
    assert.deepEqual(shape(p), [
      ['old-nginx', 1, 4, false],
      ['new-nginx', 3, 0, false],
    ]);
    assert.deepEqual((p.steps[1].patch['metadata'] as { annotations: unknown }).annotations, { 'traffic.kubectl-plugins.io/previous-replicas': null });
    assert.equal(readPrevious(topo(1, 3, '{"old-nginx":"4"}').canary), undefined, 'a hand-edited baseline is not trusted');
  });

  it('abort without a recorded baseline keeps the capacity on the stable side', () => {
    assert.deepEqual(shape(planAbort(topo(2, 3))), [
      ['old-nginx', 2, 5, false],
      ['new-nginx', 3, 0, false],
    ]);
    assert.deepEqual(planAbort(topo(5, 0)).steps, [], 'already aborted: nothing to do');
  });

  it('promote: canary takes the whole capacity, stable to 0 and recorded; or deleted', () => {
    const p = planPromote(topo(3, 1), false);
    assert.deepEqual(shape(p), [
      ['new-nginx', 1, 4, false],
      ['old-nginx', 3, 0, false],
    ]);
    assert.ok(JSON.stringify(p.steps[0].patch).includes('previous-replicas'));
    const d = planPromote(topo(3, 1, '{"old-nginx":3,"new-nginx":1}'), true);
    assert.deepEqual(shape(d), [
      ['new-nginx', 1, 4, false],
      ['old-nginx', 3, 0, true],
      ['new-nginx', 4, 4, false],
    ]);
    assert.deepEqual(
      d.steps[2].patch,
      { metadata: { annotations: { 'traffic.kubectl-plugins.io/previous-replicas': null } } },
      'cleared last, after the stable is gone',
    );
  });
});

describe('canary status view', () => {
  it('one row per recorded canary: weight set (desired) and in effect (ready), health, bars', async () => {
    const { canaryViews, bar } = await import('../../plugins/canary/status.js');
    const stable = { ...dep('old-nginx', { app: 'nginx' }, 3), status: { readyReplicas: 3 } };
    const canary = { ...dep('new-nginx', { app: 'nginx' }, 1), status: { readyReplicas: 0, conditions: [{ type: 'Available', status: 'False' }] } };
    canary.metadata!.annotations = { 'traffic.kubectl-plugins.io/previous-replicas': '{}' };
    const lone = dep('lonely', { app: 'solo' });
    const views = canaryViews(
      [stable, canary, lone],
      [svc('nginx', { app: 'nginx' })].map((s) => ({ ...s, metadata: { ...s.metadata, namespace: 'default' } })),
    );
    assert.equal(views.length, 1);
    assert.deepEqual(views[0], {
      namespace: 'default',
      service: 'nginx',
      mode: 'replicas',
      canary: { deployment: 'new-nginx', desired: 1, ready: 0, weight: 25, effectiveWeight: 0, health: 'Degraded' },
      stable: { deployment: 'old-nginx', desired: 3, ready: 3, weight: 75, effectiveWeight: 100, health: 'Healthy' },
      health: 'Degraded',
    });
    assert.equal(canaryViews([stable, canary, lone], [], 'new-nginx').length, 0, 'no shared Service: not a canary');
    assert.equal(bar(30), '██████░░░░░░░░░░░░░░');
  });

  it("istio mode: weights from the default route, split over each subset's pods; weight to no ready pod is failing", async () => {
    const { canaryViews } = await import('../../plugins/canary/status.js');
    const at = <T extends { metadata?: object }>(o: T): T => ({ ...o, metadata: { ...o.metadata, namespace: 'bookinfo' } });
    const v1 = at({ ...dep('reviews-v1', { app: 'reviews', version: 'v1' }, 2), status: { readyReplicas: 2 } });
    const v2 = at({ ...dep('reviews-v2', { app: 'reviews', version: 'v2' }, 1), status: { readyReplicas: 0 } });
    const vs = at({
      metadata: { name: 'reviews', annotations: { 'traffic.kubectl-plugins.io/canary': 'reviews-v2' } },
      spec: {
        http: [
          { match: [{}], route: [{ destination: { host: 'reviews', subset: 'v2' } }] },
          {
            route: [
              { destination: { host: 'reviews', subset: 'v1' }, weight: 75 },
              { destination: { host: 'reviews', subset: 'v2' }, weight: 25 },
            ],
          },
        ],
      },
    });
    const dr = at({
      metadata: { name: 'reviews' },
      spec: {
        host: 'reviews',
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          { name: 'v2', labels: { version: 'v2' } },
        ],
      },
    });
    const [view] = canaryViews([v1, v2], [at(svc('reviews', { app: 'reviews' }))], undefined, { virtualServices: [vs], destinationRules: [dr] });
    assert.deepEqual(view, {
      namespace: 'bookinfo',
      service: 'reviews',
      mode: 'istio',
      virtualService: 'reviews',
      canary: { deployment: 'reviews-v2', desired: 1, ready: 0, weight: 25, effectiveWeight: 0, health: 'Progressing' },
      stable: { deployment: 'reviews-v1', desired: 2, ready: 2, weight: 75, effectiveWeight: 75, health: 'Healthy' },
      failingWeight: 25,
      health: 'Degraded',
    });
    // A destination without a subset spreads over every pod of the Service, by ready pods.
    const plain = at({
      metadata: { name: 'reviews', annotations: { 'traffic.kubectl-plugins.io/canary': 'reviews-v2' } },
      spec: { http: [{ route: [{ destination: { host: 'reviews.bookinfo.svc.cluster.local' } }] }] },
    });
    const [whole] = canaryViews([v1, { ...v2, status: { readyReplicas: 2 } }], [at(svc('reviews', { app: 'reviews' }))], undefined, {
      virtualServices: [plain],
      destinationRules: [],
    });
    assert.deepEqual([whole.canary.weight, whole.canary.effectiveWeight, whole.failingWeight], [33.3, 50, undefined]);
  });

  it('bars', async () => {
    const { bar } = await import('../../plugins/canary/status.js');
    assert.equal(bar(30), '██████░░░░░░░░░░░░░░');
  });
});

describe('VirtualServices routing a Service', () => {
  it("matches the hosts istiod resolves to the Service (short name, FQDN); ignores other hosts and 'name.ns'", async () => {
    const { routingVirtualServices } = await import('../../plugins/canary/topology.js');
    const vs = (name: string, host: string) => ({ metadata: { name }, spec: { hosts: ['x'], http: [{ route: [{ destination: { host } }] }] } });
    const found = routingVirtualServices(
      [vs('a', 'reviews'), vs('b', 'reviews.bookinfo.svc.cluster.local'), vs('c', 'ratings'), vs('d', 'reviews.other'), vs('e', 'reviews.bookinfo')],
      'reviews',
      'bookinfo',
    );
    assert.deepEqual(
      found.map((v) => v.metadata?.name),
      ['a', 'b'],
    );
  });
});

describe('istio plan', () => {
  const reviews = (v: string) => ({
    ...dep(`reviews-${v}`, { app: 'reviews', version: v }),
    metadata: { name: `reviews-${v}`, namespace: 'bookinfo', resourceVersion: '5' },
  });
  const topo = () =>
    findTopology({
      namespace: 'bookinfo',
      canaryName: 'reviews-v2',
      deployments: [reviews('v1'), reviews('v2')],
      services: [svc('reviews', { app: 'reviews' })],
      autoscalers: [],
    });
  const vs = (http: unknown[]) =>
    ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews', namespace: 'bookinfo', resourceVersion: '7' },
      spec: { hosts: ['reviews'], http },
    }) as import('../../shared/istio/types.js').VirtualService;
  const dr = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'reviews', namespace: 'bookinfo', resourceVersion: '9' },
    spec: {
      host: 'reviews',
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' } },
        { name: 'v3', labels: { version: 'v3' } },
      ],
    },
  };

  it('seed 002: reuses the DestinationRule subsets, rewrites only the default route, keeps the jason route', async () => {
    const { planIstio } = await import('../../plugins/canary/istio.js');
    const jason = { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] };
    const p = planIstio(topo(), vs([jason, { route: [{ destination: { host: 'reviews', subset: 'v1' } }] }]), [dr], 10);
    assert.equal(p.destinationRule, undefined, 'subsets already fit');
    assert.deepEqual(p.virtualService.spec?.http, [
      jason,
      {
        route: [
          { destination: { host: 'reviews', subset: 'v1' }, weight: 90 },
          { destination: { host: 'reviews', subset: 'v2' }, weight: 10 },
        ],
      },
    ]);
    assert.equal(p.virtualService.metadata?.resourceVersion, '7');
    assert.deepEqual(p.state, {
      'traffic.kubectl-plugins.io/previous-weights': '[{"destination":{"host":"reviews","subset":"v1"}}]',
      'traffic.kubectl-plugins.io/canary': 'reviews-v2',
    });
    assert.deepEqual([p.stableSubset, p.canarySubset], ['v1', 'v2']);
  });

  it('adds subsets from the labels that tell the pods apart when the rule lacks them', async () => {
    const { planIstio, distinguishing } = await import('../../plugins/canary/istio.js');
    const p = planIstio(topo(), vs([{ route: [{ destination: { host: 'reviews.bookinfo.svc.cluster.local' } }] }]), [], 50);
    assert.equal(p.createRule, true);
    assert.deepEqual(p.destinationRule?.spec, {
      host: 'reviews',
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' } },
      ],
    });
    assert.deepEqual(distinguishing(dep('a', { tier: 'x' }), dep('b', { tier: 'x' })), { run: 'a' });
    assert.throws(
      () =>
        distinguishing(
          { spec: { template: { metadata: { labels: { app: 'x' } } } }, metadata: { name: 'a' } },
          { spec: { template: { metadata: { labels: { app: 'x' } } } }, metadata: { name: 'b' } },
        ),
      /carry the same labels/,
    );
  });

  it('a later set keeps the first recorded route; nothing changes when the weights are already there', async () => {
    const { planIstio } = await import('../../plugins/canary/istio.js');
    const first = planIstio(topo(), vs([{ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }]), [dr], 30);
    const written = {
      ...vs(first.virtualService.spec!.http!),
      metadata: { name: 'reviews', namespace: 'bookinfo', annotations: first.state as Record<string, string> },
    };
    const second = planIstio(topo(), written, [dr], 60);
    assert.equal(second.state, undefined, 'baseline kept');
    assert.equal(second.vsChanged, true);
    const same = planIstio(topo(), written, [dr], 30);
    assert.deepEqual([same.vsChanged, same.state, same.destinationRule], [false, undefined, undefined]);
  });

  it('restore (abort): the recorded default route comes back and our annotations go; without a record, all to stable', async () => {
    const { planIstio, planIstioRestore } = await import('../../plugins/canary/istio.js');
    const jason = { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] };
    const original = [jason, { route: [{ destination: { host: 'reviews', subset: 'v1' } }] }];
    const set = planIstio(topo(), vs(original), [dr], 40);
    const written = {
      ...vs(set.virtualService.spec!.http!),
      metadata: { name: 'reviews', namespace: 'bookinfo', resourceVersion: '8', annotations: set.state as Record<string, string> },
    };
    const back = planIstioRestore(topo(), written, [dr]);
    assert.deepEqual(back.virtualService.spec?.http, original);
    assert.deepEqual(back.state, { 'traffic.kubectl-plugins.io/previous-weights': null, 'traffic.kubectl-plugins.io/canary': null });
    assert.equal(back.virtualService.metadata?.resourceVersion, '8');
    const unrecorded = planIstioRestore(
      topo(),
      vs([
        {
          route: [
            { destination: { host: 'reviews', subset: 'v1' }, weight: 50 },
            { destination: { host: 'reviews', subset: 'v2' }, weight: 50 },
          ],
        },
      ]),
      [dr],
    );
    assert.deepEqual(unrecorded.virtualService.spec?.http, [
      {
        route: [
          { destination: { host: 'reviews', subset: 'v1' }, weight: 100 },
          { destination: { host: 'reviews', subset: 'v2' }, weight: 0 },
        ],
      },
    ]);
    assert.equal(unrecorded.state, undefined);
    const done = planIstioRestore(topo(), vs(original), [dr]);
    assert.equal(done.vsChanged, false, 'a second abort changes nothing');
  });

  it('bookinfo: with v1, v2 and v3 behind reviews, the stable is the subset the default route favours', async () => {
    const { SeveralStablesError } = await import('../../plugins/canary/topology.js');
    const input = {
      namespace: 'bookinfo',
      canaryName: 'reviews-v2',
      deployments: [reviews('v1'), reviews('v2'), reviews('v3')],
      services: [svc('reviews', { app: 'reviews' })],
      autoscalers: [],
    };
    const route = (w1: number, w3: number) => [
      vs([
        {
          route: [
            { destination: { host: 'reviews', subset: 'v1' }, weight: w1 },
            { destination: { host: 'reviews', subset: 'v3' }, weight: w3 },
          ],
        },
      ]),
    ];
    assert.throws(() => findTopology({ ...input, virtualServices: route(80, 20) }), SeveralStablesError, 'subsets not read yet');
    assert.equal(findTopology({ ...input, virtualServices: route(80, 20), destinationRules: [dr] }).stable.metadata?.name, 'reviews-v1');
    assert.equal(findTopology({ ...input, virtualServices: route(20, 80), destinationRules: [dr] }).stable.metadata?.name, 'reviews-v3');
    assert.throws(
      () => findTopology({ ...input, virtualServices: route(50, 50), destinationRules: [dr] }),
      /choose the stable one with --stable/,
      'a tie is not guessed',
    );
    const promoted = [
      vs([
        {
          route: [
            { destination: { host: 'reviews', subset: 'v1' }, weight: 0 },
            { destination: { host: 'reviews', subset: 'v2' }, weight: 100 },
          ],
        },
      ]),
    ];
    assert.equal(
      findTopology({ ...input, virtualServices: promoted, destinationRules: [dr] }).stable.metadata?.name,
      'reviews-v1',
      "the canary's own weight does not count",
    );
    // New subsets must not select the third version's pods either.
    const { planIstio } = await import('../../plugins/canary/istio.js');
    const t = findTopology({ ...input, virtualServices: route(80, 20), destinationRules: [dr] });
    const p = planIstio(t, route(80, 20)[0], [], 10);
    assert.deepEqual(p.destinationRule?.spec?.subsets, [
      { name: 'v1', labels: { version: 'v1' } },
      { name: 'v2', labels: { version: 'v2' } },
    ]);
  });

  it('a VirtualService without a default route for the Service is refused', async () => {
    const { planIstio } = await import('../../plugins/canary/istio.js');
    assert.throws(
      () => planIstio(topo(), vs([{ match: [{ uri: { prefix: '/a' } }], route: [{ destination: { host: 'reviews' } }] }]), [dr], 10),
      /has no default route \(one without match conditions\) to service "reviews"/,
    );
  });
});

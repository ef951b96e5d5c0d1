// Canary's decision, as a table: from the topology observed and --mode/--force, replicas mode, Istio
// mode (on which VirtualService), or a refusal with its message and exit code.
import assert from 'node:assert/strict';
import { decideMode, type DecideOptions } from '../../plugins/canary/decide.js';
import type { Topology } from '../../plugins/canary/topology.js';
import { ExitCode } from '../../shared/exit-codes.js';
import type { VirtualService } from '../../shared/istio/types.js';
import type { Deployment, HorizontalPodAutoscaler } from '../../shared/kube/types.js';

const dep = (name: string, replicas = 1, annotations: Record<string, string> = {}): Deployment => ({
  metadata: { name, namespace: 'shop', annotations },
  spec: { replicas, template: { metadata: { labels: { app: 'nginx', version: name } } } },
});
const baseline = (v: Record<string, number>) => ({ 'traffic.kubectl-plugins.io/previous-replicas': JSON.stringify(v) });
const vs = (name: string, weights: [string, number][] = [['old', 100]], canary?: string): VirtualService => ({
  metadata: { name, namespace: 'shop', annotations: canary ? { 'traffic.kubectl-plugins.io/canary': canary } : {} },
  spec: { hosts: ['nginx'], http: [{ route: weights.map(([subset, weight]) => ({ destination: { host: 'nginx', subset }, weight })) }] },
});
/** A VirtualService on which an Istio set named canary `new` and whose default route still splits. */
const splitByNew = vs(
  'nginx',
  [
    ['old', 80],
    ['new', 20],
  ],
  'new',
);
const hpa = (name: string): HorizontalPodAutoscaler => ({ metadata: { name }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name } } });

function topo(o: Partial<Topology> = {}): Topology {
  return {
    namespace: 'shop',
    service: { metadata: { name: 'nginx', namespace: 'shop' }, spec: { selector: { app: 'nginx' } } },
    canary: dep('new'),
    stable: dep('old'),
    autoscalers: [],
    virtualServices: [],
    others: [],
    ...o,
  };
}

const HPA_REFUSAL = 'horizontalpodautoscaler.autoscaling/old scales these Deployments and would undo the change; remove it, or pass --force to scale anyway';
const OTHERS_REFUSAL =
  'service "nginx" also selects deployment.apps/older, whose pods take traffic too; replicas mode needs the canary and one stable Deployment alone behind the Service';

// what, topology, flags, expected: "replicas", "istio <vs>", or "refused <exit code>: <message>"; warnings
const rows: [string, Topology, DecideOptions, string, string[]?][] = [
  ['no VirtualService: replicas', topo(), { force: false }, 'replicas'],
  ['--mode replicas without a VirtualService', topo(), { mode: 'replicas', force: false }, 'replicas'],
  ['a VirtualService routes the Service: Istio', topo({ virtualServices: [vs('nginx')] }), { mode: 'auto', force: false }, 'istio nginx'],
  ['--mode istio with its VirtualService', topo({ virtualServices: [vs('nginx')] }), { mode: 'istio', force: false }, 'istio nginx'],
  [
    '--mode istio without a VirtualService',
    topo(),
    { mode: 'istio', force: false },
    'refused 1: no VirtualService in namespace "shop" routes service "nginx"; --mode istio needs one (or use --mode replicas)',
  ],
  [
    '--mode replicas where a VirtualService decides the split',
    topo({ virtualServices: [vs('nginx')] }),
    { mode: 'replicas', force: false },
    'refused 1: virtualservice.networking.istio.io/nginx routes service "nginx", so its weights, not replica counts, decide the split; --mode replicas cannot move traffic, use --mode istio (or auto)',
  ],
  [
    'several VirtualServices route the Service',
    topo({ virtualServices: [vs('a'), vs('b')] }),
    { force: false },
    'refused 2: several VirtualServices route service "nginx": a, b; keep one default route for it',
  ],
  [
    'several VirtualServices and --mode replicas: the mode is refused first',
    topo({ virtualServices: [vs('a'), vs('b')] }),
    { mode: 'replicas', force: false },
    'refused 1: virtualservice.networking.istio.io/a, virtualservice.networking.istio.io/b routes service "nginx", so its weights, not replica counts, decide the split; --mode replicas cannot move traffic, use --mode istio (or auto)',
  ],
  ['another Deployment behind the Service, replicas mode', topo({ others: [dep('older')] }), { force: true }, `refused 1: ${OTHERS_REFUSAL}`],
  [
    'another Deployment behind the Service under Istio (subsets tell them apart)',
    topo({ others: [dep('older')], virtualServices: [vs('nginx')] }),
    { force: false },
    'istio nginx',
  ],
  ['an autoscaler in replicas mode', topo({ autoscalers: [hpa('old')] }), { force: false }, `refused 1: ${HPA_REFUSAL}`],
  [
    'an autoscaler with --force: replicas, warned',
    topo({ autoscalers: [hpa('old')] }),
    { force: true },
    'replicas',
    ['horizontalpodautoscaler.autoscaling/old scales these Deployments and may undo the change'],
  ],
  [
    'an autoscaler under Istio: weights are out of its reach',
    topo({ autoscalers: [hpa('old')], virtualServices: [vs('nginx')] }),
    { force: false },
    'istio nginx',
  ],
  [
    'another Deployment and an autoscaler: the other Deployment is named first',
    topo({ others: [dep('older')], autoscalers: [hpa('old')] }),
    { force: false },
    `refused 1: ${OTHERS_REFUSAL}`,
  ],
  [
    'another canary under way (its replicas baseline on the Deployment we take as stable)',
    topo({ canary: dep('old'), stable: dep('new', 1, baseline({ old: 1, new: 1 })) }),
    { force: true },
    'refused 1: service "nginx" is already being changed by canary new; finish it (kubectl canary promote new -n shop) or undo it (kubectl canary abort new -n shop) before starting canary old',
  ],
  [
    'another canary under way under Istio (named on the VirtualService, the route still split)',
    topo({
      canary: dep('newer'),
      stable: dep('new'),
      others: [dep('old')],
      virtualServices: [splitByNew],
    }),
    { mode: 'istio', force: false },
    'refused 1: service "nginx" is already being changed by canary new; finish it (kubectl canary promote new -n shop) or undo it (kubectl canary abort new -n shop) before starting canary newer',
  ],
  [
    'the same canary again under Istio is no other canary',
    topo({
      virtualServices: [splitByNew],
    }),
    { force: false },
    'istio nginx',
  ],
];

describe('canary decision (decideMode)', () => {
  for (const [what, t, flags, expected, warnings = []] of rows) {
    it(what, () => {
      const d = decideMode(t, flags);
      const got =
        d.mode === 'refused' ? `refused ${d.error.exitCode}: ${d.error.message}` : d.mode === 'istio' ? `istio ${d.virtualService.metadata?.name}` : 'replicas';
      assert.equal(got, expected);
      assert.deepEqual(d.mode === 'refused' ? [] : d.warnings, warnings);
    });
  }

  it('is pure: the same topology decides the same way and is not changed', () => {
    const t = topo({ autoscalers: [hpa('old')] });
    const before = structuredClone(t);
    assert.deepEqual(decideMode(t, { force: true }), decideMode(t, { force: true }));
    assert.deepEqual(t, before);
  });

  it('the usage refusal exits with the usage code', () => {
    const d = decideMode(topo({ virtualServices: [vs('a'), vs('b')] }), { force: false });
    assert.equal(d.mode === 'refused' && d.error.exitCode, ExitCode.usage);
  });
});

// What writing commands print with -o (shared/output/change.ts): the change documents' shapes, -o name,
// the lines for people kept off stdout, canary's split before and after, and a structural check over
// all six plugins' command trees: every command that takes --dry-run also takes -o.
import assert from 'node:assert/strict';
import Yargs from 'yargs';
import type { CommandContext } from '../../shared/context.js';
import { isGroup, type AnyCommand, type CommandNode } from '../../shared/cli/command.js';
import type { ApplyResult } from '../../shared/kube/plan.js';
import { appliedObjects, changeDocument, printChange, printObjects, workContext, type ChangeFormat } from '../../shared/output/change.js';
import { canaryChange } from '../../plugins/canary/change.js';
import type { IstioPlan } from '../../plugins/canary/istio.js';
import { toChange } from '../../plugins/canary/scale-steps.js';
import type { Topology } from '../../plugins/canary/topology.js';
import { Buffer, runInProcess } from '../support/buffers.js';
import { plugin as canary } from '../../plugins/canary/cli.js';
import { plugin as bluegreen } from '../../plugins/bluegreen/cli.js';
import { plugin as ingressHa } from '../../plugins/ingress-ha/cli.js';
import { plugin as meshvm } from '../../plugins/meshvm/cli.js';
import { plugin as meshremote } from '../../plugins/meshremote/cli.js';
import { plugin as trace } from '../../plugins/trace/cli.js';

const PLUGINS = [canary, bluegreen, ingressHa, meshvm, meshremote, trace];

function context(plugin = 'canary'): { ctx: CommandContext; stdout: Buffer; stderr: Buffer } {
  const stdout = new Buffer();
  const stderr = new Buffer();
  const ctx = { stdout, stderr, plugin } as unknown as CommandContext;
  return { ctx, stdout, stderr };
}

const deployment = (name: string, replicas: number) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'shop' },
  spec: { replicas },
});

const topology = (canaryReplicas: number, stableReplicas: number, vs?: object): Topology =>
  ({
    namespace: 'shop',
    canary: deployment('new-nginx', canaryReplicas),
    stable: deployment('old-nginx', stableReplicas),
    service: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'nginx', namespace: 'shop' } },
    others: [],
    autoscalers: [],
    virtualServices: vs ? [vs] : [],
  }) as unknown as Topology;

describe('change output: the documents writing commands print', () => {
  it('a change document: our apiVersion and kind, the command fields, then dryRun, changed and objects', () => {
    const doc = changeDocument('bluegreen', {
      kind: 'BlueGreenChange',
      fields: { operation: 'set', target: 'ingress.networking.k8s.io/echo' },
      dryRun: 'none',
      objects: [{ name: 'ingress.networking.k8s.io/echo', action: 'configured' }],
    });
    assert.deepEqual(doc, {
      apiVersion: 'bluegreen.traffic.kubectl-plugins.io/v1alpha1',
      kind: 'BlueGreenChange',
      operation: 'set',
      target: 'ingress.networking.k8s.io/echo',
      dryRun: 'none',
      changed: true,
      objects: [{ name: 'ingress.networking.k8s.io/echo', action: 'configured' }],
    });
    assert.deepEqual(Object.keys(doc).slice(0, 2), ['apiVersion', 'kind']);
  });

  it('changed is false when every object was unchanged or already gone', () => {
    const doc = changeDocument('meshremote', {
      kind: 'MeshRemoteUnlink',
      fields: {},
      dryRun: 'none',
      objects: [
        { name: 'secret/istio-remote-secret-r1', action: 'already gone', context: 'primary' },
        { name: 'serviceaccount/r1', action: 'unchanged', context: 'r1' },
      ],
    });
    assert.equal(doc.changed, false);
  });

  it('the objects of applied results carry the verb of their line (and the context when given)', () => {
    const results: ApplyResult[] = [
      {
        change: { action: 'patch', ref: { apiVersion: 'v1', kind: 'Node', name: 'node-a1' }, patch: {}, verb: 'labeled' },
        line: 'node/node-a1 labeled',
        verb: 'labeled',
      },
      {
        change: { action: 'delete', ref: { apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', name: 'details-vm', namespace: 'b' } },
        line: 'workloadentry.networking.istio.io/details-vm deleted (dry run)',
        verb: 'deleted',
      },
    ];
    assert.deepEqual(appliedObjects(results), [
      { name: 'node/node-a1', action: 'labeled' },
      { name: 'workloadentry.networking.istio.io/details-vm', action: 'deleted' },
    ]);
    assert.deepEqual(appliedObjects(results.slice(0, 1), 'remote1'), [{ name: 'node/node-a1', action: 'labeled', context: 'remote1' }]);
  });

  const change = {
    kind: 'IngressNodeChange',
    fields: { action: 'add', nodes: [{ node: 'node-a1', before: { ingress: false }, after: { ingress: true } }] },
    dryRun: 'client' as const,
    objects: [
      { name: 'node/node-a1', action: 'labeled' },
      { name: 'node/node-b1', action: 'unchanged' },
    ],
    lines: ['2 ingress nodes'],
  };

  for (const [format, expected] of [
    ['table', '2 ingress nodes\n'],
    ['name', 'node/node-a1\nnode/node-b1\n'],
  ] as [ChangeFormat, string][]) {
    it(`-o ${format} prints ${format === 'table' ? 'the summary lines' : 'the objects, kubectl-style, one a line'}`, async () => {
      const { ctx, stdout, stderr } = context('ingress-ha');
      await printChange(ctx, format, change);
      assert.equal(stdout.text, expected);
      assert.equal(stderr.text, '');
    });
  }

  it('-o json prints the document with four-space indent; -o yaml the same document; a dry run says so', async () => {
    const json = context('ingress-ha');
    await printChange(json.ctx, 'json', change);
    const doc = JSON.parse(json.stdout.text) as Record<string, unknown>;
    assert.equal(doc['apiVersion'], 'ingress-ha.traffic.kubectl-plugins.io/v1alpha1');
    assert.equal(doc['kind'], 'IngressNodeChange');
    assert.equal(doc['dryRun'], 'client');
    assert.equal(doc['changed'], true);
    assert.match(json.stdout.text, /^\{\n {4}"apiVersion"/);
    const yaml = context('ingress-ha');
    await printChange(yaml.ctx, 'yaml', change);
    assert.match(yaml.stdout.text, /^apiVersion: ingress-ha\.traffic\.kubectl-plugins\.io\/v1alpha1\nkind: IngressNodeChange\naction: add\n/);
    assert.match(yaml.stdout.text, /\ndryRun: client\nchanged: true\nobjects:\n {2}- name: node\/node-a1\n {4}action: labeled\n/);
  });

  it('printObjects: an ObjectList for -o json|yaml, names for -o name, nothing without -o', async () => {
    const objects = [deployment('a', 1), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'b' } }];
    const json = context('ingress-ha');
    await printObjects(json.ctx, 'json', objects);
    assert.deepEqual(JSON.parse(json.stdout.text), { apiVersion: 'ingress-ha.traffic.kubectl-plugins.io/v1alpha1', kind: 'ObjectList', items: objects });
    const name = context();
    await printObjects(name.ctx, 'name', objects);
    assert.equal(name.stdout.text, 'deployment.apps/a\nservice/b\n');
    const table = context();
    await printObjects(table.ctx, 'table', objects);
    assert.equal(table.stdout.text, '');
  });

  it('with -o, the work writes its lines to stderr; without, to stdout', () => {
    for (const format of ['json', 'yaml', 'name'] as const) {
      const { ctx, stdout, stderr } = context();
      workContext(ctx, format).stdout.write('deployment.apps/new-nginx scaled\n');
      assert.equal(stdout.text, '', format);
      assert.equal(stderr.text, 'deployment.apps/new-nginx scaled\n', format);
    }
    const { ctx } = context();
    assert.equal(workContext(ctx, 'table'), ctx);
  });
});

describe('change output: canary', () => {
  it('replicas mode: the replicas before and after, each Deployment scaled or unchanged', () => {
    const t = topology(1, 3);
    const plan = {
      canary: 2,
      stable: 2,
      steps: [
        { ref: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'new-nginx' }, name: 'new-nginx', from: 1, to: 2, patch: {} },
        { ref: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'old-nginx' }, name: 'old-nginx', from: 3, to: 2, patch: {} },
      ],
    };
    const changes = plan.steps.map((x) => toChange(x));
    const r = canaryChange('CanaryWeight', { t, plan, changes }, 'none', { requestedPercent: 50 }, ['canary new-nginx gets 50%']);
    assert.deepEqual(changeDocument('canary', r), {
      apiVersion: 'canary.traffic.kubectl-plugins.io/v1alpha1',
      kind: 'CanaryWeight',
      canary: 'new-nginx',
      stable: 'old-nginx',
      service: 'nginx',
      namespace: 'shop',
      mode: 'replicas',
      before: { replicas: { canary: 1, stable: 3 } },
      after: { replicas: { canary: 2, stable: 2 } },
      requestedPercent: 50,
      dryRun: 'none',
      changed: true,
      objects: [
        { name: 'deployment.apps/new-nginx', action: 'scaled' },
        { name: 'deployment.apps/old-nginx', action: 'scaled' },
      ],
    });
    const deleted = [{ ...plan.steps[1], to: 0, delete: true }];
    const promoted = canaryChange(
      'CanaryPromotion',
      { t, plan: { canary: 4, stable: 0, steps: deleted }, changes: deleted.map((x) => toChange(x)) },
      'server',
      {},
    );
    assert.deepEqual(promoted.objects, [
      { name: 'deployment.apps/old-nginx', action: 'deleted' },
      { name: 'deployment.apps/new-nginx', action: 'unchanged' },
    ]);
    const idle = canaryChange('CanaryAbort', { t, plan: { canary: 1, stable: 3, steps: [] }, changes: [] }, 'none', {});
    assert.equal(changeDocument('canary', idle).changed, false, 'a second run: nothing changed');
  });

  it('istio mode: the default route weights of both subsets before and after; the objects in the order written', () => {
    const vs = (canaryWeight: number) => ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'nginx', namespace: 'shop' },
      spec: {
        hosts: ['nginx'],
        http: [
          { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host: 'nginx', subset: 'canary' } }] },
          {
            route: [
              { destination: { host: 'nginx', subset: 'stable' }, weight: 100 - canaryWeight },
              { destination: { host: 'nginx', subset: 'canary' }, weight: canaryWeight },
            ],
          },
        ],
      },
    });
    const istio = {
      virtualService: vs(30),
      createRule: false,
      vsChanged: true,
      canarySubset: 'canary',
      stableSubset: 'stable',
      dropped: [],
    } as unknown as IstioPlan;
    // A promotion's order: the canary scaled up first, the route, then the stable scaled down.
    const scale = (name: string, from: number, to: number) =>
      toChange({ ref: { apiVersion: 'apps/v1', kind: 'Deployment', name, namespace: 'shop' }, name, from, to, patch: {} });
    const route = {
      action: 'patch' as const,
      ref: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', name: 'nginx' },
      patch: {},
      verb: 'configured',
    };
    const changes = [scale('new-nginx', 1, 2), route, scale('old-nginx', 1, 0)];
    const r = canaryChange('CanaryPromotion', { t: topology(1, 1, vs(0)), istio, changes }, 'client', {});
    assert.deepEqual(r.fields.before, { weights: { canary: 0, stable: 100 } });
    assert.deepEqual(r.fields.after, { weights: { canary: 30, stable: 70 } });
    assert.equal(r.fields.mode, 'istio');
    assert.deepEqual(r.fields.subsets, { canary: 'canary', stable: 'stable' });
    assert.deepEqual(r.objects, [
      { name: 'deployment.apps/new-nginx', action: 'scaled' },
      { name: 'virtualservice.networking.istio.io/nginx', action: 'configured' },
      { name: 'deployment.apps/old-nginx', action: 'scaled' },
    ]);
  });
});

/** Every command of a tree, with the words that choose it. */
function commands(nodes: CommandNode[], path: string[] = []): [string, AnyCommand][] {
  return nodes.flatMap((n): [string, AnyCommand][] =>
    isGroup(n) ? commands(n.subcommands, [...path, n.group]) : [[[...path, n.command.split(' ')[0]].join(' '), n]],
  );
}

/** The long names of the flags a command's builder declares. */
function flagsOf(spec: AnyCommand): string[] {
  const y = spec.builder ? spec.builder(Yargs([])) : Yargs([]);
  // yargs keeps what was declared in getOptions(), which its types leave out.
  return Object.keys((y as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key);
}

describe('change output: every command that can dry-run takes -o', () => {
  const all = PLUGINS.flatMap((p) => commands(p.commands).map(([name, spec]) => ({ plugin: p, name, spec })));
  const writers = all.filter((c) => flagsOf(c.spec).includes('dry-run'));

  it('finds the writing commands of all six plugins', () => {
    assert.ok(writers.length >= 20, `${writers.length} commands with --dry-run`);
    assert.deepEqual([...new Set(writers.map((w) => w.plugin.name))].sort(), ['bluegreen', 'canary', 'ingress-ha', 'meshremote', 'meshvm', 'trace']);
  });

  it('each of them declares -o/--output', () => {
    const missing = writers.filter((w) => !flagsOf(w.spec).includes('output')).map((w) => `${w.plugin.name} ${w.name}`);
    assert.deepEqual(missing, []);
  });

  it('each of them lists json in its help, and a format it does not take is refused before any request (exit 2, one line)', async () => {
    for (const w of writers) {
      const r = await runInProcess(w.plugin, [...w.name.split(' '), '--help']);
      assert.equal(r.code, 0, `${w.plugin.name} ${w.name} --help: ${r.stderr}`);
      assert.match(r.stdout, /-o, --output +Output format: .*json/, `${w.plugin.name} ${w.name}`);
    }
    const bad = await runInProcess(canary, ['promote', 'new-nginx', '-o', 'wide']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^error: unknown output format "wide": use one of json\|yaml\|name\n$/);
  });
});

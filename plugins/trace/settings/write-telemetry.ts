// Carrying out a Telemetry change (sampling, disable, enable at a scope) the careful way: observe,
// plan, work out what the sidecars in scope will get afterwards, refuse a change that would silently
// turn tracing off, say which more specific settings still win and what needs no restart, write once
// (re-read and re-planned on a conflict), and print the outcome.
import type { CommandContext } from '../../../shared/context.js';
import { CliError } from '../../../shared/errors.js';
import { type DryRun } from '../../../shared/kube/object.js';
import { retryOnConflict } from '../../../shared/kube/conflict.js';
import { executePlan } from '../../../shared/kube/plan.js';
import { MESH_DEFAULTS } from '../../../shared/istio/mesh-config.js';
import { telemetryName } from '../../../shared/istio/telemetry.js';
import type { OutputFormat } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { API_VERSION } from '../model.js';
import { effectiveTracing, planeFor, revisionOf, type EffectiveTracing, type SideTracing } from './effective.js';
import {
  listPodTemplates,
  listTelemetries,
  observeControlPlanes,
  type ControlPlane,
  type NamespaceInfo,
  type Observed,
  type PodTemplateOwner,
} from './observe.js';
import { planTelemetry, scopeText, selectorText, type Scope, type TelemetryPlan, type TracingEdit } from './plan-telemetry.js';
import { toScope, type ScopeArgs } from './scope.js';
import { counted } from '../../../shared/output/plural.js';

export interface WriteOptions extends ScopeArgs {
  dryRun: DryRun;
  output: OutputFormat;
  istioNamespace: string;
}

interface Snapshot {
  observed: Observed;
  plane: ControlPlane;
  scope: Scope;
  /** The namespaces (and, for a namespace or selector scope, workloads) whose tracing the change reaches. */
  reached: { ns: NamespaceInfo; workload?: PodTemplateOwner }[];
}

async function snapshot(ctx: CommandContext, o: WriteOptions): Promise<Snapshot> {
  const kube = ctx.kube();
  const scope = toScope(o, kube.namespace);
  const { planes, tags } = await observeControlPlanes(kube, o.istioNamespace);
  if (planes.length === 0) {
    throw new CliError(
      `no mesh config (ConfigMap istio or istio-<revision> with key "mesh") in namespace ${o.istioNamespace} (context "${kube.config.contextName}"); is Istio installed there? (--istio-namespace)`,
    );
  }
  const nsName = scope.level === 'mesh' ? undefined : scope.namespace;
  const [nsObj, namespaces, workloads] = await Promise.all([
    nsName ? kube.find({ apiVersion: 'v1', kind: 'Namespace', name: nsName }) : Promise.resolve(undefined),
    scope.level === 'mesh' ? kube.list('v1', 'Namespace') : Promise.resolve([]),
    nsName ? listPodTemplates(kube, nsName) : Promise.resolve([]),
  ]);
  if (nsName && !nsObj) throw new CliError(`namespace "${nsName}" not found (context "${kube.config.contextName}")`);
  const nsInfo = (n: { metadata?: { name?: string; labels?: Record<string, string> } }): NamespaceInfo => ({
    name: n.metadata?.name ?? '',
    labels: n.metadata?.labels ?? {},
  });
  const scopeNs = nsObj ? nsInfo(nsObj) : undefined;
  // Which revision's mesh config decides: --revision, else the scope namespace's, else the default.
  const revision = o.revision ?? (scopeNs ? revisionOf({}, scopeNs.labels, tags) : undefined);
  const plane = planeFor(planes, revision);
  if (!plane) {
    throw new CliError(
      `no mesh config for revision ${revision} in ${o.istioNamespace} (found: ${planes.map((p) => `${p.revision} (ConfigMap ${p.configMap.name})`).join(', ')}); choose one with --revision`,
    );
  }
  if (!o.revision && !scopeNs && planes.length > 1) {
    ctx.warn(
      `several control-plane revisions (${planes.map((p) => p.revision).join(', ')}); the change applies to all of them, checked against revision ${plane.revision}'s mesh config (--revision limits it)`,
    );
  }
  const root = plane.mesh.rootNamespace ?? MESH_DEFAULTS.rootNamespace;
  const telemetries = await listTelemetries(kube, [root, ...(nsName ? [nsName] : [])], (m) => ctx.warn(m));
  const observed: Observed = {
    istioNamespace: o.istioNamespace,
    planes,
    tags,
    telemetries,
    namespaces: scope.level === 'mesh' ? namespaces.map(nsInfo) : [scopeNs!],
    workloads,
  };
  const reached: Snapshot['reached'] =
    scope.level === 'mesh'
      ? observed.namespaces.filter((n) => revisionOf({}, n.labels, tags) !== undefined).map((ns) => ({ ns }))
      : scope.level === 'namespace'
        ? [{ ns: scopeNs! }, ...workloads.map((workload) => ({ ns: scopeNs!, workload }))]
        : workloads.filter((w) => Object.entries(scope.selector).every(([k, v]) => w.labels[k] === v)).map((workload) => ({ ns: scopeNs!, workload }));
  return { observed, plane, scope, reached };
}

/** "namespace a", "namespace a and 2 workloads", "3 namespaces and 1 workload". */
function many(rows: EffectiveTracing[]): string {
  const ns = rows.filter((r) => !r.workload);
  const wl = rows.length - ns.length;
  const nsText = ns.length === 0 ? '' : ns.length === 1 ? `namespace ${ns[0].namespace}` : `${ns.length} namespaces`;
  const wlText = wl === 0 ? '' : wl === 1 && !ns.length ? who(rows.find((r) => r.workload)!) : counted(wl, 'workload');
  return [nsText, wlText]
    .filter(Boolean)
    .join(' and its ')
    .replace(/^(\d+ namespaces) and its /, '$1 and ');
}

const who = (r: EffectiveTracing) => (r.workload ? `${r.namespace}/${r.workload}` : `namespace ${r.namespace}`);

/** What the sidecars in scope get after the change, and what still overrides it. */
function consequences(
  s: Snapshot,
  plan: TelemetryPlan,
  edit: TracingEdit,
): { after: EffectiveTracing[]; before: EffectiveTracing[]; warnings: string[]; refusal?: string } {
  const others = s.observed.telemetries.filter((t) => telemetryName(t) !== plan.target);
  const afterObserved: Observed = { ...s.observed, telemetries: [...others, plan.desired] };
  const before = s.reached.map((r) => effectiveTracing(s.observed, r.ns, r.workload));
  const after = s.reached.map((r) => effectiveTracing(afterObserved, r.ns, r.workload));
  const warnings: string[] = [];
  const ours = (v: { source: string } | undefined) => v?.source.startsWith(`Telemetry ${plan.target} `) ?? false;
  const sides = (e: EffectiveTracing): SideTracing[] => [e.client, e.server];
  let refusal: string | undefined;
  if (edit.disable !== true) {
    const off = after.filter((e) => e.injected && sides(e).some((x) => !x.enabled.value && x.enabled.source.startsWith('no provider')));
    const wasOn = off.filter((e) => {
      const b = before.find((x) => x.namespace === e.namespace && x.workload === e.workload);
      return b && sides(b).some((x) => x.enabled.value);
    });
    // Refuse to turn tracing off by accident, and to set sampling for a namespace or workloads where it cannot work.
    const targeted = s.scope.level !== 'mesh' && edit.sampling !== undefined ? off : [];
    const refused = wasOn.length ? wasOn : targeted;
    if (refused.length) {
      const names = s.plane.mesh.extensionProviders?.filter((p) => p.name).map((p) => p.name) ?? [];
      refusal =
        `this would leave ${many(refused)} without a tracing provider, which turns span reporting off: ` +
        `the mesh config has no defaultProviders.tracing, so a Telemetry must name one; pass --provider NAME${names.length ? ` (defined: ${names.join(', ')})` : ''}, ` +
        `or make one the default with kubectl trace enable --provider zipkin --service HOST --port N --default`;
    }
  }
  if (edit.sampling !== undefined) {
    const overridden = after.filter((e) => sides(e).some((x) => x.enabled.value && !ours(x.sampling)));
    for (const e of overridden.slice(0, 5)) {
      const x = sides(e).find((y) => !ours(y.sampling))!;
      warnings.push(`${who(e)} keeps ${x.sampling.value}% from ${x.sampling.source}, which is more specific`);
    }
    if (overridden.length > 5) warnings.push(`and ${overridden.length - 5} more keep their own sampling (kubectl trace status -A)`);
    const disabled = after.filter((e) => e.injected && sides(e).every((x) => !x.enabled.value) && !disabledByTarget(e, plan));
    for (const e of disabled.slice(0, 3))
      warnings.push(`${who(e)} reports no spans (${e.server.enabled.source}); sampling has no effect there until that changes`);
  }
  if (edit.disable === false) {
    const still = after.filter((e) => e.injected && sides(e).some((x) => !x.enabled.value));
    for (const e of still.slice(0, 5)) warnings.push(`${who(e)} still reports no spans: ${sides(e).find((x) => !x.enabled.value)!.enabled.source}`);
  }
  return { after, before, warnings, ...(refusal ? { refusal } : {}) };
}

function disabledByTarget(e: EffectiveTracing, plan: TelemetryPlan): boolean {
  return e.server.enabled.source.includes(`Telemetry ${plan.target} `);
}

function describeEdit(edit: TracingEdit): string {
  const parts: string[] = [];
  if (edit.sampling !== undefined) parts.push(`sampling ${edit.sampling}%`);
  if (edit.provider !== undefined) parts.push(`provider ${edit.provider}`);
  if (edit.disable === true) parts.push('span reporting off');
  if (edit.disable === false) parts.push('span reporting on');
  return parts.join(', ');
}

export async function writeTelemetry(ctx: CommandContext, o: WriteOptions, edit: TracingEdit): Promise<void> {
  let out: { s: Snapshot; plan: TelemetryPlan; c: ReturnType<typeof consequences> } | undefined;
  const data = o.output === 'json' || o.output === 'yaml';
  // With -o json|yaml the kubectl-style lines go to stderr, so stdout holds only the document.
  const lineCtx: CommandContext = data ? { ...ctx, stdout: ctx.stderr } : ctx;
  await retryOnConflict(async () => {
    const s = await snapshot(ctx, o);
    const plan = planTelemetry({
      scope: s.scope,
      edit,
      plane: s.plane,
      telemetries: s.observed.telemetries,
      revision: o.revision,
      name: o.name,
      plugin: ctx.plugin,
    });
    const c = consequences(s, plan, edit);
    if (c.refusal) throw new CliError(c.refusal);
    out = { s, plan, c };
    if (plan.changes.length === 0) {
      lineCtx.stdout.write(`telemetry.telemetry.istio.io/${plan.desired.metadata?.name} unchanged\n`);
      return;
    }
    await executePlan(lineCtx, plan.changes, o.dryRun);
  }, ctx);
  const { s, plan, c } = out!;
  for (const w of [...plan.warnings, ...c.warnings]) ctx.warn(w);
  const root = s.plane.mesh.rootNamespace ?? MESH_DEFAULTS.rootNamespace;
  const scopeLine = scopeText(s.scope, root);
  if (s.scope.level === 'workload' && s.reached.length === 0)
    ctx.warn(`no Deployment, StatefulSet or DaemonSet in namespace ${s.scope.namespace} has pod labels ${selectorText(s.scope.selector)} (yet)`);
  if (plan.changes.length && o.dryRun === 'none') {
    ctx.stderr.write(`${describeEdit(edit)} for ${scopeLine}: istiod pushes Telemetry changes to the sidecars, no pod restart needed\n`);
  }
  if (data) {
    const doc = {
      apiVersion: API_VERSION,
      kind: 'TracingChange',
      scope: s.scope,
      revision: o.revision ?? null,
      telemetry: plan.target,
      action: plan.changes.length === 0 ? 'unchanged' : plan.created ? 'created' : 'configured',
      dryRun: o.dryRun,
      edit,
      before: c.before,
      after: c.after,
      warnings: [...plan.warnings, ...c.warnings],
    };
    await print(ctx, o.output, { data: doc, rows: [], columns: [] });
  }
}

// kubectl trace status [-A]: for each namespace (and each workload whose settings differ), whether its
// sidecars report spans, to which provider, at what sampling, and where each value comes from.
import { defineCommand, bool } from '../../../shared/cli/command.js';
import { allNamespacesFlag, outputFlag, readOutput } from '../../../shared/cli/flags.js';
import { ALL_NAMESPACES } from '../../../shared/kube/object.js';
import { isDocumentFormat, TEMPLATE_FORMATS, type FormatName, type OutputFormat } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { istioNamespaceFlag, readIstioNamespace } from '../flags.js';
import { API_VERSION } from '../model.js';
import { planeSummary, tracingStatus, type EffectiveTracing, type SideTracing, type Value } from '../settings/effective.js';
import { observe } from '../settings/observe.js';

interface Options {
  allNamespaces: boolean;
  istioNamespace: string;
  output: OutputFormat;
}

const FORMATS: readonly FormatName[] = ['table', 'wide', 'json', 'yaml', ...TEMPLATE_FORMATS];
const AT_START = '†';

function pct(n: number): string {
  return `${Number(n.toFixed(2))}%`;
}

/** One text for both sides when they agree, "client X / server Y" when they do not. */
function both(e: EffectiveTracing, pick: (s: SideTracing) => string): string {
  const c = pick(e.client);
  const s = pick(e.server);
  return c === s ? c : `client ${c} / server ${s}`;
}

const mark = (v: Value<unknown> | undefined) => (v ? `${v.source}${v.atPodStart ? ` ${AT_START}` : ''}` : '');

export function tracingText(e: EffectiveTracing): string {
  const on = (s: SideTracing) => (s.enabled.value ? 'on' : 'off');
  if (!e.injected) return 'no sidecar';
  return both(e, on);
}

export const statusCommand = defineCommand<Options>({
  command: 'status',
  describe: 'Show the effective tracing of each namespace and of workloads that differ: provider, sampling, and where each value comes from',
  examples: [
    ['$0 status -n bookinfo', 'Tracing in namespace bookinfo, and the workloads set differently'],
    ['$0 status -A', 'Every namespace'],
    ['$0 status -A -o json', 'The same for scripts, with every source'],
  ],
  builder: (y) => istioNamespaceFlag(allNamespacesFlag(outputFlag(y, FORMATS))),
  options: (args) => ({ allNamespaces: bool(args, 'all-namespaces'), istioNamespace: readIstioNamespace(args), output: readOutput(args, FORMATS) }),
  run: async (ctx, o) => {
    const kube = ctx.kube();
    const observed = await observe(kube, o.istioNamespace, o.allNamespaces ? ALL_NAMESPACES : kube.namespace, (m) => ctx.warn(m));
    const rows = tracingStatus(observed);
    const planes = observed.planes.map(planeSummary);
    if (isDocumentFormat(o.output)) {
      await print(ctx, o.output, { data: { apiVersion: API_VERSION, kind: 'TracingStatus', controlPlanes: planes, items: rows }, rows: [], columns: [] });
      return;
    }
    if (planes.length === 0)
      ctx.warn(
        `no mesh config (ConfigMap istio or istio-<revision> with key "mesh") in namespace ${o.istioNamespace}; is Istio installed there? (--istio-namespace)`,
      );
    for (const p of planes) {
      const lines = [
        `Mesh config ${p.configMap} (revision ${p.revision})${p.managedBy ? `, managed by ${p.managedBy}` : ''}: enableTracing ${p.enableTracing}, root namespace ${p.rootNamespace}` +
          (p.istiod ? `, istiod PILOT_TRACE_SAMPLING ${p.pilotTraceSampling ?? 'unset (1%)'}` : ''),
        `  tracing providers: ${p.tracingProviders.length ? p.tracingProviders.map((x) => `${x.name} (${x.type} ${x.target})${p.defaultProviders[0]?.toLowerCase() === x.name.toLowerCase() ? ' [default]' : ''}`).join(', ') : 'none'}` +
          (p.defaultProviders.length && !p.tracingProviders.some((x) => x.name.toLowerCase() === p.defaultProviders[0].toLowerCase())
            ? `; defaultProviders.tracing names "${p.defaultProviders[0]}", which is not defined`
            : ''),
      ];
      ctx.stdout.write(lines.join('\n') + '\n');
    }
    if (planes.length) ctx.stdout.write('\n');
    await print(ctx, o.output, {
      data: null,
      rows,
      columns: [
        { header: 'Namespace', value: (r: EffectiveTracing) => r.namespace },
        { header: 'Workload', value: (r) => r.workload ?? '*' },
        { header: 'Revision', value: (r) => r.revision ?? '-' },
        { header: 'Tracing', value: (r) => tracingText(r) },
        // Without a sidecar nothing is traced: the values it would get stay in -o json.
        { header: 'Provider', value: (r) => (r.injected ? both(r, (s) => (s.enabled.value ? (s.provider?.value.split(' ')[0] ?? '-') : '-')) : '-') },
        { header: 'Sampling', value: (r) => (r.injected ? both(r, (s) => pct(s.sampling.value)) : '-') },
        { header: 'Sampling from', value: (r) => (r.injected ? both(r, (s) => mark(s.sampling)) : '-') },
        {
          header: 'Provider from',
          value: (r) =>
            r.injected
              ? both(r, (s) => (s.enabled.value ? mark(s.provider) : s.enabled.source))
              : 'no sidecar injection (label istio-injection=enabled or istio.io/rev)',
        },
        { header: 'Provider target', value: (r) => both(r, (s) => s.provider?.value ?? '-'), wide: true },
        { header: 'Notes', value: (r) => r.notes.join('; '), wide: true },
      ],
    });
    if (rows.some((r) => r.injected && [r.client, r.server].some((s) => s.sampling.atPodStart || s.provider?.atPodStart))) {
      ctx.stdout.write(`\n${AT_START} read by the sidecar when the pod starts: after changing it, restart the pods (kubectl rollout restart) to apply it\n`);
    }
    // A note about the mesh config repeats on every row it reaches: say it once.
    const notes = new Map<string, string[]>();
    for (const r of rows) for (const n of r.notes) notes.set(n, [...(notes.get(n) ?? []), `${r.namespace}${r.workload ? `/${r.workload}` : ''}`]);
    for (const [n, where] of notes) ctx.warn(`${where.length > 3 ? `${where.slice(0, 3).join(', ')} and ${where.length - 3} more` : where.join(', ')}: ${n}`);
  },
});

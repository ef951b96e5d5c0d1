// kubectl bluegreen status [<target>]: hosts, paths, backends with their share and ready endpoints
// (from EndpointSlices), preview, provider and warnings. Without a target, every Ingress, HTTPRoute and
// VirtualService with a split or preview in progress. Exits 1 when a backend gets traffic without a
// ready endpoint (after printing).
import { ExitCode } from '../../../shared/exit-codes.js';
import { bool, defineCommand, str } from '../../../shared/cli/command.js';
import { watchOutput, watchTimeout } from '../../../shared/cli/watch.js';
import type { CommandContext } from '../../../shared/context.js';
import { allNamespacesFlag, outputFlag, readOutput } from '../../../shared/cli/flags.js';
import { SilentExit } from '../../../shared/errors.js';
import { ALL_NAMESPACES, type KubeObject } from '../../../shared/kube/object.js';
import { TEMPLATE_FORMATS, type OutputFormat } from '../../../shared/output/format.js';
import { outputApiVersion } from '../../../shared/output/api.js';
import { print } from '../../../shared/output/print.js';
import { KINDS, type IngressClassLike } from '../detect.js';
import { PROVIDERS, type IngressLike } from '../model.js';
import { findTarget, parseTarget } from '../observe.js';
import { optionalList } from '../../../shared/kube/api-errors.js';
import { blueGreenViews, previewText, warningLines, type BlueGreenView } from '../status.js';
import { NAMES } from '../../../shared/commands/complete-names.js';
import { VIEW_METADATA, type Fields } from '../../../shared/kube/lean.js';
import type { EndpointSlice, Service } from '../../../shared/kube/types.js';
import type { VirtualService } from '../../../shared/istio/types.js';

const FORMATS = ['table', 'json', 'yaml', ...TEMPLATE_FORMATS] as const;

/** What blueGreenViews reads of Ingresses, Services and EndpointSlices: the lists keep only these as they are read. */
const FIELDS = {
  Ingress: { metadata: VIEW_METADATA, spec: true },
  Service: { metadata: VIEW_METADATA, spec: { ports: true, selector: true, type: true } },
  EndpointSlice: {
    metadata: VIEW_METADATA,
    addressType: true,
    ports: true,
    endpoints: { addresses: true, conditions: { ready: true }, targetRef: { kind: true, name: true, namespace: true } },
  },
} satisfies Record<string, Fields>;

interface Options {
  target?: string | undefined;
  allNamespaces: boolean;
  watch: boolean;
  watchTimeoutSeconds?: number | undefined;
  output: OutputFormat;
  provider?: string | undefined;
}

interface Row {
  view: BlueGreenView;
  host: string;
  path: string;
  service: string;
  weight: string;
  ready: string;
}

export const statusCommand = defineCommand<Options>({
  command: 'status [target]',
  completions: { target: NAMES.ingress },
  describe: 'Show hosts, paths, backends, weights, ready endpoints, provider and warnings (exit 1 when traffic goes to a Service without ready endpoints)',
  examples: [
    ['$0 status echo', 'Where mini-echo.io goes now'],
    ['$0 status -A -o json', 'Every blue-green in the cluster, for scripts'],
    ['$0 status echo -w', 'Keep watching while a switch rolls out'],
  ],
  builder: (y) =>
    allNamespacesFlag(outputFlag(y, FORMATS))
      .positional('target', { type: 'string', describe: 'An Ingress, HTTPRoute or VirtualService (default: all with a split or preview)' })
      .option('provider', { type: 'string', choices: [...PROVIDERS], describe: 'How to read the split (default: detected)' })
      .option('watch', { alias: 'w', type: 'boolean', default: false, describe: 'Keep watching: print again whenever something changes (Ctrl-C to stop)' })
      .option('watch-timeout', { type: 'number', hidden: true, describe: 'Seconds one watch request lasts before it is opened again' }),
  options: (args) => ({
    target: optionalTarget(str(args, 'target')),
    allNamespaces: bool(args, 'all-namespaces'),
    watch: bool(args, 'watch'),
    watchTimeoutSeconds: watchTimeout(args),
    output: readOutput(args, FORMATS),
    provider: str(args, 'provider'),
  }),
  run: async (ctx, o) => (o.watch ? watchOutput(ctx, (c) => showStatus(c, o), { timeoutSeconds: o.watchTimeoutSeconds }) : showStatus(ctx, o)),
});

/** A target's kind or name mistake is a usage error before the cluster is asked. */
function optionalTarget(v: string | undefined): string | undefined {
  if (v !== undefined) parseTarget(v);
  return v;
}

async function showStatus(ctx: CommandContext, o: Options): Promise<void> {
  const kube = ctx.kube();
  const namespace = o.target || !o.allNamespaces ? kube.namespace : ALL_NAMESPACES;
  const list = <T extends KubeObject>(kind: keyof typeof KINDS) => optionalList(kube.list<T>(KINDS[kind], kind, { namespace, lean: true }));
  // A few paginated lists, whatever the number of objects: no request per object.
  const [named, ingresses, routes, vss, services, slices, classes] = await Promise.all([
    o.target ? findTarget(kube, kube.namespace, o.target, o.provider) : Promise.resolve(undefined),
    kube.list<IngressLike>(KINDS.Ingress, 'Ingress', { namespace, fields: FIELDS.Ingress }),
    o.target ? Promise.resolve([]) : list('HTTPRoute'),
    o.target ? Promise.resolve([]) : list<VirtualService>('VirtualService'),
    kube.list<Service>('v1', 'Service', { namespace, fields: FIELDS.Service }),
    kube.list<EndpointSlice>('discovery.k8s.io/v1', 'EndpointSlice', { namespace, fields: FIELDS.EndpointSlice }),
    optionalList(kube.list<IngressClassLike>('networking.k8s.io/v1', 'IngressClass'), true),
  ]);
  // Listed objects carry their namespace; a copy only for one that does not (copying all 32,000 of a 10,000-Ingress bench cost 6 MB at peak).
  const withNs = <T extends KubeObject>(xs: T[]) =>
    xs.map((x) => (x.metadata?.namespace ? x : { ...x, metadata: { ...x.metadata, namespace: kube.namespace } }));
  const targets = named ? withNs([named]) : withNs([...ingresses, ...routes, ...vss.filter((v) => (v.spec?.gateways ?? []).length > 0)]);
  const views = blueGreenViews(
    { targets, ingresses: withNs(ingresses), services: withNs(services), slices: withNs(slices), classes, provider: o.provider },
    Boolean(named),
  );
  if (views.length === 0 && o.output === 'table') {
    ctx.stderr.write(
      `No blue-green routes found${o.allNamespaces ? '' : ` in namespace "${kube.namespace}"`} (an object is listed once it has two backends or a preview)\n`,
    );
    return;
  }
  const rows: Row[] = views.flatMap((view) =>
    view.slots.flatMap((s) => [
      ...s.backends.map((b) => ({ view, host: s.host, path: s.path, service: b.service, weight: `${b.percent}%`, ready: String(b.ready) })),
      ...(s.preview ? [{ view, host: s.host, path: s.path, service: s.preview.service, weight: previewText(s.preview), ready: String(s.preview.ready) }] : []),
    ]),
  );
  await print(ctx, o.output, {
    data: { apiVersion: outputApiVersion('bluegreen'), kind: 'BlueGreenStatusList', items: views },
    rows,
    columns: [
      ...(o.allNamespaces ? [{ header: 'Namespace', value: (r: Row) => r.view.namespace }] : []),
      { header: 'Name', value: (r: Row) => `${r.view.kind.toLowerCase()}/${r.view.name}` },
      { header: 'Provider', value: (r: Row) => r.view.provider },
      { header: 'Host', value: (r: Row) => r.host },
      { header: 'Path', value: (r: Row) => r.path },
      { header: 'Service', value: (r: Row) => r.service },
      { header: 'Weight', value: (r: Row) => r.weight },
      { header: 'Ready', value: (r: Row) => r.ready },
    ],
  });
  for (const line of warningLines(views)) ctx.warn(line);
  const errors = views.flatMap((v) => v.errors.map((e) => `${v.kind.toLowerCase()}/${v.name}: ${e}`));
  for (const e of errors) ctx.stderr.write(`${ctx.paint('red', 'error:')} ${e}\n`);
  if (errors.length) throw new SilentExit(ExitCode.failure);
}

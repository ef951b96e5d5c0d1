// kubectl trace enable --provider zipkin|opentelemetry --service HOST --port N [--default]: a tracing
// extension provider in the mesh config (every other field kept, revision-aware).
// kubectl trace enable [-n NS | --selector k=v | --mesh-wide]: report spans again where `disable` stopped them.
import { bool, defineCommand, scalarText, str } from '../../../shared/cli/command.js';
import { dryRunFlag, outputFlag, readDryRun, readOutput } from '../../../shared/cli/flags.js';
import type { CommandContext } from '../../../shared/context.js';
import { CliError, UsageError } from '../../../shared/errors.js';
import { retryOnConflict } from '../../../shared/kube/conflict.js';
import { executePlan } from '../../../shared/kube/plan.js';
import { meshConfigManager, type MeshConfig } from '../../../shared/istio/mesh-config.js';
import type { FormatName } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { dnsLabel, hostName, httpPath, port as parsePort } from '../../../shared/validate.js';
import { istioNamespaceFlag, readIstioNamespace } from '../flags.js';
import { API_VERSION } from '../model.js';
import { observeControlPlanes, type ControlPlane } from '../settings/observe.js';
import { PROVIDER_TYPES, planProvider, type ProviderPlan, type ProviderSpec, type ProviderType } from '../settings/plan-provider.js';
import { readScope, scopeFlags } from '../settings/scope.js';
import { writeTelemetry, type WriteOptions } from '../settings/write-telemetry.js';

interface Options extends WriteOptions {
  provider?: ProviderSpec | undefined;
}

const FORMATS: readonly FormatName[] = ['table', 'json', 'yaml'];

/** The Service a provider's host names, when it names one in the cluster: name.ns[.svc[.cluster.local]] or ns/name. */
export function serviceOfHost(service: string): { namespace: string; name: string } | undefined {
  const [nsPart, host] = service.includes('/') ? service.split('/') : [undefined, service];
  const labels = host.split('.');
  if (labels.length >= 2 && (labels.length === 2 || labels[2] === 'svc')) return { name: labels[0], namespace: labels[1] };
  if (labels.length === 1 && nsPart && nsPart !== '*' && nsPart !== '.' && nsPart !== '~') return { name: labels[0], namespace: nsPart };
  return undefined;
}

export const enableCommand = defineCommand<Options>({
  command: 'enable',
  describe: 'Add a tracing provider (Zipkin or OpenTelemetry collector) to the mesh config, or report spans again where disable stopped them',
  examples: [
    [
      '$0 enable --provider zipkin --service zipkin.istio-system.svc.cluster.local --port 9411 --default',
      "Send spans to Jaeger's (or Zipkin's) Zipkin endpoint, mesh-wide",
    ],
    [
      '$0 enable --provider opentelemetry --name otel --service jaeger-collector.istio-system.svc.cluster.local --port 4317',
      'An OTLP/gRPC provider, used where a Telemetry names it',
    ],
    ['$0 enable -n load-test', 'Report spans again in namespace load-test'],
  ],
  builder: (y) =>
    istioNamespaceFlag(scopeFlags(dryRunFlag(outputFlag(y, FORMATS))))
      .option('provider', { type: 'string', choices: [...PROVIDER_TYPES], describe: 'Add or update a provider of this type (with --service and --port)' })
      .option('service', { type: 'string', describe: 'Where the provider sends spans: HOST or NAMESPACE/HOST (e.g. zipkin.istio-system.svc.cluster.local)' })
      .option('port', { type: 'string', describe: 'Its port (Zipkin 9411, OTLP gRPC 4317, OTLP HTTP 4318)' })
      .option('path', {
        type: 'string',
        describe: 'zipkin: the collector path (default /api/v2/spans); opentelemetry: send OTLP over HTTP to this path (e.g. /v1/traces) instead of gRPC',
      })
      .option('default', { type: 'boolean', default: false, describe: 'Make it the mesh default tracing provider (defaultProviders.tracing)' }),
  options: (args) => {
    const type = str(args, 'provider') as ProviderType | undefined;
    const service = str(args, 'service');
    const rawPort = args['port'];
    const scope = readScope(args);
    const base = { ...scope, dryRun: readDryRun(args), output: readOutput(args, FORMATS), istioNamespace: readIstioNamespace(args) };
    if (!type && !service && rawPort === undefined) {
      if (bool(args, 'default') || str(args, 'path') !== undefined) throw new UsageError('--default and --path go with --provider, --service and --port');
      return base;
    }
    if (!type || !service || rawPort === undefined)
      throw new UsageError('adding a provider needs all of --provider zipkin|opentelemetry, --service HOST and --port N');
    if (scope.selector || scope.meshWide)
      throw new UsageError(
        'a provider is defined for the whole mesh config: --selector and --mesh-wide do not apply (use --default, or kubectl trace sampling --provider)',
      );
    const path = str(args, 'path');
    if (path !== undefined) httpPath(path, '--path');
    checkService(service);
    const name = scope.name ?? type;
    return {
      ...base,
      name: undefined,
      provider: { type, name, service, port: parsePort(scalarText(rawPort), '--port'), path, makeDefault: bool(args, 'default') },
    };
  },
  run: async (ctx, o) => (o.provider ? enableProvider(ctx, o, o.provider) : writeTelemetry(ctx, o, { disable: false })),
});

/** --service: HOST or NAMESPACE/HOST, e.g. zipkin.istio-system.svc.cluster.local. */
function checkService(value: string): void {
  const i = value.indexOf('/');
  if (i >= 0) dnsLabel(value.slice(0, i), '--service namespace');
  hostName(value.slice(i + 1), '--service');
}

function choosePlane(planes: ControlPlane[], revision: string | undefined, ns: string): ControlPlane {
  if (planes.length === 0)
    throw new CliError(
      `no mesh config (ConfigMap istio or istio-<revision> with key "mesh") in namespace ${ns}; is Istio installed there? (--istio-namespace)`,
    );
  if (revision) {
    const p = planes.find((x) => x.revision === revision);
    if (!p) throw new CliError(`no mesh config for revision ${revision} in ${ns} (found: ${planes.map((x) => x.revision).join(', ')})`);
    return p;
  }
  if (planes.length > 1) {
    throw new CliError(
      `${planes.length} control-plane revisions have their own mesh config (${planes.map((x) => `${x.revision}: ConfigMap ${x.configMap.name}`).join(', ')}); choose one with --revision (run once per revision to change each)`,
    );
  }
  return planes[0];
}

async function enableProvider(ctx: CommandContext, o: Options, spec: ProviderSpec): Promise<void> {
  const kube = ctx.kube();
  const data = o.output === 'json' || o.output === 'yaml';
  const lineCtx: CommandContext = data ? { ...ctx, stdout: ctx.stderr } : ctx;
  let out: { plane: ControlPlane; plan: ProviderPlan } | undefined;
  await retryOnConflict(async () => {
    const { planes } = await observeControlPlanes(kube, o.istioNamespace);
    const plane = choosePlane(planes, o.revision, o.istioNamespace);
    const plan = planProvider(plane, spec);
    out = { plane, plan };
    if (plan.changes.length === 0) {
      lineCtx.stdout.write(`configmap/${plane.configMap.name} unchanged\n`);
      return;
    }
    await executePlan(lineCtx, plan.changes, o.dryRun);
  }, ctx);
  const { plane, plan } = out!;
  const warnings = [...plan.warnings];
  const mgr = meshConfigManager(plane.configMap.meta);
  if (mgr && plan.changes.length) warnings.push(`ConfigMap ${plane.configMap.namespace}/${plane.configMap.name} is managed by ${mgr.detail}`);
  const svc = serviceOfHost(spec.service);
  if (svc && !(await kube.find({ apiVersion: 'v1', kind: 'Service', name: svc.name, namespace: svc.namespace }))) {
    warnings.push(`service ${svc.namespace}/${svc.name} does not exist (yet): sidecars cannot send spans to ${spec.service}:${spec.port} until it does`);
  }
  if (!spec.makeDefault && !isDefault(plan.mesh, spec.name)) {
    warnings.push(
      `nothing sends spans to ${spec.name} yet: make it the default (--default) or name it in a Telemetry (kubectl trace sampling N --provider ${spec.name})`,
    );
  }
  for (const w of warnings) ctx.warn(w);
  if (plan.changes.length && o.dryRun === 'none') {
    ctx.stderr.write(
      `provider ${spec.name} ${plan.action} in ConfigMap ${plane.configMap.namespace}/${plane.configMap.name} (revision ${plane.revision}): istiod reloads the mesh config (within about a minute when it is mounted as a file) and pushes it; no pod restart needed\n`,
    );
  }
  if (data) {
    const doc = {
      apiVersion: API_VERSION,
      kind: 'TracingProviderChange',
      revision: plane.revision,
      configMap: `${plane.configMap.namespace}/${plane.configMap.name}`,
      action: plan.action,
      dryRun: o.dryRun,
      provider: plan.mesh.extensionProviders?.find((p) => p.name.toLowerCase() === spec.name.toLowerCase()),
      defaultProviders: plan.mesh.defaultProviders?.tracing ?? [],
      warnings,
    };
    await print(ctx, o.output, { data: doc, rows: [], columns: [] });
  }
}

function isDefault(mesh: MeshConfig, name: string): boolean {
  return (mesh.defaultProviders?.tracing ?? [])[0]?.toLowerCase() === name.toLowerCase();
}

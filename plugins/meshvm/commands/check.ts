// kubectl meshvm check [<service>] [--bootstrap DIR [--connect]]: is the mesh ready for VMs, and will a
// bundle work? PASS/WARN/FAIL per rule, with the fix. --connect does what a VM does first: a TLS
// handshake with istiod at the address in the hosts file, verified by root-cert.pem, and a certificate
// from istiod's CA with the token. --offline leaves the Kubernetes API alone (run it on the VM).
// Exit codes: 0 nothing failed (warnings allowed), 3 a rule failed (with --strict a warning too),
// 1 the check could not run, 2 usage.
import { ExitCode } from '../../../shared/exit-codes.js';
import { bool, defineCommand, str } from '../../../shared/cli/command.js';
import { outputFlag, readOutput, readTimeout, timeoutFlag } from '../../../shared/cli/flags.js';
import type { CommandContext } from '../../../shared/context.js';
import { KubeApiError, SilentExit, UsageError, ValidationError } from '../../../shared/errors.js';
import type { Kube } from '../../../shared/kube/client.js';
import { findEastWestService } from '../../../shared/istio/eastwest.js';
import { NETWORKING_V1, selectorMatches, type ServiceEntry, type WorkloadEntry, type WorkloadGroup } from '../../../shared/istio/workload.js';
import { isDocumentFormat, TEMPLATE_FORMATS, type FormatName, type OutputFormat } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { dnsLabel, ipAddress, port, serviceName } from '../../../shared/validate.js';
import { readBundle, type Bundle } from '../bundle.js';
import { checkExit, checkVerdicts, type CheckInput, type ClusterFacts, type Verdict } from '../check-rules.js';
import { ISTIO_NAMESPACE, istioMissing, readAll, requireNamespace, ROOT_CERT_CONFIGMAP, ROOT_CERT_KEY } from '../cluster.js';
import { requestCertificate, tlsHandshake, type Target } from '../connect.js';
import { ISTIOD_GATEWAY, virtualServiceName } from '../expose-plan.js';
import { API_VERSION } from '../output.js';
import { ISTIO_CA_AUDIENCE } from '../token.js';
import type { ConfigMap, Service } from '../../../shared/kube/types.js';
import type { Gateway, VirtualService } from '../../../shared/istio/types.js';

interface Options {
  service?: string | undefined;
  bootstrap?: string | undefined;
  connect: boolean;
  offline: boolean;
  istiodAddress?: { host: string; port: number } | undefined;
  timeoutMs: number;
  strict: boolean;
  istioNamespace: string;
  revision?: string | undefined;
  output: OutputFormat;
}

const OUTPUTS: readonly FormatName[] = ['table', 'wide', 'json', 'yaml', ...TEMPLATE_FORMATS];

export const checkCommand = defineCommand<Options>({
  command: 'check [service]',
  describe: `Is the mesh ready for VMs, and will a bundle work? PASS/WARN/FAIL with fixes (exit ${ExitCode.gateFailed} on a FAIL)`,
  examples: [
    ['$0 -n bookinfo check', 'The east-west gateway, istiod exposed, every VM selected by a Service, identities'],
    ['$0 -n bookinfo check details', 'Only the VMs behind details'],
    ['$0 -n bookinfo check --bootstrap ./vm-details --connect', 'The bundle agrees with the cluster, and istiod answers it as it will answer the VM'],
    ['$0 check --bootstrap /root/vm --connect --offline', 'On the VM itself, without a kubeconfig'],
  ],
  builder: (y) =>
    timeoutFlag(outputFlag(y, OUTPUTS), '10s')
      .positional('service', { type: 'string', describe: 'Only the VMs behind this Service (or ServiceEntry)' })
      .option('bootstrap', { type: 'string', describe: 'Also check the bundle in this directory (what bootstrap wrote)' })
      .option('connect', {
        type: 'boolean',
        default: false,
        describe: "With --bootstrap: reach istiod with the bundle, as the VM will (TLS, then a certificate from istiod's CA)",
      })
      .option('offline', { type: 'boolean', default: false, describe: 'Do not contact the Kubernetes API: check only the bundle (and istiod with --connect)' })
      .option('istiod-address', {
        type: 'string',
        describe: "With --connect: HOST:PORT to reach istiod at instead of the hosts file's address (still verified as istiod)",
      })
      .option('strict', { type: 'boolean', default: false, describe: `Exit ${ExitCode.gateFailed} on warnings too` })
      .option('istio-namespace', { type: 'string', default: ISTIO_NAMESPACE, describe: 'Where istiod and the east-west gateway run' })
      .option('revision', { type: 'string', describe: 'The istiod revision VMs join' }),
  options: (args) => {
    const service = str(args, 'service');
    const bootstrap = str(args, 'bootstrap');
    const connect = bool(args, 'connect');
    const offline = bool(args, 'offline');
    if (connect && !bootstrap) throw new UsageError('--connect needs --bootstrap DIR (the files the VM would use)');
    if (offline && !bootstrap) throw new UsageError('--offline checks a bundle only: give --bootstrap DIR');
    if (offline && service) throw new UsageError('--offline checks no services: leave <service> out');
    const addr = str(args, 'istiod-address');
    if (addr !== undefined && !connect) throw new UsageError('--istiod-address goes with --connect');
    const revision = str(args, 'revision');
    return {
      service: service === undefined ? undefined : serviceName(service),
      bootstrap,
      connect,
      offline,
      istiodAddress: addr === undefined ? undefined : hostPort(addr),
      timeoutMs: readTimeout(args) || 10_000,
      strict: bool(args, 'strict'),
      istioNamespace: dnsLabel(str(args, 'istio-namespace') ?? ISTIO_NAMESPACE, '--istio-namespace'),
      revision: revision === undefined || revision === 'default' ? undefined : dnsLabel(revision, '--revision'),
      output: readOutput(args, OUTPUTS),
    };
  },
  run: async (ctx, o) => {
    const bundle = o.bootstrap ? readBundle(o.bootstrap) : undefined;
    const cluster = o.offline ? undefined : await observe(ctx.kube(), o, bundle);
    const input: CheckInput = { cluster, bundle, now: ctx.clock.now() };
    if (o.connect && bundle) input.connect = await connect(o, bundle);
    const verdicts = checkVerdicts(input);
    await report(ctx, o, verdicts, cluster?.namespace);
    const code = checkExit(verdicts, o.strict);
    if (code) throw new SilentExit(code);
  },
});

function hostPort(v: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(v);
  if (!m) throw new ValidationError(`--istiod-address "${v}" must be HOST:PORT ([IPv6]:PORT)`);
  const host = m[1] ?? m[2];
  if (m[1]) ipAddress(m[1], '--istiod-address');
  return { host, port: port(m[3], '--istiod-address port') };
}

async function connect(o: Options, b: Bundle): Promise<CheckInput['connect']> {
  const servername = b.discovery?.host ?? 'istiod.istio-system.svc';
  const address = o.istiodAddress?.host ?? b.hosts.get(servername)?.[0];
  if (!address || !b.files['root-cert.pem'])
    return {
      tls: {
        ok: false,
        detail: !address ? `no address to reach ${servername} at: hosts does not map it (or give --istiod-address)` : 'no root-cert.pem to verify istiod with',
      },
    };
  const t: Target = {
    address,
    port: o.istiodAddress?.port ?? b.discovery?.port ?? 15012,
    servername,
    rootCert: b.files['root-cert.pem'],
    timeoutMs: o.timeoutMs,
  };
  const tls = await tlsHandshake(t);
  if (!tls.ok || !b.files['istio-token']) return { tls };
  return { tls, ca: await requestCertificate(t, { token: b.files['istio-token'], clusterID: b.env['ISTIO_META_CLUSTER_ID'] }) };
}

/** An Istio kind the cluster may not serve: undefined then, told apart from an empty list. */
async function istioList<T>(p: Promise<T[]>, kind: string): Promise<T[] | undefined> {
  try {
    return await p;
  } catch (err) {
    if (istioMissing(err, { apiVersion: NETWORKING_V1, kind })) return undefined;
    throw err;
  }
}

async function observe(kube: Kube, o: Options, bundle: Bundle | undefined): Promise<ClusterFacts> {
  const namespace = dnsLabel(kube.namespace, 'namespace');
  const ns = { namespace };
  const istio = { namespace: o.istioNamespace };
  const injector = o.revision ? `istio-sidecar-injector-${o.revision}` : 'istio-sidecar-injector';
  const [, entries, groups, serviceEntries, services, istioServices, serviceAccounts, rootCM, gateway, virtualService, injectorCM, tokenReview] = await readAll(
    [
      requireNamespace(kube, namespace),
      istioList(kube.list<WorkloadEntry>(NETWORKING_V1, 'WorkloadEntry', ns), 'WorkloadEntry'),
      istioList(kube.list<WorkloadGroup>(NETWORKING_V1, 'WorkloadGroup', ns), 'WorkloadGroup'),
      istioList(kube.list<ServiceEntry>(NETWORKING_V1, 'ServiceEntry', ns), 'ServiceEntry'),
      kube.list<Service>('v1', 'Service', ns),
      kube.list<Service>('v1', 'Service', istio).catch(() => [] as Service[]),
      kube.list('v1', 'ServiceAccount', ns),
      kube.find<ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', name: ROOT_CERT_CONFIGMAP, namespace }),
      kube.find<Gateway>({ apiVersion: NETWORKING_V1, kind: 'Gateway', name: ISTIOD_GATEWAY, namespace: o.istioNamespace }).catch(() => undefined),
      kube
        .find<VirtualService>({ apiVersion: NETWORKING_V1, kind: 'VirtualService', name: virtualServiceName(o.revision), namespace: o.istioNamespace })
        .catch(() => undefined),
      bundle ? kube.find<ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', name: injector, namespace: o.istioNamespace }) : Promise.resolve(undefined),
      bundle?.files['istio-token'] ? reviewToken(kube, bundle.files['istio-token']) : Promise.resolve(undefined),
    ] as const,
  );
  let clusterID: string | undefined;
  try {
    const values = JSON.parse(injectorCM?.data?.['values'] ?? 'null') as { global?: { multiCluster?: { clusterName?: string } } } | null;
    clusterID = values ? (values.global?.multiCluster?.clusterName ?? '') : undefined;
  } catch {
    clusterID = undefined;
  }
  let scoped = entries ?? [];
  let scopedServices = services;
  let scopedEntries = serviceEntries ?? [];
  if (o.service) {
    const svc = services.find((s) => s.metadata?.name === o.service);
    const se = scopedEntries.find((s) => s.metadata?.name === o.service);
    if (!svc && !se) throw new KubeApiError(`service ${o.service} not found in namespace ${namespace} (neither a Service nor a ServiceEntry)`, 404, 'NotFound');
    scoped = scoped.filter(
      (we) =>
        selectorMatches(svc?.spec?.selector, we.spec?.labels ?? we.metadata?.labels) || selectorMatches(se?.spec?.workloadSelector?.labels, we.spec?.labels),
    );
    scopedServices = svc ? [svc] : [];
    scopedEntries = se ? [se] : [];
  }
  return {
    namespace,
    istioNamespace: o.istioNamespace,
    revision: o.revision,
    crds: entries !== undefined && groups !== undefined,
    rootCert: rootCM?.data?.[ROOT_CERT_KEY],
    eastwest: findEastWestService(istioServices),
    gateway,
    virtualService,
    entries: scoped,
    groups: o.service ? [] : (groups ?? []),
    services: scopedServices,
    serviceEntries: scopedEntries,
    serviceAccounts: new Set(serviceAccounts.map((s) => s.metadata?.name ?? '')),
    clusterID,
    tokenReview,
    service: o.service,
  };
}

/** TokenReview for audience istio-ca, as istiod's authenticator makes it; undefined when we may not ask. */
async function reviewToken(kube: Kube, token: string): Promise<{ authenticated: boolean; error?: string } | undefined> {
  try {
    const r = await kube.call<{ status?: { authenticated?: boolean; error?: string } }>(
      { verb: 'create', resource: 'tokenreviews.authentication.k8s.io' },
      {
        method: 'POST',
        path: '/apis/authentication.k8s.io/v1/tokenreviews',
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: token.trim(), audiences: [ISTIO_CA_AUDIENCE] } },
      },
    );
    return { authenticated: r.status?.authenticated === true, ...(r.status?.error ? { error: r.status.error } : {}) };
  } catch (err) {
    if (err instanceof KubeApiError && (err.status === 403 || err.status === 404)) return undefined;
    throw err;
  }
}

async function report(ctx: CommandContext, o: Options, verdicts: Verdict[], namespace: string | undefined): Promise<void> {
  const count = (s: Verdict['status']) => verdicts.filter((v) => v.status === s).length;
  const summary = { pass: count('PASS'), warn: count('WARN'), fail: count('FAIL') };
  const status = (v: Verdict) => (ctx.color ? ctx.paint(v.status === 'PASS' ? 'green' : v.status === 'WARN' ? 'yellow' : 'red', v.status) : v.status);
  if (isDocumentFormat(o.output)) {
    await print(ctx, o.output, {
      data: { apiVersion: API_VERSION, kind: 'VMCheck', namespace, bundle: o.bootstrap, summary, items: verdicts },
      rows: [],
      columns: [],
    });
    return;
  }
  await print(ctx, o.output, {
    data: undefined,
    rows: verdicts,
    columns: [
      { header: 'Status', value: status },
      { header: 'Rule', value: (v: Verdict) => v.rule },
      { header: 'Reason', value: (v: Verdict) => v.reason },
      { header: 'Fix', value: (v: Verdict) => v.fix, wide: true },
    ],
  });
  const todo = verdicts.filter((v) => v.status !== 'PASS');
  if (todo.length && o.output === 'table') ctx.stdout.write(`\nTo fix:\n${todo.map((v) => `  ${v.rule}: ${v.fix}`).join('\n')}\n`);
  ctx.stdout.write(`\n${summary.pass} passed, ${summary.warn} warned, ${summary.fail} failed\n`);
}

// kubectl meshvm expose-istiod: let VMs reach istiod through the east-west gateway (15012 for xDS and
// certificates, 15017 for webhooks, TLS passed through), what `kubectl apply -f
// samples/multicluster/expose-istiod.yaml` does, refused with the install command when there is no
// east-west gateway to expose it on.
import { defineCommand, str } from '../../../shared/cli/command.js';
import { dryRunFlag, readDryRun } from '../../../shared/cli/flags.js';
import { CliError } from '../../../shared/errors.js';
import type { DryRun } from '../../../shared/kube/object.js';
import { executePlan } from '../../../shared/kube/plan.js';
import { EASTWEST_INSTALL_HINT, externalAddress, findEastWestService, gatewaySelector } from '../../../shared/istio/eastwest.js';
import { NETWORKING_V1 } from '../../../shared/istio/workload.js';
import { changeOutputFlag, printObjects, readChangeOutput, type ChangeFormat } from '../../../shared/output/change.js';
import { dnsLabel } from '../../../shared/validate.js';
import { findObject, ISTIO_NAMESPACE, readAll, requireNamespace } from '../cluster.js';
import { ISTIOD_GATEWAY, ISTIOD_PORTS, planExpose, virtualServiceName } from '../expose-plan.js';
import type { Service } from '../../../shared/kube/types.js';
import type { Gateway, VirtualService } from '../../../shared/istio/types.js';

interface Options {
  revision?: string | undefined;
  istioNamespace: string;
  dryRun: DryRun;
  output: ChangeFormat;
}

export const exposeIstiodCommand = defineCommand<Options>({
  command: 'expose-istiod',
  describe: "Expose istiod to VMs on the east-west gateway (15012 and 15017, TLS passthrough), as Istio's expose-istiod sample",
  examples: [
    ['$0 expose-istiod', 'Gateway istiod-gateway and VirtualService istiod-vs in istio-system'],
    ['$0 expose-istiod --revision canary', 'For the istiod of revision canary (istiod-vs-canary)'],
    ['$0 expose-istiod --dry-run=client', 'Print them instead'],
  ],
  builder: (y) =>
    changeOutputFlag(dryRunFlag(y))
      .option('revision', { type: 'string', describe: 'The istiod revision to expose' })
      .option('istio-namespace', { type: 'string', default: ISTIO_NAMESPACE, describe: 'Where istiod and the east-west gateway run' }),
  options: (args) => {
    const revision = str(args, 'revision');
    return {
      revision: revision === undefined || revision === 'default' ? undefined : dnsLabel(revision, '--revision'),
      istioNamespace: dnsLabel(str(args, 'istio-namespace') ?? ISTIO_NAMESPACE, '--istio-namespace'),
      dryRun: readDryRun(args),
      output: readChangeOutput(args),
    };
  },
  run: async (ctx, o) => {
    const kube = ctx.kube();
    const ns = o.istioNamespace;
    const [, services, gateway, virtualService] = await readAll([
      requireNamespace(kube, ns),
      kube.list<Service>('v1', 'Service', { namespace: ns }),
      findObject<Gateway>(kube, { apiVersion: NETWORKING_V1, kind: 'Gateway', name: ISTIOD_GATEWAY, namespace: ns }),
      findObject<VirtualService>(kube, { apiVersion: NETWORKING_V1, kind: 'VirtualService', name: virtualServiceName(o.revision), namespace: ns }),
    ] as const);
    const ew = findEastWestService(services);
    if (!ew)
      throw new CliError(
        `no east-west gateway in namespace ${ns} (a Service labelled istio=eastwestgateway) to expose istiod on; install one: ${EASTWEST_INSTALL_HINT}`,
      );
    const istiod = o.revision ? `istiod-${o.revision}` : 'istiod';
    if (!services.some((s) => s.metadata?.name === istiod))
      throw new CliError(`no ${istiod} Service in namespace ${ns}: is istiod${o.revision ? ` of revision ${o.revision}` : ''} installed there?`);
    const missing = ISTIOD_PORTS.filter((p) => !(ew.spec?.ports ?? []).some((x) => x.port === p));
    if (missing.length)
      ctx.warn(
        `service ${ew.metadata?.name} does not open port${missing.length > 1 ? 's' : ''} ${missing.join(' and ')}, so VMs cannot reach istiod through it yet; install the gateway as ${EASTWEST_INSTALL_HINT}`,
      );
    const plan = planExpose({ namespace: ns, revision: o.revision, selector: gatewaySelector(ew), gateway, virtualService });
    for (const k of plan.kept) ctx.stderr.write(`${k}\n`);
    if (o.dryRun === 'client' && o.output !== 'table')
      return printObjects(
        ctx,
        o.output,
        plan.changes.flatMap((c) => (c.action === 'apply' ? [c.object] : [])),
      );
    const quiet = o.output !== 'table';
    const results = plan.changes.length ? await executePlan(quiet ? { ...ctx, stdout: { write: () => true } } : ctx, plan.changes, o.dryRun) : [];
    if (quiet)
      return printObjects(
        ctx,
        o.output,
        results.flatMap((r) => (r.object ? [r.object] : [])),
      );
    const changed = new Set(plan.changes.map((c) => (c.action === 'apply' ? c.object.kind : '')));
    if (!changed.has('Gateway') && gateway) ctx.stdout.write(`gateway.networking.istio.io/${ISTIOD_GATEWAY} unchanged\n`);
    if (!changed.has('VirtualService') && virtualService) ctx.stdout.write(`virtualservice.networking.istio.io/${virtualServiceName(o.revision)} unchanged\n`);
    const at = externalAddress(ew);
    const where = at?.ip ?? at?.hostname;
    ctx.stdout.write(
      where
        ? `istiod ${o.dryRun === 'none' ? 'is' : 'would be'} reachable for VMs at ${where}:15012 (service ${ew.metadata?.name})\n`
        : `service ${ew.metadata?.name} has no external address yet; VMs reach istiod on its port 15012 once it has one\n`,
    );
  },
});

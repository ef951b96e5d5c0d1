// kubectl meshvm list [-A]: the VMs of the mesh (WorkloadEntries) with what selects them, their ports,
// network, identity, health (when istio-agent reports it) and the group that auto-registered them.
// Three paginated lists, whatever the number of VMs.
import { bool, defineCommand } from '../../../shared/cli/command.js';
import { allNamespacesFlag, outputFlag, readOutput } from '../../../shared/cli/flags.js';
import { ALL_NAMESPACES } from '../../../shared/kube/object.js';
import { NETWORKING_V1, type ServiceEntry, type WorkloadEntry } from '../../../shared/istio/workload.js';
import { isDocumentFormat, TEMPLATE_FORMATS, type FormatName, type OutputFormat } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { dnsLabel } from '../../../shared/validate.js';
import { istioMissing, readAll, requireNamespace } from '../cluster.js';
import { vmRows, type VMRow } from '../list-rows.js';
import { API_VERSION } from '../output.js';
import type { Service } from '../../../shared/kube/types.js';

interface Options {
  allNamespaces: boolean;
  output: OutputFormat;
}

const OUTPUTS: readonly FormatName[] = ['table', 'wide', 'json', 'yaml', ...TEMPLATE_FORMATS];

export const listCommand = defineCommand<Options>({
  command: 'list',
  aliases: ['ls'],
  describe: 'The VMs in the mesh: address, the Services selecting them, ports, network, identity, health',
  examples: [
    ['$0 -n bookinfo list', 'The VMs of bookinfo'],
    ['$0 list -A -o wide', 'Every VM, with network, identity and the group that registered it'],
  ],
  builder: (y) => allNamespacesFlag(outputFlag(y, OUTPUTS)),
  options: (args) => ({ allNamespaces: bool(args, 'all-namespaces'), output: readOutput(args, OUTPUTS) }),
  run: async (ctx, o) => {
    const kube = ctx.kube();
    const namespace = o.allNamespaces ? ALL_NAMESPACES : dnsLabel(kube.namespace, 'namespace');
    const ns = { namespace };
    const istio = async <T>(p: Promise<T[]>, kind: string): Promise<T[]> => {
      try {
        return await p;
      } catch (err) {
        throw istioMissing(err, { apiVersion: NETWORKING_V1, kind }) ?? err;
      }
    };
    const [, entries, serviceEntries, services] = await readAll([
      o.allNamespaces ? Promise.resolve() : requireNamespace(kube, namespace),
      istio(kube.list<WorkloadEntry>(NETWORKING_V1, 'WorkloadEntry', ns), 'WorkloadEntry'),
      istio(kube.list<ServiceEntry>(NETWORKING_V1, 'ServiceEntry', ns), 'ServiceEntry'),
      kube.list<Service>('v1', 'Service', ns),
    ] as const);
    const fill = <T extends { metadata?: { namespace?: string } }>(xs: T[]) =>
      xs.map((x) => ({ ...x, metadata: { ...x.metadata, namespace: x.metadata?.namespace ?? namespace } }));
    const rows = vmRows(fill(entries), fill(services), fill(serviceEntries));
    if (isDocumentFormat(o.output)) return print(ctx, o.output, { data: { apiVersion: API_VERSION, kind: 'VMList', items: rows }, rows: [], columns: [] });
    if (rows.length === 0) {
      ctx.stderr.write(`No VMs found${o.allNamespaces ? '' : ` in ${namespace} namespace`}.\n`);
      return;
    }
    const health = (r: VMRow) => (r.healthy === undefined ? '-' : r.healthy ? 'Healthy' : 'Unhealthy');
    return print(ctx, o.output, {
      data: undefined,
      rows,
      columns: [
        ...(o.allNamespaces ? [{ header: 'Namespace', value: (r: VMRow) => r.namespace }] : []),
        { header: 'Name', value: (r: VMRow) => r.name },
        { header: 'Address', value: (r: VMRow) => r.address },
        { header: 'Selected by', value: (r: VMRow) => r.selectedBy.join(',') || '<none>' },
        { header: 'Ports', value: (r: VMRow) => r.ports.map((p) => `${p.name}:${p.port}`).join(',') || '<none>' },
        { header: 'Health', value: health },
        { header: 'Network', value: (r: VMRow) => r.network || '-', wide: true },
        { header: 'Service account', value: (r: VMRow) => r.serviceAccount, wide: true },
        { header: 'Group', value: (r: VMRow) => r.group ?? '-', wide: true },
      ],
    });
  },
});

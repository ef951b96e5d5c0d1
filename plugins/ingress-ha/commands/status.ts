// kubectl ingress-ha status: per ingress node the controller pod (ready, restarts) and zone; the load
// balancer's external address and which nodes it attaches.
import { defineCommand, str } from '../../../shared/cli/command.js';
import { outputFlag, readOutput } from '../../../shared/cli/flags.js';
import { isDocumentFormat, TEMPLATE_FORMATS, type OutputFormat } from '../../../shared/output/format.js';
import { outputApiVersion } from '../../../shared/output/api.js';
import { print } from '../../../shared/output/print.js';
import { dnsLabel } from '../../../shared/validate.js';
import type { NodeRow } from '../nodes.js';
import { readLayer } from '../observe.js';
import { statusView } from '../status.js';

const FORMATS = ['table', 'wide', 'json', 'yaml', ...TEMPLATE_FORMATS] as const;

interface Options {
  output: OutputFormat;
  name?: string | undefined;
}

export const statusCommand = defineCommand<Options>({
  command: 'status',
  describe: 'Controller pod per ingress node; the load balancer address and node selection',
  examples: [
    ['$0 status -n kube-system', 'Nodes and load balancer'],
    ['$0 status -n kube-system -o json', 'The same for scripts'],
  ],
  builder: (y) =>
    outputFlag(y, FORMATS).option('name', {
      type: 'string',
      describe: 'Base name given to deploy (when several controllers share the namespace)',
    }),
  options: (args) => {
    const name = str(args, 'name');
    return { output: readOutput(args, FORMATS), name: name === undefined ? undefined : dnsLabel(name, '--name') };
  },
  run: async (ctx, o) => {
    const kube = ctx.kube();
    const v = statusView(await readLayer(kube, kube.namespace, ctx.plugin, o.name, 'show'));
    if (isDocumentFormat(o.output))
      return print(ctx, o.output, { data: { apiVersion: outputApiVersion('ingress-ha'), kind: 'IngressStatus', ...v }, rows: [], columns: [] });
    const out: string[] = [];
    out.push(
      v.controller
        ? `Controller: daemonset.apps/${v.controller.daemonSet} (${v.controller.image}), ${v.controller.ready}/${v.controller.desired} ready`
        : `Controller: none in namespace "${v.namespace}" (kubectl ingress-ha deploy -n ${v.namespace})`,
    );
    if (v.service) {
      out.push(`Service:    service/${v.service.name} (${v.service.type}, externalTrafficPolicy ${v.service.externalTrafficPolicy})`);
      out.push(`Address:    ${v.service.externalAddresses.length ? v.service.externalAddresses.join(', ') : '<pending>'}`);
      out.push(`Attaches:   ${v.service.nodeSelection}`);
    } else if (v.controller) out.push('Service:    none selects the controller pods');
    ctx.stdout.write(`${out.join('\n')}\n\n`);
    if (v.nodes.length === 0) {
      ctx.stdout.write('No ingress nodes (kubectl ingress-ha nodes add <node>...)\n');
      return;
    }
    await print(ctx, o.output, {
      data: v,
      rows: v.nodes,
      columns: [
        { header: 'Node', value: (r: NodeRow) => r.node },
        { header: 'Zone', value: (r: NodeRow) => r.zone || '<none>' },
        { header: 'Node-Status', value: (r: NodeRow) => (r.ready ? 'Ready' : 'NotReady') },
        { header: 'Controller', value: (r: NodeRow) => r.pod || '<none>' },
        { header: 'Ready', value: (r: NodeRow) => (r.pod ? String(r.podReady) : '-') },
        { header: 'Restarts', value: (r: NodeRow) => (r.pod ? String(r.restarts) : '-') },
        { header: 'Exclusive', value: (r: NodeRow) => (r.exclusive ? 'yes' : 'no'), wide: true },
      ],
    });
  },
});

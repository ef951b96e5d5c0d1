// kubectl ingress-ha nodes list: the ingress nodes with zone, readiness, taint and controller pod.
import { defineCommand } from '../../../../shared/cli/command.js';
import { outputFlag, readOutput } from '../../../../shared/cli/flags.js';
import type { CommandContext } from '../../../../shared/context.js';
import { TEMPLATE_FORMATS, type FormatName, type OutputFormat } from '../../../../shared/output/format.js';
import { outputApiVersion } from '../../../../shared/output/api.js';
import { print } from '../../../../shared/output/print.js';
import { nodeRows, type NodeRow } from '../../nodes.js';
import { readIngressNodes } from '../../observe.js';
import { INGRESS_SELECTOR } from '../../options.js';

interface Options {
  output: OutputFormat;
}

const OUTPUTS: readonly FormatName[] = ['table', 'wide', 'json', 'yaml', 'name', ...TEMPLATE_FORMATS];

export const nodesListCommand = defineCommand<Options>({
  command: 'list',
  describe: 'List ingress nodes: zone, readiness, taint, controller pod',
  examples: [['$0 nodes list -o wide', 'Ingress nodes: zone, readiness, controller pod, restarts']],
  builder: (y) => outputFlag(y, OUTPUTS),
  options: (args) => ({ output: readOutput(args, OUTPUTS) }),
  run: (ctx, o) => list(ctx, o),
});

async function list(ctx: CommandContext, o: Options): Promise<void> {
  const { nodes, controllerPods } = await readIngressNodes(ctx.kube(), ctx.plugin);
  const rows = nodeRows(nodes, controllerPods);
  if (rows.length === 0 && (o.output === 'table' || o.output === 'wide')) {
    ctx.stderr.write(`No ingress nodes (none is labelled ${INGRESS_SELECTOR}); add some with: kubectl ingress-ha nodes add <node>...\n`);
    return;
  }
  await print(ctx, o.output, {
    data: { apiVersion: outputApiVersion('ingress-ha'), kind: 'IngressNodeList', items: rows },
    rows,
    names: rows.map((r) => `node/${r.node}`),
    columns: [
      { header: 'Node', value: (r: NodeRow) => r.node },
      { header: 'Zone', value: (r: NodeRow) => r.zone || '<none>' },
      { header: 'Status', value: (r: NodeRow) => (r.ready ? 'Ready' : 'NotReady') },
      { header: 'Exclusive', value: (r: NodeRow) => (r.exclusive ? 'yes' : 'no') },
      { header: 'Controller', value: (r: NodeRow) => (r.pod ? `${r.podNamespace}/${r.pod}` : '<none>') },
      { header: 'Pod-Ready', value: (r: NodeRow) => (r.pod ? String(r.podReady) : '-') },
      { header: 'Restarts', value: (r: NodeRow) => (r.pod ? String(r.restarts) : '-'), wide: true },
    ],
  });
}

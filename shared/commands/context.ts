// `context`: which cluster, user and namespace this plugin acts on, and whether the cluster answers.
// The first thing to run when a command surprises you; scripts use -o json.
import { bool, defineCommand } from '../cli/command.js';
import { outputFlag, readOutput } from '../cli/flags.js';
import { TEMPLATE_FORMATS, type OutputFormat } from '../output/format.js';
import { outputDocument } from '../output/api.js';
import { print } from '../output/print.js';
import type { CommandContext } from '../context.js';

const FORMATS = ['table', 'json', 'yaml', ...TEMPLATE_FORMATS] as const;

interface Options {
  output: OutputFormat;
  offline: boolean;
}

export interface ContextView {
  context: string;
  cluster: string;
  server: string;
  user: string;
  namespace: string;
  kubeconfig: string[];
  serverVersion?: string;
}

export function contextRows(v: ContextView): [string, string][] {
  return [
    ['Context', v.context],
    ['Cluster', v.cluster],
    ['Server', v.server],
    ['User', v.user],
    ['Namespace', v.namespace],
    ['Kubeconfig', v.kubeconfig.join(', ')],
    ...(v.serverVersion ? ([['Server version', v.serverVersion]] as [string, string][]) : []),
  ];
}

export const contextCommand = defineCommand<Options>({
  command: 'context',
  describe: 'Show the kubeconfig context, cluster, user and namespace in use, and check that the cluster answers',
  examples: [
    ['$0 context', 'Where would a command act right now?'],
    ['$0 context --context prod -n shop -o json', 'The same for another context, for scripts'],
    ['$0 context --offline', 'Only resolve the kubeconfig; do not contact the cluster'],
  ],
  builder: (y) => outputFlag(y, FORMATS).option('offline', { type: 'boolean', default: false, describe: 'Do not contact the cluster' }),
  options: (args) => ({ output: readOutput(args, FORMATS), offline: bool(args, 'offline') }),
  run: async (ctx: CommandContext, o) => {
    const c = ctx.config();
    const view: ContextView = {
      context: c.contextName,
      cluster: c.clusterName,
      server: c.server,
      user: c.userName,
      namespace: c.namespace,
      kubeconfig: c.files,
    };
    if (!o.offline) view.serverVersion = await ctx.kube().serverVersion();
    await print(
      ctx,
      o.output,
      {
        data: outputDocument(ctx.plugin, 'Context', view),
        rows: contextRows(view),
        columns: [
          { header: 'FIELD', value: (r: [string, string]) => `${r[0]}:` },
          { header: 'VALUE', value: (r) => r[1] },
        ],
      },
      // Its table is a list of fields: no header row. Custom columns keep theirs.
      { noHeaders: o.output === 'table' },
    );
  },
});

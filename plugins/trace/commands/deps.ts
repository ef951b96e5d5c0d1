// kubectl trace deps: the service dependency graph the backend derived from its traces, with call and
// error counts, as a tree (default), Graphviz dot, Mermaid, or our JSON/YAML document.
import { defineCommand, str } from '../../../shared/cli/command.js';
import { UsageError } from '../../../shared/errors.js';
import { parseOutputFormat, TEMPLATE_FORMATS, type OutputFormat } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { duration } from '../../../shared/validate.js';
import { connectBackend, type BackendOptions } from '../backends/connect.js';
import { renderDependencyTree, renderDot, renderMermaid, graphOf } from '../deps.js';
import { backendFlags, readBackendOptions } from '../flags.js';
import { API_VERSION } from '../model.js';

/** The pictures deps draws itself; the document formats (json, yaml, templates) go through the printers. */
const PICTURES = ['tree', 'dot', 'mermaid'] as const;
type DepsFormat = (typeof PICTURES)[number] | OutputFormat;

function readDepsFormat(value: string | undefined): DepsFormat {
  if (value === undefined) return 'tree';
  if ((PICTURES as readonly string[]).includes(value)) return value as DepsFormat;
  return parseOutputFormat(value, ['json', 'yaml', ...TEMPLATE_FORMATS], ['dot', 'mermaid']);
}

interface Options {
  sinceMs: number;
  sinceText: string;
  backend: BackendOptions;
  output: DepsFormat;
}

export const depsCommand = defineCommand<Options>({
  command: 'deps',
  aliases: ['dependencies'],
  describe: 'Show which services call which, with call and error counts: a tree, or dot/mermaid for a picture',
  examples: [
    ['$0 deps', 'The last 24 hours as a tree, from the services nobody calls'],
    ['$0 deps --since 1h -o dot | dot -Tsvg > deps.svg', 'A Graphviz picture'],
    ['$0 deps -o mermaid', 'A Mermaid flowchart (for Markdown)'],
  ],
  builder: (y) =>
    backendFlags(y)
      .option('output', { alias: 'o', type: 'string', describe: 'Output format: dot|mermaid|json|yaml|jsonpath=TEMPLATE|custom-columns=SPEC' })
      .option('since', { type: 'string', default: '24h', describe: 'How far back to look (e.g. 1h, 7d is 168h)' }),
  options: (args) => {
    const output = readDepsFormat(str(args, 'output'));
    const sinceText = str(args, 'since') ?? '24h';
    const sinceMs = duration(sinceText, '--since');
    if (sinceMs <= 0) throw new UsageError('--since must be longer than 0');
    return { sinceMs, sinceText, backend: readBackendOptions(args), output };
  },
  run: async (ctx, o) => {
    const backend = await connectBackend(ctx, o.backend);
    const endMs = ctx.clock.now().getTime();
    const graph = graphOf(await backend.dependencies(endMs, o.sinceMs));
    const errorsKnown = graph.links.every((l) => l.errors !== undefined);
    switch (o.output) {
      case 'dot':
        ctx.stdout.write(renderDot(graph));
        return;
      case 'mermaid':
        ctx.stdout.write(renderMermaid(graph));
        return;
      case 'tree':
        if (graph.links.length === 0) {
          ctx.stderr.write(`No calls between services in the last ${o.sinceText} (${backend.where})\n`);
          return;
        }
        ctx.stdout.write(renderDependencyTree(graph, ctx.paint));
        if (!errorsKnown)
          ctx.stderr.write(
            `Note: ${backend.type === 'jaeger' ? 'Jaeger' : 'the backend'} does not count errors per call; kubectl trace list --errors finds failing traces\n`,
          );
        return;
      default: {
        const doc = {
          apiVersion: API_VERSION,
          kind: 'DependencyGraph',
          startTime: new Date(endMs - o.sinceMs).toISOString(),
          endTime: new Date(endMs).toISOString(),
          errorsCounted: errorsKnown,
          services: graph.services,
          links: graph.links,
        };
        await print(ctx, o.output, { data: doc, rows: [], columns: [] });
        return;
      }
    }
  },
});

// kubectl trace show <trace-id>: the span waterfall with the critical path, or the trace as our
// model in JSON/YAML (the same document whether Jaeger or Zipkin holds it).
import { bool, defineCommand, requiredStr, str } from '../../../shared/cli/command.js';
import { outputFlag, readOutput } from '../../../shared/cli/flags.js';
import { CliError, UsageError } from '../../../shared/errors.js';
import { isDocumentFormat, TEMPLATE_FORMATS, type FormatName, type OutputFormat } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { readInt } from '../../../shared/cli/flags.js';
import { connectBackend, type BackendOptions } from '../backends/connect.js';
import { backendFlags, readBackendOptions } from '../flags.js';
import { formatMicros } from '../format.js';
import { isTraceId } from '../model.js';
import { analyze, traceDocument } from '../view.js';
import { renderWaterfall, serviceMatches } from '../waterfall.js';
import { counted } from '../../../shared/output/plural.js';

interface Options {
  traceId: string;
  tags: boolean;
  depth?: number | undefined;
  service?: string | undefined;
  criticalOnly: boolean;
  raw: boolean;
  width?: number | undefined;
  backend: BackendOptions;
  output: OutputFormat;
}

const FORMATS: readonly FormatName[] = ['table', 'json', 'yaml', ...TEMPLATE_FORMATS];

export const showCommand = defineCommand<Options>({
  command: 'show <trace-id>',
  aliases: ['get'],
  describe: 'Show one trace as a span waterfall: the tree, bars on a time axis, errors, and the critical path summed per service',
  examples: [
    ['$0 show 4bf92f3577b34da6a3ce929d0e0e4736', 'The waterfall and the critical path'],
    ['$0 show 4bf92f3577b34da6 --critical-only', 'Only the spans on the critical path'],
    ['$0 show 4bf92f3577b34da6 --service reviews --tags', 'The spans of reviews (with their callers), with tags'],
    ['$0 show 4bf92f3577b34da6 -o json', 'The trace in our model, whichever backend holds it'],
  ],
  builder: (y) =>
    backendFlags(outputFlag(y, FORMATS))
      .positional('trace-id', { type: 'string', describe: 'The trace id (16 or 32 hex digits)' })
      .option('tags', { type: 'boolean', default: false, describe: "Print each span's tags, peer and events under it" })
      .option('depth', { type: 'string', describe: 'Show the tree down to this depth (1: the root only)' })
      .option('service', { type: 'string', describe: 'Only spans of this service (and the spans above them); "reviews" matches reviews.<namespace>' })
      .option('critical-only', { type: 'boolean', default: false, describe: 'Only the spans on the critical path' })
      .option('raw', { type: 'boolean', default: false, describe: 'Show times as reported: no correction of clock skew between services' })
      .option('width', { type: 'string', describe: 'Columns to draw in, 40-1000 (default: the terminal width, else 120)' }),
  options: (args) => {
    const traceId = requiredStr(args, 'trace-id').trim();
    if (!isTraceId(traceId)) throw new UsageError(`"${traceId}" is not a trace id: use the 16 or 32 hex digits that kubectl trace list prints`);
    return {
      traceId: traceId.toLowerCase(),
      tags: bool(args, 'tags'),
      depth: readInt(args, 'depth', 1, 10_000),
      service: str(args, 'service'),
      criticalOnly: bool(args, 'critical-only'),
      raw: bool(args, 'raw'),
      width: readInt(args, 'width', 40, 1000),
      backend: readBackendOptions(args),
      output: readOutput(args, FORMATS),
    };
  },
  run: async (ctx, o) => {
    const backend = await connectBackend(ctx, o.backend);
    const trace = await backend.trace(o.traceId);
    if (!trace) {
      throw new CliError(
        `trace ${o.traceId} not found in ${backend.where}; it may be older than the backend keeps, not reported yet, or sampled out (kubectl trace list --service SERVICE shows recent ones)`,
      );
    }
    const view = analyze(trace, { raw: o.raw });
    for (const w of trace.warnings) ctx.warn(w);
    for (const a of view.adjustments) {
      ctx.warn(
        `clock skew: ${counted(a.spans, 'span')} of ${a.service} moved by ${formatMicros(a.shiftMicros)} to sit inside their caller's span (--raw shows the times as reported)`,
      );
    }
    if (view.tree.orphans.length)
      ctx.warn(
        `${view.tree.orphans.length} span${view.tree.orphans.length === 1 ? "'s parent is" : "s' parents are"} not in the trace (not reported yet, or dropped); shown as roots`,
      );
    if (view.overflows.length) {
      ctx.warn(
        `${view.overflows.length} span${view.overflows.length === 1 ? ' runs' : 's run'} outside ${view.overflows.length === 1 ? 'its' : 'their'} parent's time (async work, or skew left over); the critical path counts only the part inside`,
      );
    }
    if (isDocumentFormat(o.output)) {
      const doc = traceDocument(view);
      await print(ctx, o.output, { data: doc, rows: [], columns: [] });
      return;
    }
    if (o.service !== undefined && !trace.spans.some((s) => serviceMatches(s.service, o.service!))) {
      throw new CliError(`trace ${trace.traceId} has no spans of service "${o.service}"; its services are ${view.services.join(', ')}`);
    }
    const width = o.width ?? (ctx.stdout.columns || Number(ctx.env['COLUMNS']) || 120);
    ctx.stdout.write(renderWaterfall(view, { width, depth: o.depth, service: o.service, criticalOnly: o.criticalOnly, tags: o.tags, paint: ctx.paint }));
  },
});

// kubectl trace list --service S: recent traces of a service, newest first, one line each.
import { bool, defineCommand, str, strList } from '../../../shared/cli/command.js';
import { outputFlag, readOutput } from '../../../shared/cli/flags.js';
import { UsageError } from '../../../shared/errors.js';
import { TEMPLATE_FORMATS, type FormatName, type OutputFormat } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { readInt } from '../../../shared/cli/flags.js';
import { duration, keyValue } from '../../../shared/validate.js';
import type { SearchQuery } from '../backends/backend.js';
import { connectBackend, type BackendOptions } from '../backends/connect.js';
import { backendFlags, readBackendOptions } from '../flags.js';
import { formatAge, formatMicros, parseMicros } from '../format.js';
import { API_VERSION } from '../model.js';
import { summarizeAll, type TraceSummary } from '../summary.js';

interface Options {
  service?: string | undefined;
  operation?: string | undefined;
  tags: Record<string, string>;
  errorsOnly: boolean;
  minDurationMicros?: number | undefined;
  maxDurationMicros?: number | undefined;
  sinceMs: number;
  sinceText: string;
  limit: number;
  backend: BackendOptions;
  output: OutputFormat;
}

const FORMATS: readonly FormatName[] = ['table', 'wide', 'json', 'yaml', ...TEMPLATE_FORMATS];

export const listCommand = defineCommand<Options>({
  command: 'list',
  aliases: ['ls'],
  describe: 'List recent traces of a service: trace id, root, age, duration, spans, services, errors',
  examples: [
    ['$0 list --service productpage.default', 'The last hour of productpage traces, newest first'],
    ['$0 list --service reviews.default --min-duration 100ms --errors', 'Slow traces with an error'],
    ['$0 list --service productpage.default --tag http.status_code=500 --since 24h --limit 50', 'By tag, over a day'],
  ],
  builder: (y) =>
    backendFlags(outputFlag(y, FORMATS))
      .option('service', { type: 'string', describe: "The service whose traces to list (see kubectl trace services); not -s, which is kubectl's --server" })
      .option('operation', { type: 'string', describe: 'Only traces with a span of this operation' })
      .option('tag', { type: 'string', array: true, describe: 'Only traces where a span of the service has this tag, key=value (repeatable; all must match)' })
      .option('min-duration', { type: 'string', describe: 'Only traces where a span of the service lasts at least this long (e.g. 100ms, 1.5s, 500us)' })
      .option('max-duration', { type: 'string', describe: 'Only traces where a span of the service lasts at most this long' })
      .option('since', { type: 'string', default: '1h', describe: 'How far back to look (e.g. 15m, 24h)' })
      .option('limit', { type: 'string', default: '20', describe: 'At most this many traces (1-1000)' })
      .option('errors', {
        type: 'boolean',
        default: false,
        describe: 'Only traces with an error in any span (looked for among up to 10x --limit recent traces)',
      }),
  options: (args) => {
    const tags: Record<string, string> = {};
    for (const t of strList(args, 'tag')) {
      const [k, v] = keyValue(t, '--tag');
      tags[k] = v;
    }
    const min = str(args, 'min-duration');
    const max = str(args, 'max-duration');
    return {
      service: str(args, 'service'),
      operation: str(args, 'operation'),
      tags,
      errorsOnly: bool(args, 'errors'),
      minDurationMicros: min !== undefined ? parseMicros(min, '--min-duration') : undefined,
      maxDurationMicros: max !== undefined ? parseMicros(max, '--max-duration') : undefined,
      sinceMs: duration(str(args, 'since') ?? '1h', '--since'),
      sinceText: str(args, 'since') ?? '1h',
      limit: readInt(args, 'limit', 1, 1000) ?? 20,
      backend: readBackendOptions(args),
      output: readOutput(args, FORMATS),
    };
  },
  validate: (o) => {
    if (!o.service) throw new UsageError('--service is required: traces are listed per service (kubectl trace services shows them)');
    if (o.minDurationMicros !== undefined && o.maxDurationMicros !== undefined && o.minDurationMicros > o.maxDurationMicros)
      throw new UsageError(`--min-duration (${formatMicros(o.minDurationMicros)}) is longer than --max-duration (${formatMicros(o.maxDurationMicros)})`);
    if (o.sinceMs <= 0) throw new UsageError('--since must be longer than 0');
  },
  run: async (ctx, o) => {
    const backend = await connectBackend(ctx, o.backend);
    const nowMs = ctx.clock.now().getTime();
    const q: SearchQuery = {
      service: o.service!,
      operation: o.operation,
      tags: o.tags,
      minDurationMicros: o.minDurationMicros,
      maxDurationMicros: o.maxDurationMicros,
      startMicros: (nowMs - o.sinceMs) * 1000,
      endMicros: nowMs * 1000,
      // Backends match tags on the service's own spans; an error may be anywhere in the trace, so
      // --errors is decided here, on whole traces, from a wider window.
      limit: o.errorsOnly ? Math.min(1000, Math.max(100, o.limit * 10)) : o.limit,
    };
    let items = summarizeAll(await backend.search(q));
    if (o.errorsOnly) items = items.filter((t) => t.errors > 0);
    items = items.slice(0, o.limit);
    if (items.length === 0 && (o.output === 'table' || o.output === 'wide')) {
      ctx.stderr.write(`No traces of ${o.service} in the last ${o.sinceText} matched (${backend.where})\n`);
      return;
    }
    await print(ctx, o.output, {
      data: { apiVersion: API_VERSION, kind: 'TraceList', service: o.service, items },
      rows: items,
      columns: [
        { header: 'Trace ID', value: (r: TraceSummary) => r.traceId },
        { header: 'Root', value: (r) => `${r.rootService}: ${r.rootOperation}` },
        { header: 'Age', value: (r) => formatAge(nowMs - r.startMicros / 1000) },
        { header: 'Start', value: (r) => r.startTime, wide: true },
        { header: 'Duration', value: (r) => formatMicros(r.durationMicros) },
        { header: 'Spans', value: (r) => String(r.spans) },
        { header: 'Services', value: (r) => String(r.services.length) },
        { header: 'Errors', value: (r) => String(r.errors) },
        { header: 'Service names', value: (r) => r.services.join(','), wide: true },
      ],
    });
  },
});

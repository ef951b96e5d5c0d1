// kubectl canary analyze <canary> [--since 5m]: the metric checks of `canary run`, once, now, with the
// numbers: the canary's real traffic in Prometheus (Istio's istio_requests_total and request duration
// histogram), for deciding by hand and for scripts. Read-only; exit 3 when a check fails (or, unless
// --on-no-data pass, when there is too little traffic to judge).
import { ExitCode } from '../../../shared/exit-codes.js';
import { defineCommand, requiredStr, str } from '../../../shared/cli/command.js';
import { outputFlag, readOutput } from '../../../shared/cli/flags.js';
import { NAMES } from '../../../shared/commands/complete-names.js';
import { CliError, SilentExit, UsageError } from '../../../shared/errors.js';
import { TEMPLATE_FORMATS, type OutputFormat } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { outputApiVersion } from '../../../shared/output/api.js';
import { dnsSubdomain, duration } from '../../../shared/validate.js';
import { analyze, type Analysis } from '../metrics/analysis.js';
import { metricFlags, readMetricOptions, type MetricOptions } from '../metrics/flags.js';
import type { CheckResult } from '../metrics/judge.js';
import { prometheusClient } from '../metrics/prometheus.js';
import { unfilled } from '../metrics/promql.js';
import { listCanaryObjects } from '../observe.js';
import { canaryViews } from '../status.js';

/** A check failed (the gate code, as status --fail-on-degraded). */
export const ANALYSIS_API_VERSION = outputApiVersion('canary');

const FORMATS = ['table', 'wide', 'json', 'yaml', ...TEMPLATE_FORMATS] as const;

interface Options extends MetricOptions {
  canary: string;
  sinceMs: number;
  output: OutputFormat;
}

const value = (x: number | undefined, unit: string) =>
  x === undefined ? '-' : `${Math.abs(x) >= 100 ? Math.round(x) : Math.round(x * 100) / 100}${unit === '%' ? '%' : unit === 'ms' ? 'ms' : ''}`;

/** The rows people read: one per check, with the stable version's value when it was compared. */
export async function printAnalysis(ctx: Parameters<typeof print>[0], output: OutputFormat, a: Analysis): Promise<void> {
  const relative = a.checks.some((c) => c.relative);
  await print(ctx, output, {
    data: { apiVersion: ANALYSIS_API_VERSION, kind: 'CanaryAnalysis', ...a },
    rows: a.checks,
    columns: [
      { header: 'Check', value: (c: CheckResult) => c.name },
      { header: 'Canary', value: (c: CheckResult) => value(c.value, c.unit) },
      ...(relative ? [{ header: 'Stable', value: (c: CheckResult) => value(c.stable, c.unit) }] : []),
      { header: 'Limit', value: (c: CheckResult) => `${c.op} ${value(c.limit, c.unit)}` },
      {
        header: 'Result',
        value: (c: CheckResult) => (ctx.color && c.status !== 'pass' ? ctx.paint(c.status === 'fail' ? 'red' : 'yellow', c.status) : c.status),
      },
      { header: 'Query', value: (c: CheckResult) => c.query, wide: true },
    ],
  });
}

export const analyzeCommand = defineCommand<Options>({
  command: 'analyze <canary>',
  completions: { canary: NAMES.deployment },
  describe: "Check the canary's real traffic in Prometheus now (error rate, p99, your queries): the numbers, exit 3 when a check fails",
  examples: [
    ['$0 analyze new-nginx --since 10m', 'Error rate of the last 10 minutes against the default 1%'],
    ['$0 analyze reviews-v2 --max-p99 300ms --relative -o json', 'Compared with the stable version, for scripts'],
    ['$0 analyze new-nginx --query \'rps=sum(rate(istio_requests_total{destination_workload="{{canary}}"}[{{interval}}]))>=1\'', 'A check of your own'],
    ['$0 analyze new-nginx --metrics-url http://127.0.0.1:9090', 'Through a port-forward instead of the API server'],
  ],
  builder: (y) =>
    metricFlags(outputFlag(y, FORMATS))
      .positional('canary', { type: 'string', describe: 'The canary Deployment' })
      .option('since', { type: 'string', default: '5m', describe: 'The window the rates and percentiles are taken over' }),
  options: (args) => {
    const sinceMs = duration(str(args, 'since') ?? '5m', '--since');
    if (str(args, 'on-no-data') === 'wait') throw new UsageError('analyze checks once: --on-no-data is fail (exit 3) or pass');
    return {
      canary: dnsSubdomain(requiredStr(args, 'canary'), 'deployment name'),
      sinceMs,
      output: readOutput(args, FORMATS),
      ...readMetricOptions(args, { intervalMs: sinceMs }),
    };
  },
  run: async (ctx, o) => {
    const kube = ctx.kube();
    const ns = kube.namespace;
    const { deployments, services, istio } = await listCanaryObjects(ctx, ns, true);
    if (!deployments.some((d) => d.metadata?.name === o.canary)) throw new CliError(`deployment "${o.canary}" not found in namespace "${ns}"`);
    const stable = canaryViews(deployments, services, o.canary, istio)[0]?.stable.deployment;
    const needsStable = o.limits.relative || o.limits.queries.some((q) => /\{\{\s*stable\s*\}\}/.test(q.query));
    if (needsStable && !stable)
      throw new CliError(`deployment "${o.canary}" shares no Service with a stable Deployment in namespace "${ns}": nothing to compare it with`);
    const target = { namespace: ns, canary: o.canary, stable: needsStable ? stable : undefined, windowMs: o.sinceMs };
    for (const q of o.limits.queries) {
      const missing = unfilled(q.query, target);
      if (missing.length)
        throw new UsageError(`--query ${q.name} uses {{${missing[0]}}}, which has no value; use {{namespace}}, {{canary}}, {{stable}} or {{interval}}`);
    }
    const a = await analyze(
      prometheusClient(o.source, () => ctx.kube()),
      target,
      o.limits,
      () => ctx.clock.now(),
    );
    await printAnalysis(ctx, o.output, a);
    if (o.output === 'table' || o.output === 'wide') {
      for (const c of a.checks.filter((x) => x.status !== 'pass')) ctx.stderr.write(`${c.status === 'fail' ? 'failed' : 'unknown'}: ${c.message}\n`);
    }
    if (ctx.verbosity > 0) ctx.stderr.write(`I: ${a.requests} queries to ${a.source} answered and judged in ${a.elapsedMs} ms\n`);
    if (a.verdict === 'fail' || (a.verdict === 'unknown' && o.onNoData !== 'pass')) throw new SilentExit(ExitCode.gateFailed);
  },
});

// The flags of the metric analysis (canary run and canary analyze): where Prometheus is, the checks,
// and what no data means; read into options before anything is asked.
import type { Argv } from 'yargs';
import { bool, str, strList, type Args } from '../../../shared/cli/command.js';
import { readInt } from '../../../shared/cli/flags.js';
import { UsageError } from '../../../shared/errors.js';
import { probeHeaders, probeUrl } from '../../../shared/probe/target.js';
import { duration, percentage, serviceRef } from '../../../shared/validate.js';
import { parseCustomQuery, type MetricLimits } from './judge.js';
import { DEFAULT_PROMETHEUS, type PrometheusSource } from './prometheus.js';

export type OnNoData = 'fail' | 'wait' | 'pass';

export interface MetricOptions {
  source: PrometheusSource;
  limits: MetricLimits;
  onNoData: OnNoData;
}

/** --max-error-rate and --max-p99: of the probe's requests with --probe, of the canary's real requests with Prometheus. */
export function limitFlags(y: Argv): Argv {
  return y
    .option('max-error-rate', {
      type: 'string',
      default: '1',
      describe: "Highest error rate allowed, in percent (5xx of the canary's requests in Prometheus; errors of the probe's)",
    })
    .option('max-p99', { type: 'string', describe: 'Highest p99 latency allowed, e.g. 500ms' });
}

export function readLimits(args: Args): { maxErrorRate: number; maxP99Ms?: number | undefined } {
  const maxP99 = str(args, 'max-p99');
  return {
    maxErrorRate: percentage(str(args, 'max-error-rate') ?? '1', '--max-error-rate', true),
    maxP99Ms: maxP99 === undefined ? undefined : duration(maxP99, '--max-p99'),
  };
}

export function metricFlags(y: Argv): Argv {
  return limitFlags(y)
    .option('prometheus', {
      type: 'string',
      describe: `Prometheus's Service, [namespace/]service[:port], reached through the API server (default ${DEFAULT_PROMETHEUS.namespace}/${DEFAULT_PROMETHEUS.service}:${DEFAULT_PROMETHEUS.port}, Istio's addon)`,
    })
    .option('metrics-url', { type: 'string', describe: 'Ask Prometheus at this URL instead (a port-forward, a gateway)' })
    .option('metrics-header', { type: 'string', array: true, describe: 'With --metrics-url: a header "Name: value" on every query (repeatable)' })
    .option('min-requests', {
      type: 'string',
      describe: 'Fewer requests to the canary than this in the window means no data, not healthy (default 1)',
    })
    .option('on-no-data', {
      type: 'string',
      choices: ['fail', 'wait', 'pass'],
      describe: 'When there is too little traffic to judge: fail (roll back), wait (watch another interval, up to --timeout), pass (go on)',
    })
    .option('query', {
      type: 'string',
      array: true,
      describe: 'A check of your own, NAME=PROMQL<=THRESHOLD or >=; {{namespace}} {{canary}} {{stable}} {{interval}} are filled in (repeatable)',
    })
    .option('relative', {
      type: 'boolean',
      describe: "Hold the canary to the stable version's values: --max-error-rate and --max-p99 become the margins it may be worse by",
    });
}

/** Whether any flag asks for metric analysis (canary run analyses only then; analyze always does). */
export function wantsMetrics(args: Args): boolean {
  return ['prometheus', 'metrics-url', 'query', 'relative', 'min-requests', 'on-no-data'].some((k) => args[k] !== undefined);
}

export function readMetricOptions(args: Args, window: { intervalMs: number }): MetricOptions {
  const url = str(args, 'metrics-url');
  const svc = str(args, 'prometheus');
  const headers = strList(args, 'metrics-header');
  if (url && svc)
    throw new UsageError('--metrics-url and --prometheus cannot be used together: --metrics-url asks directly, --prometheus through the API server');
  if (headers.length && !url)
    throw new UsageError('--metrics-header goes with --metrics-url (queries through the API server carry your kubeconfig credentials)');
  const queries = strList(args, 'query').map((q) => {
    const parsed = parseCustomQuery(q);
    if (typeof parsed === 'string') throw new UsageError(parsed);
    return parsed;
  });
  const names = queries.map((q) => q.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new UsageError(`--query ${twice} is given twice; each check needs its own name`);
  // rate() needs two samples in its range; below a few seconds no scrape interval gives it them.
  if (window.intervalMs < 5_000)
    throw new UsageError(
      `the analysis window is ${window.intervalMs / 1000}s; it must be at least 5s and hold two of Prometheus's scrapes (every 15s by default)`,
    );
  const source: PrometheusSource = url
    ? { kind: 'url', url: probeUrl(url, '--metrics-url'), headers: probeHeaders(headers, undefined), timeoutMs: 30_000 }
    : {
        kind: 'service',
        ref: svc ? serviceRef(svc, { namespace: DEFAULT_PROMETHEUS.namespace, port: DEFAULT_PROMETHEUS.port }, '--prometheus') : DEFAULT_PROMETHEUS,
      };
  return {
    source,
    limits: {
      ...readLimits(args),
      minRequests: readInt(args, 'min-requests', 0, 1_000_000_000) ?? 1,
      queries,
      relative: bool(args, 'relative'),
    },
    onNoData: (str(args, 'on-no-data') ?? 'fail') as OnNoData,
  };
}

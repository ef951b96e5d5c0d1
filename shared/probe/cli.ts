// The probe as a command, shared by kubectl canary probe and kubectl bluegreen probe: the flags, their
// reading into typed options, sending the requests (a spinner on a terminal) and printing the summary
// (versions with 95% intervals, errors, latency). Plugins add their own comparison lines.
import type { Argv } from 'yargs';
import { requiredStr, str, strList, type Args } from '../cli/command.js';
import { outputFlag, ownsConnectionFlags, readInt, readOutput } from '../cli/flags.js';
import type { CommandContext } from '../context.js';
import { TEMPLATE_FORMATS, type FormatName, type OutputFormat } from '../output/format.js';
import { outputDocument } from '../output/api.js';
import { print } from '../output/print.js';
import { startProgress } from '../output/spinner.js';
import { CliError } from '../errors.js';
import { hostHeader, httpToken, waitDuration } from '../validate.js';
import { probe, type ProbeOptions } from './engine.js';
import { probeHeaders, probeUrl } from './target.js';
import { consistent, summarize, wilson, type Share, type Summary } from './stats.js';
import { counted } from '../output/plural.js';

export const PROBE_FORMATS: readonly FormatName[] = ['table', 'json', 'yaml', ...TEMPLATE_FORMATS];

export interface ProbeArgs extends Pick<ProbeOptions, 'url' | 'count' | 'concurrency' | 'timeoutMs' | 'headers' | 'versionHeader' | 'keepAlive'> {
  insecure: boolean;
  output: OutputFormat;
}

export function probeFlags(y: Argv): Argv {
  const flags = outputFlag(y, PROBE_FORMATS)
    .positional('url', { type: 'string', describe: 'http:// or https:// URL to request' })
    .option('count', { type: 'string', default: '100', describe: 'Requests to send (1-100000)' })
    .option('concurrency', { type: 'string', default: '10', describe: 'Requests in flight at once (1-100)' })
    .option('request-timeout', { type: 'string', default: '5s', describe: 'Deadline of each request' })
    .option('host', { type: 'string', describe: 'Host header (route by host without DNS)' })
    .option('header', { alias: 'H', type: 'string', array: true, describe: 'Extra header "Name: value" (repeatable)' })
    .option('version-header', { type: 'string', default: 'x-version', describe: "Response header naming the version (else the body's first line)" })
    .option('insecure-skip-tls-verify', { type: 'boolean', default: false, describe: "Do not verify the server's certificate" })
    .option('keep-alive', {
      type: 'boolean',
      default: false,
      describe: 'Reuse connections (for an L7 proxy; an L4 load balancer picks a backend per connection, so the default opens one per request)',
    });
  return ownsConnectionFlags(flags, ['request-timeout', 'insecure-skip-tls-verify']);
}

export function readProbeArgs(args: Args): ProbeArgs {
  const url = probeUrl(requiredStr(args, 'url'));
  const host = str(args, 'host');
  const headers = probeHeaders(strList(args, 'header'), host === undefined ? undefined : hostHeader(host, '--host'));
  return {
    url,
    count: readInt(args, 'count', 1, 100_000) ?? 100,
    concurrency: readInt(args, 'concurrency', 1, 100) ?? 10,
    timeoutMs: waitDuration(str(args, 'request-timeout') ?? '5s', '--request-timeout'),
    headers,
    versionHeader: httpToken(str(args, 'version-header') ?? 'x-version', 'HTTP header name (--version-header)'),
    insecure: args['insecure-skip-tls-verify'] === true,
    keepAlive: args['keep-alive'] === true,
    output: readOutput(args, PROBE_FORMATS),
  };
}

/** Send the requests (progress on a terminal) and summarize the answers. */
export async function runProbe(ctx: CommandContext, o: ProbeArgs): Promise<Summary> {
  const progress = await startProgress(ctx.stderr, ctx.interactive, ctx.color, `probing ${o.url.href}`, !ctx.interactive);
  const samples = await probe({
    url: o.url,
    count: o.count,
    concurrency: o.concurrency,
    timeoutMs: o.timeoutMs,
    headers: o.headers,
    versionHeader: o.versionHeader,
    insecure: o.insecure,
    keepAlive: o.keepAlive,
    onProgress: (n) => progress.update(`probing ${o.url.href}: ${n}/${o.count}`),
  });
  progress.stop();
  return summarize(samples);
}

/**
 * Print a summary: -o json|yaml the document (with `extra` fields merged in); the table otherwise,
 * then the request, error and latency lines and the plugin's own `lines`. When no request was
 * answered the probe failed (exit 1, after the summary): a script must not read it as a pass.
 */
export async function printProbe(
  ctx: CommandContext,
  o: ProbeArgs,
  s: Summary,
  extra: { data?: Record<string, unknown>; lines?: string[] } = {},
): Promise<void> {
  if (o.output !== 'table')
    await print(ctx, o.output, { data: outputDocument(ctx.plugin, 'ProbeResult', { url: o.url.href, ...s, ...(extra.data ?? {}) }), rows: [], columns: [] });
  else await printTable(ctx, s, extra.lines ?? []);
  if (s.requests > 0 && s.ok === 0) {
    const kinds = Object.entries(s.errorKinds)
      .map(([k, n]) => `${k} x${n}`)
      .join(', ');
    throw new CliError(
      `none of the ${counted(s.requests, 'request')} to ${o.url.href} was answered (${kinds}); is the address right, and is something serving it?`,
    );
  }
}

async function printTable(ctx: CommandContext, s: Summary, lines: string[]): Promise<void> {
  await print(ctx, 'table', {
    data: s,
    rows: s.versions,
    columns: [
      { header: 'Version', value: (v: Share) => v.version },
      { header: 'Count', value: (v: Share) => String(v.count) },
      { header: 'Share', value: (v: Share) => `${v.percent}%` },
      { header: '95% interval', value: (v: Share) => `${v.low}% - ${v.high}%` },
    ],
  });
  const kinds = Object.entries(s.errorKinds)
    .map(([k, n]) => `${k} x${n}`)
    .join(', ');
  ctx.stdout.write(`\n${counted(s.requests, 'request')}, ${s.ok} answered, ${counted(s.errors, 'error')} (${s.errorRate}%)${kinds ? `: ${kinds}` : ''}\n`);
  ctx.stdout.write(`latency p50 ${s.latencyMs.p50} ms, p95 ${s.latencyMs.p95} ms, p99 ${s.latencyMs.p99} ms, max ${s.latencyMs.max} ms\n`);
  for (const line of lines) ctx.stdout.write(`${line}\n`);
}

/** An observed share set against the one configured for a version. */
export interface ShareComparison {
  version: string;
  configuredPercent: number;
  observedPercent: number;
  low: number;
  high: number;
  /** false when the observed share contradicts the configured one; undefined when nothing answered (inconclusive). */
  consistent: boolean | undefined;
}

export function compareShare(s: Summary, version: string, configured: number): ShareComparison {
  const found = s.versions.find((v) => v.version === version);
  // Not seen at all is still evidence: 0 of n has an interval too.
  const interval = found ? { low: found.low, high: found.high } : wilson(0, s.ok);
  return {
    version,
    configuredPercent: configured,
    observedPercent: found?.percent ?? 0,
    ...interval,
    consistent: s.ok === 0 ? undefined : consistent(configured, interval),
  };
}

/** "set to 20%, observed 18.5% (95% interval 15.3% - 22.1%): consistent" */
export function comparisonText(c: ShareComparison): string {
  const verdict = c.consistent === undefined ? 'inconclusive (no request was answered)' : c.consistent ? 'consistent' : 'NOT consistent with the weight set';
  return `set to ${c.configuredPercent}%, observed ${c.observedPercent}% (95% interval ${c.low}% - ${c.high}%): ${verdict}`;
}

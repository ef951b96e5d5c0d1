// kubectl canary probe <url>: the seed's curl loop, done properly. Sends --count requests (bounded
// concurrency, a deadline each), and prints which versions answered (with 95% intervals), errors and
// latency. With --canary, compares the canary's observed share with the weight it is set to.
import { defineCommand, requiredStr, str, strList } from '../../../shared/cli/command.js';
import { outputFlag, readOutput } from '../../../shared/cli/flags.js';
import { UsageError } from '../../../shared/errors.js';
import type { OutputFormat } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { probe, type ProbeOptions } from '../../../shared/probe/engine.js';
import { probeHeaders, probeUrl } from '../../../shared/probe/target.js';
import { consistent, summarize, wilson, type Share, type Summary } from '../../../shared/probe/stats.js';
import { startProgress } from '../../../shared/output/spinner.js';
import { dnsSubdomain, duration } from '../../../shared/validate.js';
import { canaryViews } from '../status.js';
import { listCanaryObjects } from '../observe.js';

interface Options extends Pick<ProbeOptions, 'url' | 'count' | 'concurrency' | 'timeoutMs' | 'headers' | 'versionHeader'> {
  canary?: string | undefined;
  insecure: boolean;
  output: OutputFormat;
}

function intArg(v: unknown, flag: string, min: number, max: number): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} "${String(v)}" must be a whole number from ${min} to ${max}`);
  return n;
}

export interface CanaryComparison {
  canary: string;
  version: string;
  configuredPercent: number;
  observedPercent: number;
  low: number;
  high: number;
  /** false when the observed share contradicts the weight; undefined when nothing answered (inconclusive). */
  consistent: boolean | undefined;
}

export const probeCommand = defineCommand<Options>({
  command: 'probe <url>',
  describe: 'Send requests and show which versions answer, errors and latency; with --canary, compare with the weight set',
  examples: [
    ['$0 probe http://203.0.113.10/ --count 200', "The seed's curl loop: who answers, how often"],
    ['$0 probe http://127.0.0.1:8080/ --host nginx.default --canary new-nginx', 'Does the observed share match the weight set?'],
    ['$0 probe http://gw/ -H "end-user: jason" --version-header x-version', 'A header route, versions from a response header'],
  ],
  builder: (y) =>
    outputFlag(y, ['table', 'json', 'yaml'])
      .positional('url', { type: 'string', describe: 'http:// or https:// URL to request' })
      .option('count', { type: 'number', default: 100, describe: 'Requests to send (1-100000)' })
      .option('concurrency', { type: 'number', default: 10, describe: 'Requests in flight at once (1-100)' })
      .option('request-timeout', { type: 'string', default: '5s', describe: 'Deadline of each request' })
      .option('host', { type: 'string', describe: 'Host header (route by host without DNS)' })
      .option('header', { alias: 'H', type: 'string', array: true, describe: 'Extra header "Name: value" (repeatable)' })
      .option('version-header', { type: 'string', default: 'x-version', describe: "Response header naming the version (else the body's first line)" })
      .option('canary', { type: 'string', describe: 'Compare the share of this canary Deployment with the weight it is set to' })
      .option('insecure-skip-tls-verify', { type: 'boolean', default: false, describe: "Do not verify the server's certificate" }),
  options: (args) => {
    const url = probeUrl(requiredStr(args, 'url'));
    const headers = probeHeaders(strList(args, 'header'), str(args, 'host'));
    const canary = str(args, 'canary');
    return {
      url,
      count: intArg(args['count'], '--count', 1, 100_000),
      concurrency: intArg(args['concurrency'], '--concurrency', 1, 100),
      timeoutMs: duration(str(args, 'request-timeout') ?? '5s', '--request-timeout'),
      headers,
      versionHeader: str(args, 'version-header') ?? 'x-version',
      canary: canary === undefined ? undefined : dnsSubdomain(canary, 'deployment name'),
      insecure: args['insecure-skip-tls-verify'] === true,
      output: readOutput(args, ['table', 'json', 'yaml']),
    };
  },
  run: async (ctx, o) => {
    // The weight the canary is set to, read before probing (the cluster is only needed with --canary).
    let expected: { canary: string; version: string; configured: number } | undefined;
    if (o.canary) {
      const kube = ctx.kube();
      const { deployments, services, istio } = await listCanaryObjects(ctx, kube.namespace);
      const view = canaryViews(deployments, services, o.canary, istio)[0];
      if (!view) throw new UsageError(`deployment "${o.canary}" in namespace "${kube.namespace}" is not a canary (no Service shared with a stable Deployment)`);
      const d = deployments.find((x) => x.metadata?.name === o.canary)!;
      const labels = d.spec?.template?.metadata?.labels ?? {};
      expected = { canary: o.canary, version: labels['version'] ?? labels['app.kubernetes.io/version'] ?? o.canary, configured: view.canary.weight };
    }
    const progress = await startProgress(ctx.stderr, ctx.interactive, ctx.color, `probing ${o.url.href}`, !ctx.interactive);
    const samples = await probe({ url: o.url, count: o.count, concurrency: o.concurrency, timeoutMs: o.timeoutMs, headers: o.headers, versionHeader: o.versionHeader, insecure: o.insecure, onProgress: (n) => progress.update(`probing ${o.url.href}: ${n}/${o.count}`) });
    progress.stop();
    const s: Summary = summarize(samples);
    let comparison: CanaryComparison | undefined;
    if (expected) {
      const found = s.versions.find((v) => v.version === expected!.version);
      // Not seen at all is still evidence: 0 of n has an interval too.
      const interval = found ? { low: found.low, high: found.high } : wilson(0, s.ok);
      comparison = {
        canary: expected.canary,
        version: expected.version,
        configuredPercent: expected.configured,
        observedPercent: found?.percent ?? 0,
        ...interval,
        consistent: s.ok === 0 ? undefined : consistent(expected.configured, interval),
      };
    }
    if (o.output !== 'table') return print(ctx, o.output, { data: { url: o.url.href, ...s, ...(comparison ? { canary: comparison } : {}) }, rows: [], columns: [] });
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
    const kinds = Object.entries(s.errorKinds).map(([k, n]) => `${k} x${n}`).join(', ');
    ctx.stdout.write(`\n${s.requests} requests, ${s.ok} answered, ${s.errors} errors (${s.errorRate}%)${kinds ? `: ${kinds}` : ''}\n`);
    ctx.stdout.write(`latency p50 ${s.latencyMs.p50} ms, p95 ${s.latencyMs.p95} ms, p99 ${s.latencyMs.p99} ms, max ${s.latencyMs.max} ms\n`);
    if (comparison) {
      ctx.stdout.write(
        `canary ${comparison.canary} (version ${comparison.version}): set to ${comparison.configuredPercent}%, observed ${comparison.observedPercent}% (95% interval ${comparison.low}% - ${comparison.high}%): ${comparison.consistent === undefined ? 'inconclusive (no request was answered)' : comparison.consistent ? 'consistent' : 'NOT consistent with the weight set'}\n`,
      );
    }
  },
});

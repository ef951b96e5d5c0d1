// kubectl canary run <canary> --steps 10,25,50,100 --interval 30s [--probe URL ...] [--prometheus ...]:
// progressive delivery without a controller. Each step sets the weight, watches for --interval, then
// checks the canary's pods, (with --probe) the error rate and p99 of requests we send, and (with a
// Prometheus) the error rate, p99 and custom queries of its real traffic over the interval, as Flagger
// and Argo Rollouts do; a failed check aborts, and after the last step the canary is promoted. The step in progress is recorded on the canary, so Ctrl-C stops at a
// consistent point and --resume continues from there.
import { ExitCode } from '../../../shared/exit-codes.js';
import { bool, defineCommand, str, strList } from '../../../shared/cli/command.js';
import type { CommandContext } from '../../../shared/context.js';
import { CliError, KubeApiError, UsageError } from '../../../shared/errors.js';
import { probe } from '../../../shared/probe/engine.js';
import { summarize, type Summary } from '../../../shared/probe/stats.js';
import { probeHeaders, probeUrl } from '../../../shared/probe/target.js';
import { startProgress } from '../../../shared/output/spinner.js';
import { hostHeader, httpToken, waitDuration } from '../../../shared/validate.js';
import { readInt } from '../../../shared/cli/flags.js';
import { abortCanary, promoteCanary, setWeight } from '../actions.js';
import { modeFlag, readMode, readScaleArgs, scaleFlags, type Mode, type ScaleArgs } from '../flags.js';
import { parseSteps, readRun, runPatch, verdict, type Limits, type RunState } from '../progressive.js';
import { listCanaryObjects } from '../observe.js';
import { canaryViews } from '../status.js';
import { NAMES } from '../../../shared/commands/complete-names.js';
import { analyze, analysisPatch, reasons, type Analysis } from '../metrics/analysis.js';
import { metricFlags, readLimits, readMetricOptions, wantsMetrics, type MetricOptions } from '../metrics/flags.js';
import { prometheusClient, type PrometheusClient } from '../metrics/prometheus.js';
import { unfilled } from '../metrics/promql.js';
import { counted } from '../../../shared/output/plural.js';
import type { Deployment } from '../../../shared/kube/types.js';
import { changeOutputFlag, printChange, readChangeOutput, workContext, type ChangeFormat } from '../../../shared/output/change.js';
import { canaryChange } from '../change.js';

/** The exit code of a run stopped with Ctrl-C (as a shell reports SIGINT). */

interface Options extends ScaleArgs {
  steps?: number[] | undefined;
  intervalMs: number;
  resume: boolean;
  mode: Mode;
  probe?: { url: URL; headers: Record<string, string>; count: number; versionHeader: string } | undefined;
  limits: Limits;
  /** Judging each step by the canary's real traffic in Prometheus. */
  metrics?: MetricOptions | undefined;
  output: ChangeFormat;
}

/** Sleep, unless Ctrl-C comes first: true when the whole time passed. */
async function watch(ctx: CommandContext, ms: number, signal: AbortSignal, onTick: (leftMs: number) => void): Promise<boolean> {
  const end = ctx.clock.now().getTime() + ms;
  const interrupted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  for (;;) {
    const left = end - ctx.clock.now().getTime();
    if (signal.aborted) return false;
    if (left <= 0) return true;
    onTick(left);
    await Promise.race([ctx.clock.sleep(Math.min(1000, left)), interrupted]);
  }
}

export const runCommand = defineCommand<Options>({
  command: 'run <canary>',
  completions: { canary: NAMES.deployment },
  describe: 'Progressive delivery: raise the canary step by step, check it after each step, abort on a failed check, promote after the last',
  examples: [
    ['$0 run new-nginx --steps 10,25,50,100 --interval 30s', 'Four steps, 30 s apart, then promote'],
    [
      '$0 run new-nginx --steps 20,50 --interval 1m --probe http://203.0.113.10/ --max-error-rate 1 --max-p99 500ms',
      'Abort if errors pass 1% or p99 passes 500 ms',
    ],
    [
      '$0 run reviews-v2 --steps 10,50,100 --interval 2m --prometheus istio-system/prometheus:9090 --max-p99 500ms --min-requests 50',
      "Judge each step by the canary's real requests in Prometheus (Istio's metrics)",
    ],
    ['$0 run new-nginx --resume', 'Continue a run stopped with Ctrl-C'],
  ],
  builder: (y) =>
    metricFlags(modeFlag(scaleFlags(changeOutputFlag(y))))
      .option('steps', { type: 'string', describe: 'Weights to go through, rising, e.g. 10,25,50,100 (the recorded ones with --resume)' })
      .option('interval', { type: 'string', default: '1m', describe: 'How long to watch each step before checking it' })
      .option('probe', { type: 'string', describe: 'URL to send requests to after each step (errors and latency are checked)' })
      .option('probe-host', { type: 'string', describe: 'Host header for the probe' })
      .option('probe-header', { type: 'string', array: true, describe: 'Extra probe header "Name: value" (repeatable)' })
      .option('probe-count', { type: 'string', default: '100', describe: 'Probe requests per step (1-100000)' })
      .option('version-header', { type: 'string', default: 'x-version', describe: "Response header naming the version (else the body's first line)" })
      .option('resume', { type: 'boolean', default: false, describe: 'Continue the run recorded on the canary from the step it stopped at' }),
  options: (args) => {
    const rawSteps = str(args, 'steps');
    const resume = bool(args, 'resume');
    if (!resume && rawSteps === undefined) throw new UsageError('say which weights to go through with --steps, e.g. --steps 10,25,50,100 (or --resume)');
    const rawProbe = str(args, 'probe');
    const count = readInt(args, 'probe-count', 1, 100_000) ?? 100;
    const probeHost = str(args, 'probe-host');
    // Each step is checked on ready pods, so a run always waits for them.
    if (args['wait'] === false) throw new UsageError('run always waits for each step to be ready before watching it; drop --wait=false');
    const intervalMs = waitDuration(str(args, 'interval') ?? '1m', '--interval');
    return {
      ...readScaleArgs(args),
      wait: true,
      steps: rawSteps === undefined ? undefined : parseSteps(rawSteps),
      intervalMs,
      resume,
      mode: readMode(args),
      probe:
        rawProbe === undefined
          ? undefined
          : {
              url: probeUrl(rawProbe, '--probe'),
              headers: probeHeaders(strList(args, 'probe-header'), probeHost === undefined ? undefined : hostHeader(probeHost, '--probe-host')),
              count,
              versionHeader: httpToken(str(args, 'version-header') ?? 'x-version', 'HTTP header name (--version-header)'),
            },
      limits: readLimits(args),
      metrics: wantsMetrics(args) ? readMetricOptions(args, { intervalMs }) : undefined,
      output: readChangeOutput(args),
    };
  },
  run: async (out, o) => {
    // With -o, the steps' lines go to stderr and stdout gets the CanaryRun document at the end.
    const ctx = workContext(out, o.output);
    const signal = ctx.interruption();
    signal.addEventListener('abort', () => ctx.stderr.write('\nstopping at the next consistent point (Ctrl-C again to quit at once)\n'), { once: true });
    const kube = ctx.kube();
    const ns = kube.namespace;
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: o.canary, namespace: ns };
    const { deployments, services, istio } = await listCanaryObjects(ctx, ns);
    const canary = deployments.find((d) => d.metadata?.name === o.canary);
    if (!canary) throw new CliError(`deployment "${o.canary}" not found in namespace "${ns}"`);
    const recorded = readRun(canary);
    const metrics = o.metrics ? metricsFor(ctx, o, o.metrics, ns, canaryViews(deployments, services, o.canary, istio)[0]?.stable.deployment) : undefined;
    let state: RunState;
    if (o.resume) {
      if (!recorded) throw new CliError(`no run of canary ${o.canary} is recorded to resume; start one with --steps`);
      if (o.steps && o.steps.join(',') !== recorded.steps.join(',')) {
        throw new UsageError(
          `the recorded run of ${o.canary} has steps ${recorded.steps.join(',')}, not ${o.steps.join(',')}; resume without --steps, or abort it first (kubectl canary abort ${o.canary})`,
        );
      }
      state = recorded;
    } else {
      if (recorded) {
        throw new CliError(
          `a run of canary ${o.canary} stopped at step ${recorded.step + 1} of ${recorded.steps.length} (${recorded.steps[recorded.step]}%); continue it with --resume, or undo it with: kubectl canary abort ${o.canary}`,
        );
      }
      // Run again after it finished (a CI retry): the canary has everything, so starting over would hand traffic back.
      const view = canaryViews(deployments, services, o.canary, istio)[0];
      if (view && view.canary.weight >= 100) {
        const line = `canary ${o.canary} already has all the traffic of service/${view.service}: nothing to run`;
        const fields = { canary: o.canary, service: view.service, namespace: ns, steps: o.steps ?? [], outcome: 'nothing to run' };
        await printChange(out, o.output, { kind: 'CanaryRun', fields, dryRun: o.dryRun, objects: [], lines: [line] });
        return 0;
      }
      state = { steps: o.steps!, step: 0 };
    }
    const dry = o.dryRun !== 'none';
    const n = state.steps.length;
    const say = (line: string) => ctx.stdout.write(`${line}\n`);
    const next = `Continue: kubectl canary run ${o.canary} --resume -n ${ns}; undo: kubectl canary abort ${o.canary} -n ${ns}`;
    const interrupted = (i: number, started: boolean) => {
      const where = started ? `at step ${i + 1} of ${n}: ${o.canary} keeps ${state.steps[i]}%` : `before step ${i + 1} of ${n}`;
      ctx.stderr.write(`interrupted ${where}. ${next}\n`);
      return ExitCode.interrupted;
    };
    // The version of the canary last read: the run's record is only written over what this run saw.
    let version = canary.metadata?.resourceVersion;
    const record = async (i: number) => {
      try {
        await kube.patch(ref, { metadata: { resourceVersion: version, ...(runPatch({ steps: state.steps, step: i }) as { metadata: object }).metadata } });
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 409)
          throw new CliError(
            `canary ${o.canary} was changed by another command during the run; stopping before step ${i + 1} of ${n} (see kubectl canary status ${o.canary})`,
          );
        throw err;
      }
    };
    let before: ReturnType<typeof canaryChange>['fields']['before'] | undefined;
    for (let i = state.step; i < n; i++) {
      if (signal.aborted) return interrupted(i, false);
      const percent = state.steps[i];
      say(`step ${i + 1}/${n}: ${o.canary} to ${percent}%`);
      if (!dry) await record(i);
      let done;
      try {
        done = await setWeight(ctx, { ...o, percent, lines: true });
      } catch (err) {
        if (dry || !(err instanceof Error)) throw err;
        // Nothing of a fresh run is left to resume when its first change fails; otherwise say how to go on.
        if (!o.resume && i === 0) {
          await kube.patch(ref, runPatch(null)).catch(() => undefined);
          throw err;
        }
        throw new CliError(`${err.message}; the run is recorded at step ${i + 1} of ${n}. ${next}`, err instanceof CliError ? err.exitCode : 1);
      }
      before ??= canaryChange('', done, o.dryRun, {}).fields.before;
      if (done.plan && !done.plan.solution.exact) ctx.warn(`${percent}% is not a whole number of pods: the canary gets ${done.plan.solution.achieved}%`);
      if (dry) continue; // nothing changed, so there is nothing to watch or check
      const progress = await startProgress(ctx.stderr, ctx.interactive, ctx.color, '', !ctx.interactive);
      if (!ctx.interactive) say(`step ${i + 1}/${n}: watching for ${Math.round(o.intervalMs / 1000)}s`);
      const watched = await watch(ctx, o.intervalMs, signal, (left) =>
        progress.update(`step ${i + 1}/${n} at ${percent}%: watching, ${Math.ceil(left / 1000)}s left`),
      );
      progress.stop();
      if (!watched) return interrupted(i, true);
      let summary: Summary | undefined;
      if (o.probe) {
        const p = o.probe;
        const samples = await Promise.race([
          probe({ ...p, concurrency: 10, timeoutMs: 5000 }),
          new Promise<undefined>((r) => signal.addEventListener('abort', () => r(undefined), { once: true })),
        ]);
        if (!samples) return interrupted(i, true);
        summary = summarize(samples);
        say(
          `step ${i + 1}/${n}: probe ${counted(summary.requests, 'request')}, ${counted(summary.errors, 'error')} (${summary.errorRate}%), p99 ${summary.latencyMs.p99} ms`,
        );
      }
      let analysis: Analysis | undefined;
      if (metrics) {
        const judged = await judgeStep(ctx, o, metrics, { index: i, of: n, weight: percent }, signal, say);
        if (judged === 'interrupted') return interrupted(i, true);
        analysis = judged;
      }
      let fresh = await kube.get<Deployment>(ref);
      version = fresh.metadata?.resourceVersion;
      // An abort, promote or another run in the meantime ended this one: going on would undo it.
      const now = readRun(fresh);
      if (!now || now.step !== i || now.steps.join(',') !== state.steps.join(',')) {
        throw new CliError(
          `the run of canary ${o.canary} was ended by another command during step ${i + 1} of ${n} (its record on the Deployment is gone or changed); stopping without changing anything`,
        );
      }
      if (analysis) {
        // Kept on the canary for `canary status`, written over what this run saw.
        fresh = await kube.patch<Deployment>(ref, {
          metadata: { resourceVersion: version, ...(analysisPatch(analysis) as { metadata: object }).metadata },
        });
        version = fresh.metadata?.resourceVersion;
      }
      const check = verdict(fresh, summary, o.limits);
      if (analysis?.verdict === 'fail') check.reasons.push(...reasons(analysis, 'fail'));
      if (analysis?.verdict === 'unknown' && metrics?.options.onNoData !== 'pass') check.reasons.push(...reasons(analysis, 'unknown'));
      check.ok = check.reasons.length === 0;
      if (!check.ok) {
        say(`step ${i + 1}/${n} failed: ${check.reasons.join('; ')}; aborting`);
        const failed = `canary ${o.canary} failed at step ${i + 1} of ${n} (${percent}%): ${check.reasons.join('; ')}`;
        try {
          await abortCanary(ctx, { ...o, lines: true });
        } catch (err) {
          // The failure comes first; how far the abort got comes with it.
          throw new CliError(
            `${failed}; the abort did not finish (${err instanceof Error ? err.message : String(err)}); run it again: kubectl canary abort ${o.canary} -n ${ns}`,
          );
        }
        throw new CliError(`${failed}; it was aborted and all traffic is back on the stable version`);
      }
      say(`step ${i + 1}/${n}: ok`);
    }
    if (signal.aborted) return interrupted(n - 1, true);
    const promoted = await promoteCanary(ctx, { ...o, lines: true, deleteStable: false });
    const line = `canary ${o.canary} ${dry ? 'would be promoted' : 'promoted'} after ${counted(n, 'step')}: all traffic of service/${promoted.t.service.metadata?.name}`;
    const r = canaryChange('CanaryRun', promoted, o.dryRun, { steps: state.steps, fromStep: state.step + 1, outcome: 'promoted' }, [line]);
    await printChange(out, o.output, { ...r, fields: { ...r.fields, before: before ?? r.fields.before } });
    return 0;
  },
});

interface StepMetrics {
  prom: PrometheusClient;
  options: MetricOptions;
  target: { namespace: string; canary: string; stable?: string | undefined; windowMs: number };
}

/** The Prometheus client and what the checks ask about; --relative needs a stable version to compare with. */
function metricsFor(ctx: CommandContext, o: Options, m: MetricOptions, ns: string, stable: string | undefined): StepMetrics {
  const needsStable = m.limits.relative || m.limits.queries.some((q) => /\{\{\s*stable\s*\}\}/.test(q.query));
  if (needsStable && !stable)
    throw new CliError(`deployment "${o.canary}" shares no Service with a stable Deployment in namespace "${ns}": --relative has nothing to compare it with`);
  const target = { namespace: ns, canary: o.canary, stable: needsStable ? stable : undefined, windowMs: o.intervalMs };
  for (const q of m.limits.queries) {
    const missing = unfilled(q.query, target);
    if (missing.length)
      throw new UsageError(`--query ${q.name} uses {{${missing[0]}}}, which has no value; use {{namespace}}, {{canary}}, {{stable}} or {{interval}}`);
  }
  return { prom: prometheusClient(m.source, () => ctx.kube()), options: m, target };
}

/**
 * One analysis round over the step's interval, printed as one line. With --on-no-data wait, too little
 * traffic means watching another interval and asking again, until --timeout has passed.
 */
async function judgeStep(
  ctx: CommandContext,
  o: Options,
  m: StepMetrics,
  step: { index: number; of: number; weight: number },
  signal: AbortSignal,
  say: (line: string) => void,
): Promise<Analysis | 'interrupted'> {
  const label = `step ${step.index + 1}/${step.of}`;
  const deadline = ctx.clock.now().getTime() + o.timeoutMs;
  for (;;) {
    const a: Analysis = { ...(await analyze(m.prom, m.target, m.options.limits, () => ctx.clock.now())), step };
    const shown = a.checks.filter((c) => c.status !== 'pass' || c.name !== 'requests').map((c) => c.message);
    const requests = a.checks.find((c) => c.name === 'requests');
    say(`${label}: analysis ${a.verdict}: ${[requests?.message, ...shown.filter((x) => x !== requests?.message)].filter(Boolean).join('; ')}`);
    if (ctx.verbosity > 0) ctx.stderr.write(`I: ${a.requests} queries to ${a.source} answered and judged in ${a.elapsedMs} ms\n`);
    if (a.verdict !== 'unknown' || m.options.onNoData !== 'wait') return a;
    if (ctx.clock.now().getTime() + o.intervalMs > deadline) {
      say(`${label}: still no data after --timeout ${Math.round(o.timeoutMs / 1000)}s`);
      return a;
    }
    say(`${label}: too little traffic to judge; watching another ${Math.round(o.intervalMs / 1000)}s`);
    const watched = await watch(ctx, o.intervalMs, signal, () => {});
    if (!watched) return 'interrupted';
  }
}

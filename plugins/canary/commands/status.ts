// kubectl canary status [<canary>]: where each canary stands: Service, versions, replicas desired and
// ready, the weight set and the weight in effect (ready pods), and health. -o json|yaml for scripts;
// --fail-on-degraded exits 3 when a canary is degraded, so CI can gate on it.
import { ExitCode } from '../../../shared/exit-codes.js';
import { bool, defineCommand, str } from '../../../shared/cli/command.js';
import { allNamespacesFlag, outputFlag, readOutput } from '../../../shared/cli/flags.js';
import { watchOutput, watchTimeout } from '../../../shared/cli/watch.js';
import { SilentExit } from '../../../shared/errors.js';
import { ALL_NAMESPACES } from '../../../shared/kube/object.js';
import { TEMPLATE_FORMATS, type OutputFormat } from '../../../shared/output/format.js';
import { outputApiVersion } from '../../../shared/output/api.js';
import { print } from '../../../shared/output/print.js';
import { dnsSubdomain } from '../../../shared/validate.js';
import { analysisLine, bar, canaryViews, type CanaryView } from '../status.js';
import { listCanaryObjects } from '../observe.js';
import { CliError } from '../../../shared/errors.js';
import type { CommandContext } from '../../../shared/context.js';
import { NAMES } from '../../../shared/commands/complete-names.js';

interface Options {
  canary?: string | undefined;
  allNamespaces: boolean;
  output: OutputFormat;
  failOnDegraded: boolean;
  watch: boolean;
  watchTimeoutSeconds?: number | undefined;
}

const FORMATS = ['table', 'wide', 'json', 'yaml', ...TEMPLATE_FORMATS] as const;

export const statusCommand = defineCommand<Options>({
  command: 'status [canary]',
  completions: { canary: NAMES.deployment },
  describe: 'Show canaries: versions, replicas, the weight set and in effect, health (exit 3 with --fail-on-degraded)',
  examples: [
    ['$0 status new-nginx', 'One canary, with a bar per version'],
    ['$0 status -A -o json', 'Every canary in the cluster, for scripts'],
    ['$0 status new-nginx --fail-on-degraded', 'Exit 3 if it is degraded (CI gate)'],
  ],
  builder: (y) =>
    allNamespacesFlag(outputFlag(y, FORMATS))
      .positional('canary', { type: 'string', describe: 'A canary Deployment (default: every canary a set has recorded)' })
      .option('fail-on-degraded', { type: 'boolean', default: false, describe: `Exit ${ExitCode.gateFailed} when a canary is degraded` })
      .option('watch', { alias: 'w', type: 'boolean', default: false, describe: 'Keep watching: print again whenever something changes (Ctrl-C to stop)' })
      .option('watch-timeout', { type: 'number', hidden: true, describe: 'Seconds one watch request lasts before it is opened again' }),
  options: (args) => {
    const canary = str(args, 'canary');
    return {
      canary: canary === undefined ? undefined : dnsSubdomain(canary, 'deployment name'),
      allNamespaces: bool(args, 'all-namespaces'),
      output: readOutput(args, FORMATS),
      failOnDegraded: bool(args, 'fail-on-degraded'),
      watch: bool(args, 'watch'),
      watchTimeoutSeconds: watchTimeout(args),
    };
  },
  run: async (ctx, o) => {
    if (!o.watch) return showStatus(ctx, o);
    return watchOutput(ctx, (c) => showStatus(c, { ...o, failOnDegraded: false }), { timeoutSeconds: o.watchTimeoutSeconds });
  },
});

async function showStatus(ctx: CommandContext, o: Options): Promise<void> {
  const kube = ctx.kube();
  const namespace = o.allNamespaces ? ALL_NAMESPACES : kube.namespace;
  // Four paginated lists, whatever the number of canaries: no request per object.
  const { deployments, services, istio } = await listCanaryObjects(ctx, namespace, true);
  const views = canaryViews(deployments, services, o.canary, istio);
  if (o.canary && views.length === 0) {
    const exists = deployments.some((d) => d.metadata?.name === o.canary);
    throw new CliError(
      exists
        ? `deployment "${o.canary}" shares no Service with another Deployment in namespace "${kube.namespace}": it is not a canary`
        : `deployment "${o.canary}" not found in namespace "${kube.namespace}"`,
    );
  }
  if (views.length === 0 && (o.output === 'table' || o.output === 'wide')) {
    // As kubectl does for an empty list: nothing on stdout, a note on stderr.
    ctx.stderr.write(
      `No canaries found${o.allNamespaces ? '' : ` in namespace "${kube.namespace}"`} (a canary is listed after its first 'kubectl canary set')\n`,
    );
    return;
  }
  const wide = o.output === 'wide';
  const pct = (x: number) => `${x}%`;
  await print(ctx, o.output, {
    data: { apiVersion: outputApiVersion('canary'), kind: 'CanaryStatusList', items: views },
    rows: views,
    columns: [
      ...(o.allNamespaces ? [{ header: 'Namespace', value: (v: CanaryView) => v.namespace }] : []),
      { header: 'Canary', value: (v: CanaryView) => v.canary.deployment },
      { header: 'Stable', value: (v: CanaryView) => v.stable.deployment },
      { header: 'Service', value: (v: CanaryView) => v.service },
      { header: 'Mode', value: (v: CanaryView) => v.mode },
      { header: 'Weight', value: (v: CanaryView) => pct(v.canary.weight) },
      { header: 'Effective', value: (v: CanaryView) => pct(v.canary.effectiveWeight) },
      { header: 'Canary-Ready', value: (v: CanaryView) => `${v.canary.ready}/${v.canary.desired}` },
      { header: 'Stable-Ready', value: (v: CanaryView) => `${v.stable.ready}/${v.stable.desired}` },
      {
        header: 'Status',
        value: (v: CanaryView) => (ctx.color && v.health !== 'Healthy' ? ctx.paint(v.health === 'Degraded' ? 'red' : 'yellow', v.health) : v.health),
      },
      { header: 'Traffic', value: (v: CanaryView) => `${bar(v.canary.effectiveWeight)} ${pct(v.canary.effectiveWeight)}`, wide: true },
      { header: 'Analysis', value: (v: CanaryView) => v.lastAnalysis?.verdict ?? '-', wide: true },
    ],
  });
  for (const v of views.filter((x) => x.failingWeight)) {
    ctx.warn(`${v.failingWeight}% of the traffic of service/${v.service} (virtualservice/${v.virtualService}) goes to a subset with no ready pod and fails`);
  }
  if (!wide && o.output === 'table' && o.canary && views.length === 1) {
    const v = views[0];
    ctx.stdout.write(
      `\n${v.canary.deployment.padEnd(20)} ${bar(v.canary.effectiveWeight)} ${pct(v.canary.effectiveWeight)}\n${v.stable.deployment.padEnd(20)} ${bar(v.stable.effectiveWeight)} ${pct(v.stable.effectiveWeight)}\n`,
    );
    if (v.lastAnalysis) ctx.stdout.write(`\nLast analysis: ${analysisLine(v.lastAnalysis)}\n`);
  }
  if (o.failOnDegraded && views.some((v) => v.health === 'Degraded')) throw new SilentExit(ExitCode.gateFailed);
}

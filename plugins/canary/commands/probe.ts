// kubectl canary probe <url>: the seed's curl loop, done properly. Sends --count requests (bounded
// concurrency, a deadline each), and prints which versions answered (with 95% intervals), errors and
// latency (shared/probe/cli.ts). With --canary, compares the canary's observed share with the weight
// it is set to.
import { defineCommand, str } from '../../../shared/cli/command.js';
import { UsageError } from '../../../shared/errors.js';
import {
  compareShare,
  comparisonText,
  printProbe,
  probeFlags,
  readProbeArgs,
  runProbe,
  type ProbeArgs,
  type ShareComparison,
} from '../../../shared/probe/cli.js';
import { dnsSubdomain } from '../../../shared/validate.js';
import { canaryViews } from '../status.js';
import { listCanaryObjects } from '../observe.js';

interface Options extends ProbeArgs {
  canary?: string | undefined;
}

export interface CanaryComparison extends ShareComparison {
  canary: string;
}

export const probeCommand = defineCommand<Options>({
  command: 'probe <url>',
  describe: 'Send requests and show which versions answer, errors and latency; with --canary, compare with the weight set',
  examples: [
    ['$0 probe http://203.0.113.10/ --count 200', 'Which version answers, how often (a counted curl loop)'],
    ['$0 probe http://127.0.0.1:8080/ --host nginx.default --canary new-nginx', 'Does the observed share match the weight set?'],
    ['$0 probe http://gw/ -H "end-user: jason" --version-header x-version', 'A header route, versions from a response header'],
  ],
  builder: (y) => probeFlags(y).option('canary', { type: 'string', describe: 'Compare the share of this canary Deployment with the weight it is set to' }),
  options: (args) => {
    const canary = str(args, 'canary');
    return { ...readProbeArgs(args), canary: canary === undefined ? undefined : dnsSubdomain(canary, 'deployment name') };
  },
  run: async (ctx, o) => {
    // The weight the canary is set to, read before probing (the cluster is only needed with --canary).
    let expected: { canary: string; version: string; configured: number } | undefined;
    if (o.canary) {
      const kube = ctx.kube();
      const { deployments, services, istio } = await listCanaryObjects(ctx, kube.namespace, true);
      const view = canaryViews(deployments, services, o.canary, istio)[0];
      if (!view) throw new UsageError(`deployment "${o.canary}" in namespace "${kube.namespace}" is not a canary (no Service shared with a stable Deployment)`);
      const d = deployments.find((x) => x.metadata?.name === o.canary)!;
      const labels = d.spec?.template?.metadata?.labels ?? {};
      expected = { canary: o.canary, version: labels['version'] ?? labels['app.kubernetes.io/version'] ?? o.canary, configured: view.canary.weight };
    }
    const s = await runProbe(ctx, o);
    const comparison: CanaryComparison | undefined = expected
      ? { canary: expected.canary, ...compareShare(s, expected.version, expected.configured) }
      : undefined;
    const line = comparison ? `canary ${comparison.canary} (version ${comparison.version}): ${comparisonText(comparison)}` : undefined;
    await printProbe(ctx, o, s, { ...(comparison ? { data: { canary: comparison } } : {}), lines: line ? [line] : [] });
  },
});

// kubectl bluegreen probe <url> --host mini-echo.io: the seed's curl check (which version answers,
// how often), with the probe shared with kubectl canary (shared/probe/cli.ts). With --route, each
// backend's observed share is set against the split the Ingress/HTTPRoute/VirtualService is set to.
import { defineCommand, str } from '../../../shared/cli/command.js';
import { CliError } from '../../../shared/errors.js';
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
import { detectProvider } from '../detect.js';
import { PROVIDERS } from '../model.js';
import { expectedShares, slotFor, type ExpectedShare } from '../expect.js';
import { observe, parseTarget } from '../observe.js';
import { targetName } from '../plan.js';
import type { Pod } from '../../../shared/kube/types.js';

interface Options extends ProbeArgs {
  route?: string | undefined;
  provider?: string | undefined;
}

type Comparison =
  (ShareComparison & { service: string }) | { service: string; configuredPercent: number; version?: undefined; consistent?: undefined; why: string };

export const probeCommand = defineCommand<Options>({
  command: 'probe <url>',
  describe: 'Send requests and show which versions answer (with 95% intervals), errors and latency; with --route, compare with the split set',
  examples: [
    ['$0 probe http://203.0.113.10/ --host mini-echo.io', "Like curl -H 'Host: mini-echo.io' 100 times: which version answers, how often"],
    ['$0 probe http://203.0.113.10/ --host mini-echo.io --route echo', 'Does each version get the share the Ingress echo is set to?'],
    ['$0 probe http://gw/ --host mini-echo.io -H "x-env: test" --route echo', 'What a preview header reaches'],
  ],
  builder: (y) =>
    probeFlags(y)
      .option('route', { type: 'string', describe: 'Compare with the split of this Ingress, HTTPRoute or VirtualService (NAME or KIND/NAME)' })
      .option('provider', { type: 'string', choices: [...PROVIDERS], describe: 'How to read the split (default: detected)' }),
  options: (args) => {
    const route = str(args, 'route');
    if (route !== undefined) parseTarget(route);
    return { ...readProbeArgs(args), route, provider: str(args, 'provider') };
  },
  run: async (ctx, o) => {
    // The split is read before probing (the cluster is only needed with --route).
    let expected: { what: string; shares: ExpectedShare[] } | undefined;
    if (o.route) {
      const kube = ctx.kube();
      const [cluster, pods] = await Promise.all([observe(kube, o.route, o.provider), kube.list<Pod>('v1', 'Pod')]);
      const provider = detectProvider(cluster.target, { ingresses: cluster.ingresses, classes: cluster.classes, explicit: o.provider });
      const host = o.headers['host'] ?? o.url.hostname;
      const slot = slotFor(provider.read(cluster).slots, host, o.url.pathname);
      if (!slot) throw new CliError(`${targetName(cluster)} has no route for host "${host}" and path "${o.url.pathname}"; give the host with --host`);
      expected = { what: `${targetName(cluster)} ${slot.host}${slot.path}`, shares: expectedShares(slot, o.headers, cluster.services, pods) };
    }
    const s = await runProbe(ctx, o);
    const comparisons: Comparison[] = (expected?.shares ?? []).map((e) =>
      e.version !== undefined
        ? { service: e.service, ...compareShare(s, e.version, e.percent) }
        : { service: e.service, configuredPercent: e.percent, why: 'its pods carry no single version label' },
    );
    const lines = comparisons.map((c) =>
      c.version !== undefined
        ? `service ${c.service} (version ${c.version}): ${comparisonText(c)}`
        : `service ${c.service}: set to ${c.configuredPercent}%, not compared: ${'why' in c ? c.why : ''}`,
    );
    if (expected) lines.unshift(`split of ${expected.what}:`);
    await printProbe(ctx, o, s, { ...(expected ? { data: { route: expected.what, backends: comparisons } } : {}), lines });
    if (comparisons.some((c) => c.consistent === false))
      ctx.warn('an observed share is not consistent with the split set (routing not updated yet, or another router in the way?)');
  },
});

// kubectl canary route <service> --header end-user=jason --to v2: send the requests that match to one
// version (seed 002's header route), before every other route; --remove takes it out again, with the
// subset it added when nothing else uses it. Matches: exact, prefix and regex headers, and cookies.
import { bool, defineCommand, requiredStr, str, strList } from '../../../shared/cli/command.js';
import { dryRunFlag, outputFlag, readDryRun, readOutput } from '../../../shared/cli/flags.js';
import type { Args } from '../../../shared/cli/command.js';
import { CliError, UsageError } from '../../../shared/errors.js';
import { type DryRun } from '../../../shared/kube/object.js';
import { retryOnConflict } from '../../../shared/kube/conflict.js';
import { markManaged } from '../../../shared/kube/ownership.js';
import { applyPlan, executePlan, type Change } from '../../../shared/kube/plan.js';
import type { OutputFormat } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { outputDocument } from '../../../shared/output/api.js';
import { dnsSubdomain, headerValue, httpToken, keyValue, re2Pattern, serviceName } from '../../../shared/validate.js';
import { cookieMatch, describeMatch, planRoute, type HeaderMatch, type MatchKind, type RoutePlan, type RuleWrite } from '../header-route.js';
import { listCanaryObjects } from '../observe.js';
import { routingVirtualServices, selects } from '../topology.js';
import { NAMES } from '../../../shared/commands/complete-names.js';

interface Options {
  service: string;
  matches: HeaderMatch[];
  to?: string | undefined;
  dryRun: DryRun;
  output: OutputFormat;
}

async function readMatches(args: Args): Promise<HeaderMatch[]> {
  const matches: HeaderMatch[] = [];
  const flags: [string, MatchKind][] = [
    ['header', 'exact'],
    ['header-prefix', 'prefix'],
    ['header-regex', 'regex'],
  ];
  for (const [flag, kind] of flags) {
    for (const raw of strList(args, flag)) {
      const [name, value] = keyValue(raw, `--${flag}`);
      const header = name.trim().toLowerCase();
      httpToken(header); // Istio wants header names in lower case
      if (value === '') throw new UsageError(`--${flag} "${raw}" needs a value after '='`);
      matches.push({ header, kind, value: kind === 'regex' ? await re2Pattern(value, `--${flag}`) : headerValue(value, `--${flag} value`) });
    }
  }
  const cookie = str(args, 'cookie');
  if (cookie !== undefined) {
    const [name, value] = keyValue(cookie, '--cookie');
    if (value === '') throw new UsageError(`--cookie "${cookie}" must look like name=value`);
    httpToken(name, 'HTTP cookie name');
    if (matches.some((m) => m.header === 'cookie')) throw new UsageError('--cookie and a --header on "cookie" cannot be combined');
    matches.push(cookieMatch(name, value));
  }
  const seen = new Set<string>();
  for (const m of matches) {
    if (seen.has(m.header)) throw new UsageError(`header "${m.header}" is given twice; one condition per header`);
    seen.add(m.header);
  }
  if (matches.length === 0) throw new UsageError('say which requests to route: --header NAME=VALUE, --header-prefix, --header-regex or --cookie NAME=VALUE');
  return matches;
}

function ruleChangeOf(w: RuleWrite, plugin: string): Change {
  const m = w.object.metadata ?? {};
  const ref = { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', name: m.name ?? '', namespace: m.namespace };
  if (w.action === 'create') return { action: 'create', object: markManaged(w.object, plugin) };
  if (w.action === 'delete') return { action: 'delete', ref };
  return { action: 'patch', ref, patch: { metadata: { ...m, ...(w.state ? { annotations: w.state } : {}) }, spec: w.object.spec }, verb: 'configured' };
}

function changesOf(plan: RoutePlan, plugin: string): Change[] {
  const vs = plan.virtualService;
  const route: Change[] = vs
    ? [
        {
          action: 'patch',
          ref: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', name: vs.metadata?.name ?? '', namespace: vs.metadata?.namespace },
          patch: { metadata: vs.metadata, spec: vs.spec },
          verb: 'configured',
        },
      ]
    : [];
  if (!plan.rule) return route;
  const rule = ruleChangeOf(plan.rule, plugin);
  return plan.rule.order === 'before' ? [rule, ...route] : [...route, rule];
}

export const routeCommand = defineCommand<Options>({
  command: 'route <service>',
  completions: { service: NAMES.service },
  describe: 'Send requests with a header or cookie to one version (Istio), before every other route; --remove takes the route out again',
  examples: [
    ['$0 route reviews --header end-user=jason --to v2', "User jason's requests (header end-user: jason) go to subset v2"],
    ['$0 route reviews --header-regex "user-agent=.*Mobile.*" --to reviews-v3', 'A Deployment works too (a subset is made for it)'],
    ['$0 route reviews --cookie canary=always --to v2', 'Requests carrying the cookie canary=always'],
    ['$0 route reviews --header end-user=jason --remove', 'Take the route out, and the subset it added'],
  ],
  builder: (y) =>
    dryRunFlag(outputFlag(y, ['table', 'json', 'yaml']))
      .positional('service', { type: 'string', describe: 'The Service whose VirtualService gets the route' })
      .option('header', { type: 'string', array: true, describe: 'Header equal to a value: NAME=VALUE (repeatable; all must match)' })
      .option('header-prefix', { type: 'string', array: true, describe: 'Header starting with a value: NAME=PREFIX' })
      .option('header-regex', { type: 'string', array: true, describe: 'Header matching an RE2 expression: NAME=REGEX' })
      .option('cookie', { type: 'string', describe: 'A cookie with this value: NAME=VALUE' })
      .option('to', { type: 'string', describe: "Where matching requests go: a subset of the Service's DestinationRule, or a Deployment behind it" })
      .option('remove', { type: 'boolean', default: false, describe: 'Remove the route with this match (and a subset it added, when unused)' }),
  options: async (args) => {
    const to = str(args, 'to');
    const remove = bool(args, 'remove');
    if (remove === (to !== undefined))
      throw new UsageError(
        remove ? '--remove takes no --to: the route is found by its match' : 'say where matching requests go with --to <subset-or-deployment> (or --remove)',
      );
    return {
      service: serviceName(requiredStr(args, 'service')),
      matches: await readMatches(args),
      to: to === undefined ? undefined : dnsSubdomain(to, '--to'),
      dryRun: readDryRun(args),
      output: readOutput(args, ['table', 'json', 'yaml']),
    };
  },
  run: async (ctx, o) => {
    const kube = ctx.kube();
    const ns = kube.namespace;
    const lines = o.output === 'table';
    let plan: RoutePlan | undefined;
    let vsName = '';
    // Every write is conditional on the version read: a concurrent change re-reads and re-plans.
    await retryOnConflict(async () => {
      const { deployments, services, istio } = await listCanaryObjects(ctx, ns);
      const service = services.find((s) => s.metadata?.name === o.service);
      if (!service) throw new CliError(`service "${o.service}" not found in namespace "${ns}"`);
      const routing = routingVirtualServices(istio.virtualServices, o.service, ns);
      if (routing.length !== 1) {
        throw new CliError(
          routing.length
            ? `several VirtualServices route service "${o.service}": ${routing.map((v) => v.metadata?.name).join(', ')}; a header route belongs in one of them`
            : `no VirtualService in namespace "${ns}" routes service "${o.service}"; create one with a default route to it first`,
        );
      }
      const vs = routing[0];
      vsName = vs.metadata?.name ?? '';
      const labels = (d: (typeof deployments)[number]) => d.spec?.template?.metadata?.labels ?? {};
      const behind = deployments.filter((d) => selects(service.spec?.selector, labels(d)));
      plan = planRoute({
        svc: { namespace: ns, service },
        behind,
        vs,
        virtualServices: istio.virtualServices,
        rules: istio.destinationRules,
        matches: o.matches,
        to: o.to,
      });
      const changes = changesOf(plan, ctx.plugin);
      if (o.dryRun !== 'none') {
        if (lines) await executePlan(ctx, changes, o.dryRun);
        else if (o.dryRun === 'server') await applyPlan(kube, changes, 'server');
        return;
      }
      for (const r of await applyPlan(kube, changes, 'none')) if (lines) ctx.stdout.write(`${r.line}\n`);
    }, ctx);
    const p = plan!;
    const match = describeMatch(o.matches);
    if (!lines) {
      return print(ctx, o.output, {
        data: outputDocument('canary', 'CanaryRoute', {
          service: o.service,
          namespace: ns,
          virtualService: vsName,
          match,
          action: p.action,
          ...(p.subset ? { subset: p.subset } : {}),
          dryRun: o.dryRun !== 'none',
        }),
        rows: [],
        columns: [],
      });
    }
    const would = o.dryRun === 'none' ? '' : ' (dry run)';
    const said: Record<RoutePlan['action'], string> = {
      added: `route ${match} -> subset ${p.subset} added to virtualservice/${vsName}${would}`,
      moved: `route ${match} now goes to subset ${p.subset} in virtualservice/${vsName}${would}`,
      unchanged: `virtualservice.networking.istio.io/${vsName} unchanged\nroute ${match} already goes to subset ${p.subset}`,
      removed: `route ${match} removed from virtualservice/${vsName}${would}`,
      absent: `virtualservice.networking.istio.io/${vsName} unchanged\nno route ${match} in virtualservice/${vsName}: nothing to remove`,
    };
    ctx.stdout.write(`${said[p.action]}\n`);
  },
});

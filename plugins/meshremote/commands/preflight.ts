// kubectl meshremote preflight --context PRIMARY --remote-context R...: before joining clusters, what
// seed 001 chapter 6 requires and what istiod would silently refuse, checked on every cluster at once:
// reachability and versions, Pod and Service ranges with an overlap matrix, Istio and its version, trust
// roots, cluster names, networks; and what cannot be seen from here is said, not assumed.
// Exit codes: 0 nothing failed (warnings allowed), 3 a check failed (with --strict a warning too),
// 1 preflight could not run, 2 usage.
import { ExitCode } from '../../../shared/exit-codes.js';
import { bool, defineCommand } from '../../../shared/cli/command.js';
import { outputFlag, readOutput } from '../../../shared/cli/flags.js';
import type { CommandContext } from '../../../shared/context.js';
import { SilentExit } from '../../../shared/errors.js';
import { TEMPLATE_FORMATS, type OutputFormat } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { checkRemoteContext, istioNamespaceFlag, readIstioNamespace, readRemoteContexts, remoteContextFlag } from '../flags.js';
import { API_VERSION } from '../names.js';
import { overlapMatrix, preflightChecks, preflightExitCode, type Check, type Status } from '../preflight/checks.js';
import { observeCluster } from '../preflight/observe.js';

interface Options {
  remoteContexts: string[];
  namespace: string;
  output: OutputFormat;
  strict: boolean;
}

const FORMATS = ['table', 'wide', 'json', 'yaml', ...TEMPLATE_FORMATS] as const;
const COLOR: Record<Status, 'green' | 'yellow' | 'red' | 'gray'> = { PASS: 'green', WARN: 'yellow', FAIL: 'red', UNCHECKED: 'gray' };

function matrixText(contexts: string[], cells: ReturnType<typeof overlapMatrix>): string {
  const cell = (a: string, b: string) => {
    if (a === b) return '-';
    const c = cells.find((x) => (x.a === a && x.b === b) || (x.a === b && x.b === a));
    return !c ? '?' : c.overlaps.length ? `OVERLAP${c.inferred ? '?' : ''}` : 'ok';
  };
  const rows = [['', ...contexts], ...contexts.map((a) => [a, ...contexts.map((b) => cell(a, b))])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return (
    rows
      .map((r) =>
        r
          .map((v, i) => v.padEnd(widths[i]))
          .join('   ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export const preflightCommand = defineCommand<Options>({
  command: 'preflight',
  describe: `Check clusters before joining them: ranges, trust roots, names, networks, Istio (PASS/WARN/FAIL; exit ${ExitCode.gateFailed} on a FAIL)`,
  examples: [
    ['$0 preflight --context primary --remote-context remote1', 'The checks, the overlap matrix and the fixes'],
    ['$0 preflight --context primary --remote-context remote1 --remote-context remote2 -o json', 'For scripts: every fact read and every verdict'],
    ['$0 preflight --context primary --remote-context remote1 --strict || exit 1', 'A CI gate that fails on warnings too'],
  ],
  builder: (y) =>
    outputFlag(remoteContextFlag(istioNamespaceFlag(y), 'The kubeconfig context of a remote cluster (repeat for several)', true), FORMATS).option('strict', {
      type: 'boolean',
      default: false,
      describe: `Exit ${ExitCode.gateFailed} on warnings too`,
    }),
  options: (args) => ({
    remoteContexts: readRemoteContexts(args),
    namespace: readIstioNamespace(args),
    output: readOutput(args, FORMATS),
    strict: bool(args, 'strict'),
  }),
  complete: (ctx, o) => {
    for (const r of o.remoteContexts) checkRemoteContext(ctx, r);
    return Promise.resolve(o);
  },
  run: async (ctx: CommandContext, o) => {
    const facts = await Promise.all([
      observeCluster(ctx.kube(), 'primary', o.namespace),
      ...o.remoteContexts.map((r) => observeCluster(ctx.kubeFor(r), 'remote', o.namespace)),
    ]);
    const checks = preflightChecks(facts);
    const matrix = overlapMatrix(facts.filter((f) => f.reachable));
    const count = (s: Status) => checks.filter((c) => c.status === s).length;
    const summary = { pass: count('PASS'), warn: count('WARN'), fail: count('FAIL'), unchecked: count('UNCHECKED') };
    const paint = (s: Status) => (ctx.color ? ctx.paint(COLOR[s], s) : s);
    await print(ctx, o.output, {
      data: { apiVersion: API_VERSION, kind: 'MeshRemotePreflight', clusters: facts, overlaps: matrix, checks, summary },
      rows: checks,
      columns: [
        { header: 'Check', value: (c: Check) => c.check },
        { header: 'Cluster', value: (c) => c.clusters.join(',') },
        { header: 'Status', value: (c) => paint(c.status) },
        { header: 'Detail', value: (c) => c.detail },
        { header: 'Fix', value: (c) => c.fix, wide: true },
      ],
    });
    if (o.output === 'table' || o.output === 'wide') {
      const reachable = facts.filter((f) => f.reachable).map((f) => f.context);
      if (reachable.length > 1)
        ctx.stdout.write(`\nPod and Service ranges (OVERLAP? = a range inferred from sampled pod IPs):\n${matrixText(reachable, matrix)}`);
      const fixes = checks.filter((c) => c.fix && c.status !== 'PASS');
      if (fixes.length && o.output === 'table')
        ctx.stdout.write(`\nFixes:\n${fixes.map((c) => `  ${c.check} (${c.clusters.join(',')}): ${c.fix}`).join('\n')}\n`);
      ctx.stdout.write(`\n${summary.pass} passed, ${summary.warn} warned, ${summary.fail} failed, ${summary.unchecked} not checkable from here\n`);
    }
    const code = preflightExitCode(checks, o.strict);
    if (code) throw new SilentExit(code);
  },
});

// kubectl ingress-ha check: audit the ingress layer, one verdict per rule (PASS, WARN, FAIL) with the
// reason and the fix. Exit codes, for scripts and CI: 0 no rule failed (warnings allowed), 3 at least
// one FAIL (with --strict a WARN too), 1 the audit could not run (cluster unreachable...), 2 usage.
import { ExitCode } from '../../../shared/exit-codes.js';
import { bool, defineCommand, str } from '../../../shared/cli/command.js';
import { outputFlag, readOutput } from '../../../shared/cli/flags.js';
import { TEMPLATE_FORMATS, type OutputFormat } from '../../../shared/output/format.js';
import { outputApiVersion } from '../../../shared/output/api.js';
import { print } from '../../../shared/output/print.js';
import { dnsLabel } from '../../../shared/validate.js';
import { audit, checkExitCode, type Verdict } from '../audit.js';
import { podsOnExclusiveNodes, readLayer } from '../observe.js';

const FORMATS = ['table', 'wide', 'json', 'yaml', ...TEMPLATE_FORMATS] as const;

interface Options {
  output: OutputFormat;
  strict: boolean;
  name?: string | undefined;
}

export const checkCommand = defineCommand<Options>({
  command: 'check',
  describe: `Audit the ingress layer: PASS/WARN/FAIL per rule (exit ${ExitCode.gateFailed} on a FAIL)`,
  examples: [
    ['$0 check -n kube-system', 'The audit as a table, fixes below'],
    ['$0 check -n kube-system -o json', 'For scripts: every verdict and a summary'],
    ['$0 check -n kube-system --strict || exit 1', 'A CI gate that fails on warnings too'],
  ],
  builder: (y) =>
    outputFlag(y, FORMATS)
      .option('strict', { type: 'boolean', default: false, describe: `Exit ${ExitCode.gateFailed} on warnings too` })
      .option('name', { type: 'string', describe: 'Base name given to deploy (when several controllers share the namespace)' }),
  options: (args) => {
    const name = str(args, 'name');
    return {
      output: readOutput(args, FORMATS),
      strict: bool(args, 'strict'),
      name: name === undefined ? undefined : dnsLabel(name, '--name'),
    };
  },
  run: async (ctx, o) => {
    const kube = ctx.kube();
    const layer = await readLayer(kube, kube.namespace, ctx.plugin, o.name, 'check');
    const verdicts = audit({ ...layer, podsOnIngressNodes: await podsOnExclusiveNodes(kube, layer.nodes) });
    const count = (s: Verdict['status']) => verdicts.filter((v) => v.status === s).length;
    const summary = { pass: count('PASS'), warn: count('WARN'), fail: count('FAIL') };
    const paint = (s: Verdict['status']) => (ctx.color ? ctx.paint(s === 'PASS' ? 'green' : s === 'WARN' ? 'yellow' : 'red', s) : s);
    await print(ctx, o.output, {
      data: { apiVersion: outputApiVersion('ingress-ha'), kind: 'IngressCheck', namespace: layer.namespace, summary, items: verdicts },
      rows: verdicts,
      columns: [
        { header: 'Rule', value: (v: Verdict) => v.rule },
        { header: 'Status', value: (v: Verdict) => paint(v.status) },
        { header: 'Reason', value: (v: Verdict) => v.reason, wrap: true },
        { header: 'Fix', value: (v: Verdict) => v.fix, wide: true, wrap: true },
      ],
    });
    if (o.output === 'table') {
      const fixes = verdicts.filter((v) => v.fix);
      if (fixes.length) ctx.stdout.write(`\nFixes:\n${fixes.map((v) => `  ${v.rule}: ${v.fix}`).join('\n')}\n`);
      ctx.stdout.write(`\n${summary.pass} passed, ${summary.warn} warned, ${summary.fail} failed\n`);
    }
    return checkExitCode(verdicts, o.strict);
  },
});

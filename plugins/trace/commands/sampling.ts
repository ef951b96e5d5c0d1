// kubectl trace sampling <0-100> [-n NS | --selector k=v | --mesh-wide]: the share of requests traced,
// as a Telemetry at that scope (applied by istiod without restarting pods).
import { defineCommand, requiredStr, str } from '../../../shared/cli/command.js';
import { dryRunFlag, outputFlag, readDryRun, readOutput } from '../../../shared/cli/flags.js';
import type { FormatName } from '../../../shared/output/format.js';
import { percentage } from '../../../shared/validate.js';
import { istioNamespaceFlag, readIstioNamespace } from '../flags.js';
import { readScope, scopeFlags } from '../settings/scope.js';
import { writeTelemetry, type WriteOptions } from '../settings/write-telemetry.js';

interface Options extends WriteOptions {
  percent: number;
  provider?: string | undefined;
}

const FORMATS: readonly FormatName[] = ['table', 'json', 'yaml'];

export const samplingCommand = defineCommand<Options>({
  command: 'sampling <percent>',
  describe: 'Set the share of requests traced (0-100, in 0.01 steps) for a namespace, some workloads, or the whole mesh',
  examples: [
    ['$0 sampling 10 -n bookinfo', '10% of requests in namespace bookinfo'],
    ['$0 sampling 100 -n bookinfo --selector app=reviews,version=v2', 'Every request of reviews v2'],
    ['$0 sampling 1 --mesh-wide --provider zipkin', '1% everywhere, sent to the zipkin provider'],
  ],
  builder: (y) =>
    istioNamespaceFlag(scopeFlags(dryRunFlag(outputFlag(y, FORMATS))))
      .positional('percent', { type: 'string', describe: 'Percentage of requests to trace, 0-100 (e.g. 1, 0.5, 100)' })
      .option('provider', { type: 'string', describe: 'The tracing extension provider (by name) to send spans to (default: the mesh default)' }),
  options: (args) => {
    const percent = percentage(requiredStr(args, 'percent'), 'sampling percentage', true);
    return {
      ...readScope(args),
      percent: Math.round(percent * 100) / 100,
      provider: str(args, 'provider'),
      dryRun: readDryRun(args),
      output: readOutput(args, FORMATS),
      istioNamespace: readIstioNamespace(args),
    };
  },
  run: async (ctx, o) => writeTelemetry(ctx, o, { sampling: o.percent, ...(o.provider ? { provider: o.provider } : {}) }),
});

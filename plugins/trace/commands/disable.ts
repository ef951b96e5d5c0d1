// kubectl trace disable [-n NS | --selector k=v | --mesh-wide]: stop reporting spans at that scope
// (Telemetry disableSpanReporting; trace context is still propagated, so traces stay whole elsewhere).
import { defineCommand } from '../../../shared/cli/command.js';
import { dryRunFlag, outputFlag, readDryRun, readOutput } from '../../../shared/cli/flags.js';
import type { FormatName } from '../../../shared/output/format.js';
import { istioNamespaceFlag, readIstioNamespace } from '../flags.js';
import { readScope, scopeFlags } from '../settings/scope.js';
import { writeTelemetry, type WriteOptions } from '../settings/write-telemetry.js';

const FORMATS: readonly FormatName[] = ['table', 'json', 'yaml'];

export const disableCommand = defineCommand<WriteOptions>({
  command: 'disable',
  describe: 'Stop reporting spans for a namespace, some workloads, or the whole mesh (kubectl trace enable turns it back on)',
  examples: [
    ['$0 disable -n load-test', 'No spans from namespace load-test'],
    ['$0 disable -n bookinfo --selector app=ratings', 'No spans from ratings'],
    ['$0 disable --mesh-wide --dry-run=server', 'Check what turning it off everywhere would write'],
  ],
  builder: (y) => istioNamespaceFlag(scopeFlags(dryRunFlag(outputFlag(y, FORMATS)))),
  options: (args) => ({ ...readScope(args), dryRun: readDryRun(args), output: readOutput(args, FORMATS), istioNamespace: readIstioNamespace(args) }),
  run: async (ctx, o) => writeTelemetry(ctx, o, { disable: true }),
});

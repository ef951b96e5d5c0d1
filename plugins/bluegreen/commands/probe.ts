// kubectl bluegreen probe <url> --host mini-echo.io: the seed's curl check (which version answers,
// how often), with the probe shared with kubectl canary (shared/probe/cli.ts).
import { defineCommand } from '../../../shared/cli/command.js';
import { printProbe, probeFlags, readProbeArgs, runProbe, type ProbeArgs } from '../../../shared/probe/cli.js';

export const probeCommand = defineCommand<ProbeArgs>({
  command: 'probe <url>',
  describe: 'Send requests and show which versions answer (with 95% intervals), errors and latency',
  examples: [
    ['$0 probe http://101.37.224.229/ --host mini-echo.io', "Seed 001 chapter 2's curl -H 'Host: mini-echo.io', 100 times"],
    ['$0 probe http://gw/ --host mini-echo.io -H "x-env: test"', 'What a preview header reaches'],
  ],
  builder: probeFlags,
  options: readProbeArgs,
  run: async (ctx, o) => printProbe(ctx, o, await runProbe(ctx, o)),
});

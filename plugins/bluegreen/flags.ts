// Flags of the blue-green commands that change routing, and their reading into options.
import type { Argv } from 'yargs';
import { bool, requiredStr, str, type Args } from '../../shared/cli/command.js';
import { dryRunFlag, readDryRun } from '../../shared/cli/flags.js';
import { changeOutputFlag, readChangeOutput } from '../../shared/output/change.js';
import { hostName, httpPath, serviceName } from '../../shared/validate.js';
import { PROVIDERS } from './model.js';
import type { TargetOptions } from './mutate.js';
import { parseTarget } from './observe.js';

export function targetFlags(y: Argv): Argv {
  return dryRunFlag(changeOutputFlag(y))
    .positional('target', { type: 'string', describe: 'The Ingress, HTTPRoute or VirtualService (NAME or KIND/NAME)' })
    .option('host', { type: 'string', describe: 'Only this host (default: every host the object routes)' })
    .option('path', { type: 'string', describe: 'Only this path (default: every path)' })
    .option('provider', {
      type: 'string',
      choices: [...PROVIDERS],
      describe: 'How the split is written (default: detected from the object, its IngressClass and annotations)',
    })
    .option('force', { type: 'boolean', default: false, describe: 'Send traffic to a Service even when it has no ready endpoints' });
}

export function readTargetArgs(args: Args): TargetOptions {
  const path = str(args, 'path');
  const host = str(args, 'host');
  const target = requiredStr(args, 'target');
  parseTarget(target); // a kind or name mistake is a usage error before the cluster is asked
  return {
    target,
    // As Ingress and HTTPRoute hosts are written: lower case, "*." for a wildcard.
    host: host === undefined ? undefined : hostName(host, '--host', { wildcard: true, lowerCase: true }),
    path: path === undefined ? undefined : httpPath(path, '--path'),
    provider: str(args, 'provider'),
    dryRun: readDryRun(args),
    force: bool(args, 'force'),
    output: readChangeOutput(args),
  };
}

export function serviceArg(args: Args, key = 'service'): string {
  return serviceName(requiredStr(args, key));
}

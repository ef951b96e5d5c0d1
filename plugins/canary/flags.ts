// Flags, and their reading, shared by the canary commands that scale (set, promote, abort).
import type { Argv } from 'yargs';
import { bool, requiredStr, str, type Args } from '../../shared/cli/command.js';
import { dryRunFlag, readDryRun, readTimeout, timeoutFlag } from '../../shared/cli/flags.js';
import type { DryRun } from '../../shared/kube/object.js';
import { dnsSubdomain, serviceName } from '../../shared/validate.js';

export function scaleFlags(y: Argv): Argv {
  return timeoutFlag(dryRunFlag(y), '5m')
    .positional('canary', { type: 'string', describe: 'The canary Deployment' })
    .option('service', { type: 'string', describe: 'The Service both versions sit behind (when several select the canary)' })
    .option('stable', { type: 'string', describe: 'The stable Deployment (when the Service selects several besides the canary)' })
    .option('wait', { type: 'boolean', default: true, describe: 'Wait until the new replicas are ready' })
    .option('force', { type: 'boolean', default: false, describe: 'Scale even when a HorizontalPodAutoscaler targets the Deployments' });
}

export interface ScaleArgs {
  canary: string;
  service?: string | undefined;
  stable?: string | undefined;
  wait: boolean;
  timeoutMs: number;
  dryRun: DryRun;
  force: boolean;
}

export function readScaleArgs(args: Args): ScaleArgs {
  return {
    canary: dnsSubdomain(requiredStr(args, 'canary'), 'deployment name'),
    service: optional(str(args, 'service'), (v) => serviceName(v, '--service')),
    stable: optional(str(args, 'stable'), (v) => dnsSubdomain(v, '--stable')),
    wait: bool(args, 'wait'),
    timeoutMs: readTimeout(args),
    dryRun: readDryRun(args),
    force: bool(args, 'force'),
  };
}

const optional = (v: string | undefined, check: (v: string) => string) => (v === undefined ? undefined : check(v));

export type Mode = 'auto' | 'replicas' | 'istio';

export function modeFlag(y: Argv): Argv {
  return y.option('mode', {
    type: 'string',
    choices: ['auto', 'replicas', 'istio'],
    default: 'auto',
    describe: 'replicas: share of ready pods (L4); istio: VirtualService weights (L7); auto: istio when a VirtualService routes the Service',
  });
}

export function readMode(args: Args): Mode {
  return (str(args, 'mode') ?? 'auto') as Mode;
}

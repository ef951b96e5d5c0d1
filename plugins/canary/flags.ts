// Flags the canary commands that scale share.
import type { Argv } from 'yargs';

export function scaleFlags(y: Argv): Argv {
  return y
    .option('service', { type: 'string', describe: 'The Service both versions sit behind (when several select the canary)' })
    .option('stable', { type: 'string', describe: 'The stable Deployment (when the Service selects several besides the canary)' })
    .option('wait', { type: 'boolean', default: true, describe: 'Wait until the new replicas are ready' })
    .option('force', { type: 'boolean', default: false, describe: 'Scale even when a HorizontalPodAutoscaler targets the Deployments' });
}

import { definePlugin } from '../../shared/cli/plugin.js';
import { setCommand } from './commands/set.js';
import { abortCommand } from './commands/abort.js';
import { promoteCommand } from './commands/promote.js';
import { statusCommand } from './commands/status.js';
import { probeCommand } from './commands/probe.js';
import { routeCommand } from './commands/route.js';
import { runCommand } from './commands/run.js';
import { analyzeCommand } from './commands/analyze.js';

export const plugin = definePlugin({
  name: 'canary',
  summary: 'shift traffic to a new Deployment by replica ratio (L4) or Istio weights and header routes (L7)',
  examples: [
    ['kubectl canary set new-nginx 50', 'Half of the traffic to new-nginx (replica ratio behind the shared Service)'],
    ['kubectl canary status new-nginx', 'Replicas, weights set and in effect, health'],
    ['kubectl canary promote new-nginx', 'All traffic to new-nginx; old-nginx kept at 0 replicas'],
    ['kubectl canary abort new-nginx', 'All traffic back to old-nginx, with its replicas from before'],
    ['kubectl canary run new-nginx --steps 10,50,100 --interval 1m', 'Step by step, checked after each, then promoted'],
    ['kubectl canary analyze new-nginx --since 10m', "Error rate and p99 of the canary's real traffic in Prometheus; exit 3 when a check fails"],
    ['kubectl canary route reviews --header end-user=jason --to v2', 'Under Istio: requests with that header go to v2'],
    ['kubectl canary context', 'Show the cluster and namespace the plugin acts on'],
    ['kubectl canary completion --install-kubectl-helper', "Make 'kubectl canary <TAB>' complete"],
  ],
  commands: [setCommand, statusCommand, promoteCommand, abortCommand, routeCommand, probeCommand, runCommand, analyzeCommand],
});

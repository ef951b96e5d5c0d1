import { definePlugin } from '../../shared/cli/plugin.js';
import { setCommand } from './commands/set.js';

export const plugin = definePlugin({
  name: 'canary',
  summary: 'shift traffic to a new Deployment by replica ratio (L4) or Istio weights and header routes (L7)',
  examples: [
    ['kubectl canary set new-nginx 50', 'Half of the traffic to new-nginx (replica ratio behind the shared Service)'],
    ['kubectl canary context', 'Show the cluster and namespace the plugin acts on'],
    ['kubectl canary completion --install-kubectl-helper', "Make 'kubectl canary <TAB>' complete"],
  ],
  commands: [setCommand],
});

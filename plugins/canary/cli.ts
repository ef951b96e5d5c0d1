import { definePlugin } from '../../shared/cli/plugin.js';

export const plugin = definePlugin({
  name: 'canary',
  summary: 'shift traffic to a new Deployment by replica ratio (L4) or Istio weights and header routes (L7)',
  examples: [
    ['kubectl canary context', 'Show the cluster and namespace the plugin acts on'],
    ['kubectl canary completion --install-kubectl-helper', "Make 'kubectl canary <TAB>' complete"],
  ],
  commands: [],
});

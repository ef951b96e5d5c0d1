import { definePlugin } from '../../shared/cli/plugin.js';

export const plugin = definePlugin({
  name: 'meshvm',
  summary: 'bring virtual machines into an Istio mesh: register workloads, generate their bootstrap files',
  examples: [
    ['kubectl meshvm context -n bookinfo', 'Show the cluster the plugin acts on'],
    ['kubectl meshvm completion --install-kubectl-helper', "Make 'kubectl meshvm <TAB>' complete"],
  ],
  commands: [],
});

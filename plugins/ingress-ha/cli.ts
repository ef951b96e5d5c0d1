import { definePlugin } from '../../shared/cli/plugin.js';

export const plugin = definePlugin({
  name: 'ingress-ha',
  summary: 'a highly available ingress controller on dedicated labelled nodes, and an audit of it',
  examples: [
    ['kubectl ingress-ha context -n kube-system', 'Show the cluster the plugin acts on'],
    ['kubectl ingress-ha completion --install-kubectl-helper', "Make 'kubectl ingress-ha <TAB>' complete"],
  ],
  commands: [],
});

import { definePlugin } from '../../shared/cli/plugin.js';

export const plugin = definePlugin({
  name: 'bluegreen',
  summary: 'weighted split and switch between two Services at the Ingress layer (Alibaba, ingress-nginx, Gateway API, Istio)',
  examples: [
    ['kubectl bluegreen context -n shop', 'Show the cluster the plugin acts on, in namespace shop'],
    ['kubectl bluegreen completion --install-kubectl-helper', "Make 'kubectl bluegreen <TAB>' complete"],
  ],
  commands: [],
});

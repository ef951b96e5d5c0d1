import { definePlugin } from '../../shared/cli/plugin.js';

export const plugin = definePlugin({
  name: 'meshremote',
  summary: 'join clusters into one Istio mesh: reader credentials, remote secrets, preflight checks',
  examples: [
    ['kubectl meshremote context --context remote', 'Check that the remote cluster answers'],
    ['kubectl meshremote completion --install-kubectl-helper', "Make 'kubectl meshremote <TAB>' complete"],
  ],
  commands: [],
});

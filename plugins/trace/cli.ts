import { definePlugin } from '../../shared/cli/plugin.js';

export const plugin = definePlugin({
  name: 'trace',
  summary: 'Istio tracing settings, and traces from Zipkin or Jaeger shown in the terminal',
  examples: [
    ['kubectl trace context -n istio-system', 'Show the cluster the plugin acts on'],
    ['kubectl trace completion --install-kubectl-helper', "Make 'kubectl trace <TAB>' complete"],
  ],
  commands: [],
});

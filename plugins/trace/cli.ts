import { definePlugin } from '../../shared/cli/plugin.js';
import { servicesCommand } from './commands/services.js';
import { listCommand } from './commands/list.js';
import { showCommand } from './commands/show.js';
import { depsCommand } from './commands/deps.js';
import { enableCommand } from './commands/enable.js';
import { samplingCommand } from './commands/sampling.js';
import { disableCommand } from './commands/disable.js';
import { statusCommand } from './commands/status.js';

export const plugin = definePlugin({
  name: 'trace',
  summary: 'Istio tracing settings, and traces from Zipkin or Jaeger shown in the terminal',
  examples: [
    ['kubectl trace status -A', 'Where each namespace sends spans, at what sampling, and why'],
    ['kubectl trace sampling 10 -n bookinfo', 'Trace 10% of the requests in namespace bookinfo'],
    ['kubectl trace list --service productpage.default', 'Recent traces of productpage, newest first'],
    ['kubectl trace show 4bf92f3577b34da6a3ce929d0e0e4736', 'One trace as a waterfall, with its critical path'],
    ['kubectl trace deps -o mermaid', 'Which services call which, as a Mermaid flowchart'],
    ['kubectl trace context -n istio-system', 'Show the cluster the plugin acts on'],
    ['kubectl trace completion --install-kubectl-helper', "Make 'kubectl trace <TAB>' complete"],
  ],
  commands: [statusCommand, enableCommand, samplingCommand, disableCommand, servicesCommand, listCommand, showCommand, depsCommand],
});

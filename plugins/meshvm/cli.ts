import { definePlugin } from '../../shared/cli/plugin.js';
import { registerCommand } from './commands/register.js';
import { unregisterCommand } from './commands/unregister.js';
import { bootstrapCommand } from './commands/bootstrap.js';
import { groupCommand } from './commands/group.js';
import { exposeIstiodCommand } from './commands/expose-istiod.js';
import { iptablesCommand } from './commands/iptables.js';
import { checkCommand } from './commands/check.js';
import { setupCommand } from './commands/setup.js';
import { listCommand } from './commands/list.js';

export const plugin = definePlugin({
  name: 'meshvm',
  summary: 'bring virtual machines into an Istio mesh: register workloads, generate their bootstrap files',
  examples: [
    ['kubectl meshvm -n bookinfo register details 192.168.3.202 http:9080', 'The VM answers for details.bookinfo.svc.cluster.local'],
    ['kubectl meshvm context -n bookinfo', 'Show the cluster the plugin acts on'],
    ['kubectl meshvm completion --install-kubectl-helper', "Make 'kubectl meshvm <TAB>' complete"],
  ],
  commands: [registerCommand, unregisterCommand, listCommand, groupCommand, bootstrapCommand, setupCommand, exposeIstiodCommand, checkCommand, iptablesCommand],
});

import { definePlugin } from '../../shared/cli/plugin.js';
import { setCommand } from './commands/set.js';
import { switchCommand } from './commands/switch.js';
import { rollbackCommand } from './commands/rollback.js';
import { finalizeCommand } from './commands/finalize.js';
import { previewCommand } from './commands/preview.js';
import { statusCommand } from './commands/status.js';
import { probeCommand } from './commands/probe.js';

export const plugin = definePlugin({
  name: 'bluegreen',
  summary: 'blue-green at the Ingress: split, preview, switch between two Services',
  examples: [
    ['kubectl bluegreen set echo new-nginx 50', 'Half of the Ingress echo to new-nginx, the rest to the old Service'],
    ['kubectl bluegreen probe http://INGRESS-IP/ --host mini-echo.io', 'Which version answers, how often'],
    ['kubectl bluegreen switch echo new-nginx', 'All traffic to new-nginx (refused while it has no ready endpoints)'],
    ['kubectl bluegreen rollback echo', 'Back to the split from before'],
    ['kubectl bluegreen finalize echo --delete-old', 'new-nginx alone; weights, canary Ingresses and the old Service removed'],
    ['kubectl bluegreen status -A', 'Every split in progress, with ready endpoints'],
    ['kubectl bluegreen context -n shop', 'Show the cluster the plugin acts on, in namespace shop'],
    ['kubectl bluegreen completion --install-kubectl-helper', "Make 'kubectl bluegreen <TAB>' complete"],
  ],
  commands: [setCommand, switchCommand, rollbackCommand, finalizeCommand, previewCommand, statusCommand, probeCommand],
});

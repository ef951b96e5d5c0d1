import { definePlugin } from '../../shared/cli/plugin.js';
import { nodesCommand } from './commands/nodes.js';
import { deployCommand } from './commands/deploy.js';
import { checkCommand } from './commands/check.js';
import { statusCommand } from './commands/status.js';

export const plugin = definePlugin({
  name: 'ingress-ha',
  summary: 'a highly available ingress controller on dedicated labelled nodes, and an audit of it',
  examples: [
    ['kubectl ingress-ha nodes add node-a1 node-b1', 'Label two nodes (one per zone) node-role.kubernetes.io/ingress=true'],
    ['kubectl ingress-ha deploy -n kube-system --cloud alibaba', 'The controller as a DaemonSet on them, behind a LoadBalancer attaching only them'],
    ['kubectl ingress-ha deploy -n kube-system --adopt nginx-ingress-controller', 'Replace an existing controller Deployment without downtime'],
    ['kubectl ingress-ha check -n kube-system', 'Audit it: PASS/WARN/FAIL per rule (exit 3 on FAIL)'],
    ['kubectl ingress-ha status -n kube-system', 'Controller pod per node; the load balancer address'],
    ['kubectl ingress-ha context -n kube-system', 'Show the cluster the plugin acts on'],
    ['kubectl ingress-ha completion --install-kubectl-helper', "Make 'kubectl ingress-ha <TAB>' complete"],
  ],
  commands: [nodesCommand, deployCommand, checkCommand, statusCommand],
});

import { definePlugin } from '../../shared/cli/plugin.js';
import { createSecretCommand } from './commands/create-secret.js';
import { endpointsCommand } from './commands/endpoints.js';
import { generateKubeconfigCommand } from './commands/generate-kubeconfig.js';
import { linkCommand } from './commands/link.js';
import { listCommand } from './commands/list.js';
import { preflightCommand } from './commands/preflight.js';
import { rotateCommand } from './commands/rotate.js';
import { unlinkCommand } from './commands/unlink.js';

export const plugin = definePlugin({
  name: 'meshremote',
  summary: 'join clusters into one Istio mesh: preflight checks, reader credentials, remote secrets, and what istiod sees after',
  examples: [
    ['kubectl meshremote preflight --context primary --remote-context remote1', 'Ranges, trust roots, names, networks: PASS/WARN/FAIL (exit 3 on FAIL)'],
    ['kubectl meshremote link remote1 --context primary --remote-context remote1', 'Join remote1 to the primary and wait until istiod has synced it'],
    ['kubectl meshremote list --context primary', 'Each remote: does it answer with its credentials, token expiry, istiod sync status'],
    ['kubectl meshremote endpoints details.bookinfo --context primary', 'Where a service resolves across the linked clusters'],
    ['kubectl meshremote rotate remote1 --context primary --remote-context remote1', 'A new token without downtime; the old one revoked'],
    ['kubectl meshremote completion --install-kubectl-helper', "Make 'kubectl meshremote <TAB>' complete"],
  ],
  commands: [preflightCommand, linkCommand, unlinkCommand, listCommand, endpointsCommand, rotateCommand, generateKubeconfigCommand, createSecretCommand],
});

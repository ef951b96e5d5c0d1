// The six plugins one executable serves, and its own help for when it is started under its own name.
import { definePlugin } from '../shared/cli/plugin.js';
import type { PluginDefinition } from '../shared/cli/command.js';
import { plugin as canary } from '../plugins/canary/cli.js';
import { plugin as bluegreen } from '../plugins/bluegreen/cli.js';
import { plugin as ingressHa } from '../plugins/ingress-ha/cli.js';
import { plugin as meshvm } from '../plugins/meshvm/cli.js';
import { plugin as meshremote } from '../plugins/meshremote/cli.js';
import { plugin as trace } from '../plugins/trace/cli.js';

export const PLUGINS: ReadonlyMap<string, PluginDefinition> = new Map([canary, bluegreen, ingressHa, meshvm, meshremote, trace].map((p) => [p.name, p]));

/** The executable's own name (the file in release archives) and what it says about itself. */
export const MULTICALL = 'kubectl-traffic';

export const multicall = definePlugin({
  name: 'traffic',
  summary: `all six plugins in one executable: run it as kubectl-<plugin> (a link or copy with that name), or name the plugin first`,
  examples: [...PLUGINS.values()].map((p) => [`${MULTICALL} ${p.name} --help`, `kubectl ${p.name}: ${p.summary}`]),
  commands: [],
});

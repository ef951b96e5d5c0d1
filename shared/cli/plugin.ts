// A plugin = its own commands plus the ones every plugin has (context, completion).
import type { CommandNode, PluginDefinition } from './command.js';
import { contextCommand } from '../commands/context.js';
import { completionCommands } from '../commands/completion.js';

export function definePlugin(p: { name: string; summary: string; examples: [string, string][]; commands: CommandNode[] }): PluginDefinition {
  const plugin: PluginDefinition = { ...p, commands: [] };
  plugin.commands = [...p.commands, contextCommand, ...completionCommands(() => plugin)];
  return plugin;
}

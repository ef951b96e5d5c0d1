// In-memory streams and a runner for in-process CLI tests.
import type { IO, Writer } from '../../shared/context.js';
import { runCli } from '../../shared/run.js';
import type { PluginDefinition } from '../../shared/cli/command.js';

export class Buffer implements Writer {
  text = '';
  isTTY: boolean;
  constructor(isTTY = false) {
    this.isTTY = isTTY;
  }
  columns = 100;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  // What a terminal stream offers and spinners use.
  cursorTo(): boolean {
    return true;
  }
  moveCursor(): boolean {
    return true;
  }
  clearLine(): boolean {
    return true;
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runInProcess(plugin: PluginDefinition, argv: string[], env: NodeJS.ProcessEnv = {}, tty = false): Promise<RunResult> {
  const stdout = new Buffer(tty);
  const stderr = new Buffer(tty);
  const io: IO = { stdout, stderr, env: { HOME: '/nonexistent-home', ...env } };
  const code = await runCli(plugin, argv, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

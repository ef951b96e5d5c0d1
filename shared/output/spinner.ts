// Progress on stderr: an ora spinner on a terminal, plain lines (only when the text changes) otherwise,
// so logs from CI stay readable and stdout stays clean for data.
import type { Writer } from '../context.js';
import { painter } from './color.js';

export interface Progress {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  stop(): void;
}

export async function startProgress(stderr: Writer, isTTY: boolean, color: boolean, text: string, quiet = false): Promise<Progress> {
  if (quiet) return { update() {}, succeed() {}, fail() {}, stop() {} };
  if (isTTY) {
    const { default: ora } = await import('ora');
    const paint = painter(color);
    const spinner = ora({ text, stream: stderr as unknown as NodeJS.WritableStream, color: color ? 'cyan' : false, isEnabled: true }).start();
    return {
      update: (t) => void (spinner.text = t),
      // Marks painted by us, so --no-color holds (ora colours its own symbols from the environment).
      succeed: (t) => void spinner.stopAndPersist({ symbol: paint('green', '✔'), ...(t ? { text: t } : {}) }),
      fail: (t) => void spinner.stopAndPersist({ symbol: paint('red', '✖'), ...(t ? { text: t } : {}) }),
      stop: () => void spinner.stop(),
    };
  }
  let last = '';
  const line = (t: string) => {
    if (t !== last) stderr.write(`${t}\n`);
    last = t;
  };
  line(text);
  return { update: line, succeed: (t) => t && line(t), fail: (t) => t && line(t), stop() {} };
}

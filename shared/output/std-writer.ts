// stdout and stderr as the runner writes to them. A terminal gets Node's stream (spinners move its
// cursor, help wraps at its width). A pipe or file gets the bytes written straight to its descriptor:
// making process.stdout for a pipe loads and sets up Node's socket machinery, several ms of a start-up
// that only prints a few lines (Node writes pipes and files synchronously on Linux and macOS too).
import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import type { Writer } from '../context.js';

const made = new Map<1 | 2, Writer>();
/** Node's streams this process made for its descriptors (a terminal, or after EAGAIN). */
const streams = new Set<NodeJS.WriteStream>();

/**
 * The process's stdout (1) or stderr (2), one writer per descriptor; `closed` is called when the
 * reader has gone (`| head -1`: EPIPE), to stop quietly as kubectl does, never with a stack trace.
 */
export function stdWriter(fd: 1 | 2, closed: () => void): Writer {
  let w = made.get(fd);
  if (!w) made.set(fd, (w = isatty(fd) ? nodeStream(fd, closed) : directWriter(fd, closed)));
  return w;
}

/** Resolves once Node's streams have handed everything to the OS (direct writes are done when made). */
export async function stdFlushed(): Promise<void> {
  await Promise.all([...streams].map((s) => new Promise<void>((r) => s.write('', () => r()))));
}

function nodeStream(fd: 1 | 2, closed: () => void): NodeJS.WriteStream {
  const s = fd === 1 ? process.stdout : process.stderr;
  if (!streams.has(s)) {
    streams.add(s);
    // Whichever stream it was (`2>&1 | head -1` closes stderr too).
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') closed();
      else throw err;
    });
  }
  return s;
}

function directWriter(fd: 1 | 2, closed: () => void): Writer {
  // A descriptor left non-blocking by whoever opened it says EAGAIN when full: from then on, Node's
  // stream (it waits for the descriptor to drain).
  let stream: NodeJS.WriteStream | undefined;
  return {
    isTTY: false,
    columns: undefined,
    write(chunk: string) {
      if (stream) return stream.write(chunk);
      let b = Buffer.from(chunk);
      try {
        while (b.length > 0) b = b.subarray(writeSync(fd, b));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') {
          closed();
          return false;
        }
        if (code !== 'EAGAIN') throw err;
        stream = nodeStream(fd, closed);
        return stream.write(b);
      }
      return true;
    },
  };
}

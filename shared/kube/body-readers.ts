// Reading response bodies as they arrive: a list item by item (ListReader, so a page of full objects
// never sits in memory) and a watch one JSON event a line.
import type { Readable } from 'node:stream';
import { ListReader } from './lean.js';
import type { KubeObject, WatchEvent } from './object.js';

/** A list's items go to `each` as their text arrives; resolves to the list's other fields. Text that is not a list fails with `notJson()`. */
export function readListItems<T>(body: Readable, each: (item: unknown) => void, notJson: () => Error): Promise<T> {
  const reader = new ListReader(each);
  body.setEncoding('utf8');
  return new Promise<T>((resolve, reject) => {
    const fail = () => {
      body.destroy();
      reject(notJson());
    };
    body.on('data', (chunk: string) => {
      try {
        reader.push(chunk);
      } catch {
        fail();
      }
    });
    body.once('error', reject);
    body.once('end', () => {
      try {
        resolve(reader.end() as T);
      } catch {
        fail();
      }
    });
  });
}

/**
 * A watch's events, one JSON line each, to `onEvent`; resolves when the body closes (the server ended the
 * watch, or it was destroyed on purpose), rejects on a broken line or a failed connection.
 */
export function readWatchLines<T extends KubeObject>(body: Readable, onEvent: (e: WatchEvent<T>) => void, aborted: () => boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let rest = '';
    const lines = (text: string) => {
      const parts = (rest + text).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) if (line.trim()) onEvent(JSON.parse(line) as WatchEvent<T>);
    };
    body.setEncoding('utf8');
    body.on('data', (chunk: string) => {
      try {
        lines(chunk);
      } catch (err) {
        body.destroy();
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    body.once('error', reject);
    // Destroyed on purpose (the signal) or ended by the server: the watch is over either way.
    body.once('close', () => {
      if (rest.trim() && !aborted()) {
        try {
          lines('\n');
        } catch (err) {
          return reject(err instanceof Error ? err : new Error(String(err)));
        }
      }
      resolve();
    });
  });
}

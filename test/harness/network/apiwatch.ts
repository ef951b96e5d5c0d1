// A small Kubernetes client for processes inside a network namespace (the agent): client-cert TLS,
// list then watch with resourceVersion, relist when the watch expires, and merge-patches of status.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

export interface ApiAccess {
  server: string;
  ca: string;
  cert: string;
  key: string;
}

export interface WatchedObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export function apiAccessFromFiles(server: string, ca: string, cert: string, key: string): ApiAccess {
  return { server, ca: readFileSync(ca, 'utf8'), cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

export class ApiClient {
  private readonly agent: Agent;
  constructor(private readonly access: ApiAccess) {
    this.agent = new Agent({ keepAlive: true, ca: access.ca, cert: access.cert, key: access.key });
  }

  private open(method: string, path: string, body?: string, contentType?: string) {
    const u = new URL(this.access.server + path);
    return request({
      method,
      hostname: u.hostname,
      port: u.port,
      path: u.pathname + u.search,
      agent: this.agent,
      headers: {
        Accept: 'application/json',
        ...(body ? { 'Content-Type': contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) } : {}),
      },
    });
  }

  async json<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = this.open(method, path, payload, contentType);
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          (res.statusCode ?? 0) >= 300 ? reject(new Error(`${method} ${path}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`)) : resolve(JSON.parse(text) as T),
        );
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Keep `onSync` (the full list) and `onEvent` (each change) up to date for a collection until stop()
   * is called: list, watch from the list's resourceVersion, and list again whenever the watch ends.
   */
  watch(path: string, onSync: (items: WatchedObject[]) => void, onEvent: (type: string, obj: WatchedObject) => void): { stop: () => void } {
    let stopped = false;
    let current: ReturnType<typeof request> | undefined;
    const run = async () => {
      while (!stopped) {
        try {
          const list = await this.json<{ items: WatchedObject[]; metadata: { resourceVersion: string } }>('GET', path);
          onSync(list.items);
          await new Promise<void>((resolve) => {
            const sep = path.includes('?') ? '&' : '?';
            current = this.open('GET', `${path}${sep}watch=1&allowWatchBookmarks=true&timeoutSeconds=240&resourceVersion=${list.metadata.resourceVersion}`);
            current.on('response', (res) => {
              let buf = '';
              res.setEncoding('utf8');
              res.on('data', (c: string) => {
                buf += c;
                for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
                  const line = buf.slice(0, i);
                  buf = buf.slice(i + 1);
                  if (!line.trim()) continue;
                  const ev = JSON.parse(line) as { type: string; object: WatchedObject };
                  if (ev.type === 'ERROR') return void res.destroy(); // 410 Gone: list again
                  if (ev.type !== 'BOOKMARK') onEvent(ev.type, ev.object);
                }
              });
              res.on('end', resolve);
              res.on('close', resolve);
              res.on('error', () => resolve());
            });
            current.on('error', () => resolve());
            current.end();
          });
        } catch {
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    };
    void run();
    return {
      stop: () => {
        stopped = true;
        current?.destroy();
      },
    };
  }

  close(): void {
    this.agent.destroy();
  }
}

// A TCP relay on loopback that delays every chunk by a fixed time each way, so a cluster on this
// machine answers as one across a WAN would (a round trip of 2 x delay plus the server's own time).
// TLS passes through untouched. For measuring what parallel requests to distant clusters save.
// In process (latencyRelay) for async callers; in a child process (relaysInChild) for callers that block
// their event loop, as the benches' spawnSync does (an in-process relay would stall with them).
//   node build/test/harness/latency.js <delay-ms> <https://host:port>...   prints the relays' URLs as JSON
import { spawn } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface LatencyRelay {
  /** https://127.0.0.1:<port>: the server to put in a kubeconfig instead of the target. */
  url: string;
  close(): Promise<void>;
}

/** Relay loopback connections to `target` (host:port), each chunk delayed by `delayMs` in each direction. */
export async function latencyRelay(target: URL, delayMs: number): Promise<LatencyRelay> {
  const sockets = new Set<Socket>();
  const delayed = (from: Socket, to: Socket) => {
    from.on('data', (chunk: Buffer) => void setTimeout(() => to.writable && to.write(chunk), delayMs));
    from.on('end', () => void setTimeout(() => to.end(), delayMs));
    from.on('error', () => to.destroy());
  };
  const server: Server = createServer((client) => {
    const upstream = connect({ host: target.hostname.replace(/^\[|\]$/g, ''), port: Number(target.port) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    delayed(client, upstream);
    delayed(upstream, client);
  });
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One relay per target in a child process (which ends when its stdin closes); their URLs in order. */
export async function relaysInChild(targets: URL[], delayMs: number): Promise<{ urls: string[]; close(): Promise<void> }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), String(delayMs), ...targets.map(String)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`latency relay exited ${code} before it listened`)));
  });
  return {
    urls: JSON.parse(line) as string[],
    close: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [delay, ...targets] = process.argv.slice(2);
  const relays = await Promise.all(targets.map((t) => latencyRelay(new URL(t), Number(delay))));
  console.log(JSON.stringify(relays.map((r) => r.url)));
  process.stdin.resume();
  process.stdin.once('end', () => void Promise.all(relays.map((r) => r.close())).then(() => process.exit(0)));
}

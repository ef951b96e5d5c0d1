// GET through the playground data plane with a Host header, as `curl -H 'Host: ...'` does
// (fetch() may not set Host).
import { Agent, createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { Network } from '../harness/network/network.js';

export const keepAlive = new Agent({ keepAlive: true, maxSockets: 4 });

export function hostGet(port: number, headers: Record<string, string>): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers, agent: keepAlive }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A loopback port nothing listens on (bound, then closed): for "server unreachable" cases. */
export async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const addr = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  return typeof addr === 'object' && addr ? addr.port : 0;
}

/** GET http://address:port/ after checking its route goes into the network's namespace. */
export async function netGet(
  net: Network,
  address: string,
  port = 80,
  path = '/',
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  await net.assertRouted(address);
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path, timeout: 3000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${address}:${port}`)));
    req.on('error', reject);
    req.end();
  });
}

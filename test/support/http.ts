// GET through the playground data plane with a Host header, as `curl -H 'Host: ...'` does
// (fetch() may not set Host).
import { Agent, request, type IncomingHttpHeaders } from 'node:http';

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

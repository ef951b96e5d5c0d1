// Sends the probe's requests: a fixed number, at most `concurrency` at a time, each with a deadline,
// each on a connection of its own as curl does (an L4 balancer such as kube-proxy or a cloud load
// balancer picks a backend per connection, so reused connections would measure the connection split,
// not the weight), or over keep-alive connections when asked (an L7 proxy balances each request). The version that answered comes from a response header or the body's
// first line. Shared by kubectl canary probe and kubectl bluegreen probe.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Sample } from './stats.js';

export interface ProbeOptions {
  url: URL;
  count: number;
  concurrency: number;
  timeoutMs: number;
  headers: Record<string, string>;
  /** Header carrying the version; when absent from a response, the body's first line is used. */
  versionHeader: string;
  /** Skip TLS verification (self-signed test endpoints). */
  insecure?: boolean;
  /** Reuse connections (default: a new connection per request). */
  keepAlive?: boolean;
  onProgress?: (done: number) => void;
}

function once(o: ProbeOptions, agent: HttpAgent | HttpsAgent): Promise<Sample> {
  const start = performance.now();
  const ms = () => performance.now() - start;
  const secure = o.url.protocol === 'https:';
  return new Promise((resolve) => {
    const req = (secure ? httpsRequest : httpRequest)(
      {
        hostname: o.url.hostname.replace(/^\[|\]$/g, ''),
        port: o.url.port || (secure ? 443 : 80),
        path: o.url.pathname + o.url.search,
        method: 'GET',
        headers: o.headers,
        agent,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (body.length < 4096) body += c; // the first line is all we need
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 400) return resolve({ status, ms: ms() });
          const header = res.headers[o.versionHeader.toLowerCase()];
          const version = (Array.isArray(header) ? header[0] : header) ?? body.split('\n')[0].trim();
          resolve({ status, version: version || '(empty)', ms: ms() });
        });
        res.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message, ms: ms() }));
        res.on('aborted', () => resolve({ error: 'timeout', ms: ms() }));
      },
    );
    // A deadline for the whole exchange (socket timeouts only measure idle time: a slow trickle never trips them).
    const deadline = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })), o.timeoutMs);
    req.on('close', () => clearTimeout(deadline));
    req.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message, ms: ms() }));
    req.end();
  });
}

export async function probe(o: ProbeOptions): Promise<Sample[]> {
  const secure = o.url.protocol === 'https:';
  const agent = secure
    ? new HttpsAgent({ keepAlive: o.keepAlive ?? false, maxSockets: o.concurrency, rejectUnauthorized: !o.insecure })
    : new HttpAgent({ keepAlive: o.keepAlive ?? false, maxSockets: o.concurrency });
  const samples: Sample[] = [];
  let next = 0;
  const worker = async () => {
    while (next < o.count) {
      next++;
      samples.push(await once(o, agent));
      o.onProgress?.(samples.length);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(o.concurrency, o.count) }, worker));
  } finally {
    agent.destroy();
  }
  return samples;
}

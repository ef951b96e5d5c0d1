// GET from a backend given with --url (a port-forward, an authenticating gateway): plain node:http(s),
// the user's --header values on every request, one deadline for the whole exchange.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { networkCode } from '../../../shared/kube/api-errors.js';
import { BackendError } from './backend.js';

export interface RawResponse {
  status: number;
  body: string;
}

export interface UrlClient {
  get(path: string, query: Record<string, string>): Promise<RawResponse>;
  /** Requests sent (for -v). */
  requests: number;
  close(): void;
}

export function urlClient(base: URL, headers: Record<string, string>, timeoutMs: number, insecure = false): UrlClient {
  const secure = base.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true, rejectUnauthorized: !insecure }) : new HttpAgent({ keepAlive: true });
  const prefix = base.pathname.replace(/\/+$/, '');
  const client: UrlClient = {
    requests: 0,
    close: () => agent.destroy(),
    get(path, query) {
      client.requests++;
      const qs = new URLSearchParams(query).toString();
      const target = `${prefix}${path}${qs ? `?${qs}` : ''}`;
      return new Promise((resolve, reject) => {
        const req = (secure ? httpsRequest : httpRequest)(
          {
            hostname: base.hostname.replace(/^\[|\]$/g, ''),
            port: base.port || (secure ? 443 : 80),
            path: target,
            method: 'GET',
            headers: { accept: 'application/json', ...headers },
            agent,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', reject);
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          },
        );
        const deadline = setTimeout(
          () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000}s`), { code: 'KPLUGIN_NO_ANSWER' })),
          timeoutMs,
        );
        req.on('close', () => clearTimeout(deadline));
        req.on('error', (err) => {
          const code = networkCode(err) ?? (err as NodeJS.ErrnoException).code;
          const why = code === 'ECONNREFUSED' ? 'connection refused' : code === 'KPLUGIN_NO_ANSWER' ? err.message : (code ?? err.message);
          reject(
            new BackendError(
              `cannot reach the tracing backend at ${base.origin}${prefix}: ${why}; is the URL right (and a port-forward, if any, still running)?`,
              'unreachable',
            ),
          );
        });
        req.end();
      });
    },
  };
  return client;
}

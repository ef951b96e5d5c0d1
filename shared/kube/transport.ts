// The HTTP layer under the API client, as client-go's transport behaves for kubectl: one keep-alive agent
// per client certificate (a new one when an exec plugin rotates it), proxies (proxy-url, HTTPS_PROXY /
// HTTP_PROXY / NO_PROXY), gzip-compressed responses, credentials refreshed and the request sent once more
// after a 401, and the server's Retry-After honoured on 429 and 5xx up to MAX_RETRIES times (client-go's
// bound; a GET that loses its connection is retried the same way). --request-timeout bounds the whole
// request, retries included, and is sent to the server as ?timeout= as client-go sends it.
//
// request() buffers the answer; stream() hands back the (decompressed) body as it arrives, for watches
// read line by line. Both share the connection, credentials, proxy, refresh and retry handling.
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createHash } from 'node:crypto';
import { isatty } from 'node:tty';
import { pipeline, type Duplex, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ConnectionOptions } from 'node:tls';
import { KubeApiError } from '../errors.js';
import {
  HttpError,
  type ApiTransport,
  type HttpRequest,
  type HttpResponse,
  type RequestEvent,
  type StreamOptions,
  type StreamResponse,
  type TransportOptions,
  type UpgradeRequest,
} from './api-transport.js';
import type { Credentials } from './auth.js';
import { connectionFor, type Connection, type ExecRunner } from './credentials.js';
import type { ResolvedConfig } from './kubeconfig.js';
import { goDuration } from './overrides.js';
import { proxyFor, type ProxyChoice } from './proxy.js';
import { tlsHint } from './trust.js';
import { HttpsTunnelAgent, HttpTunnelAgent, ProxyError, proxyAuthorization } from './tunnel.js';

/** client-go's bound on retries after Retry-After (rest.Request maxRetries). */
export const MAX_RETRIES = 10;
/** Without --request-timeout, a buffered request gives up after this long without a byte. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/**
 * Runs exec credential plugins (execa is loaded only when a kubeconfig uses one). Their stderr goes to
 * the user, as with kubectl, so login prompts show; without a terminal they get a minute to answer.
 */
const runExecPlugin: ExecRunner = async (command, args, env, interactive) => {
  const { execa } = await import('execa');
  const r = await execa(command, args, {
    env,
    stdin: interactive ? 'inherit' : 'ignore',
    stderr: 'inherit',
    ...(interactive ? {} : { timeout: 60_000 }),
  });
  return r.stdout;
};

type Agent = HttpAgent | HttpsAgent;

interface Attempt {
  res: IncomingMessage;
  body: Readable;
}

const RETRYABLE_NETWORK = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

function redact(u: URL): string {
  const c = new URL(u.href);
  if (c.password) c.password = '***';
  return c.href.replace(/\/$/, '');
}

function retryAfterMs(headers: IncomingHttpHeaders): number | undefined {
  const v = headers['retry-after'];
  return typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) * 1000 : undefined;
}

export class Transport implements ApiTransport {
  readonly config: ResolvedConfig;
  private readonly opts: TransportOptions;
  private conn: Connection | undefined;
  private proxy: ProxyChoice | undefined | null = null;
  private agent: { key: string; agent: Agent } | undefined;
  private readonly now: () => number;

  constructor(config: ResolvedConfig, opts: TransportOptions) {
    this.config = config;
    this.opts = opts;
    this.now = opts.now ?? Date.now;
  }

  /** The connection settings (read on first use: kubeconfig checks, certificate files). */
  connection(): Connection {
    this.conn ??= connectionFor(this.config, {
      env: this.opts.env ?? process.env,
      run: this.opts.runExec ?? runExecPlugin,
      stdinTerminal: this.opts.stdinTerminal ?? isatty(0),
      now: this.now,
    });
    return this.conn;
  }

  server(): string {
    return this.connection().server;
  }

  private proxyChoice(target: URL): ProxyChoice | undefined {
    if (this.proxy === null) this.proxy = proxyFor(target, this.connection().proxyUrl, this.config.clusterName, this.opts.env ?? process.env);
    return this.proxy;
  }

  /** Send a request and read the whole answer; non-2xx answers reject with HttpError. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    return this.exchange(req, undefined, async (a) => ({ status: a.res.statusCode ?? 0, headers: a.res.headers, body: await readAll(a.body) }));
  }

  /**
   * Send a request and give its body, as it arrives, to `consume` (a big list read item by item); the
   * request's deadline and idle timeout cover the body as in request(). Non-2xx answers reject with HttpError.
   */
  async read<T>(req: HttpRequest, consume: (body: Readable) => Promise<T>): Promise<T> {
    return this.exchange(req, undefined, (a) => consume(a.body));
  }

  /** Send a request and hand back the body as it arrives (watches); non-2xx answers reject with HttpError. */
  async stream(req: HttpRequest, opts: StreamOptions = {}): Promise<StreamResponse> {
    return this.exchange(req, opts, async (a) => ({ status: a.res.statusCode ?? 0, headers: a.res.headers, body: a.body }));
  }

  private async exchange<T>(req: HttpRequest, streaming: StreamOptions | undefined, done: (a: Attempt) => Promise<T>): Promise<T> {
    const conn = this.connection();
    const timeoutMs = this.config.requestTimeoutMs;
    const deadline = timeoutMs > 0 ? this.now() + timeoutMs : undefined;
    const sleep = this.opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    let retries = 0;
    let refreshed = false;
    let staleRetried = false;
    for (let attempt = 1; ; attempt++) {
      const creds = await conn.auth.current();
      let a: Attempt;
      try {
        a = await this.attempt(req, creds, attempt, deadline, streaming);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        // A kept-alive connection the server had already closed: send again at once on a new one, as Go's
        // transport does, except a create (POST), which might then happen twice.
        if ((err as { staleSocket?: boolean }).staleSocket && req.method !== 'POST' && !staleRetried) {
          staleRetried = true;
          continue;
        }
        // client-go retries a GET whose connection broke (a server restarting), after a second.
        if (req.method === 'GET' && typeof code === 'string' && RETRYABLE_NETWORK.has(code) && retries < MAX_RETRIES && this.fits(deadline, 1000)) {
          retries++;
          await sleep(1000);
          continue;
        }
        throw err;
      }
      const status = a.res.statusCode ?? 0;
      if (status >= 200 && status < 300) return done(a);
      const body = (await readAll(a.body).catch(() => Buffer.alloc(0))).toString('utf8');
      if (status === 401 && !refreshed && conn.secure && (await conn.auth.refresh(creds))) {
        refreshed = true;
        continue;
      }
      const wait = status === 429 || status >= 500 ? retryAfterMs(a.res.headers) : undefined;
      if (wait !== undefined && retries < MAX_RETRIES && this.fits(deadline, wait)) {
        retries++;
        await sleep(wait);
        continue;
      }
      throw new HttpError(status, body);
    }
  }

  private fits(deadline: number | undefined, waitMs: number): boolean {
    return deadline === undefined || this.now() + waitMs < deadline;
  }

  /** The agent for these credentials' client certificate (a rotated certificate closes the old connections). */
  private agentFor(conn: Connection, creds: Credentials, target: URL, proxy: ProxyChoice | undefined): Agent {
    const cert = creds.cert ?? (conn.tls.cert && conn.tls.key ? { cert: conn.tls.cert, key: conn.tls.key } : undefined);
    const key = cert ? createHash('sha256').update(cert.cert).update('\0').update(cert.key).digest('hex') : '';
    if (this.agent?.key === key) return this.agent.agent;
    this.agent?.agent.destroy();
    const tls: ConnectionOptions = {
      ...(conn.tls.ca ? { ca: conn.tls.ca } : {}),
      rejectUnauthorized: conn.tls.rejectUnauthorized,
      ...(conn.tls.servername ? { servername: conn.tls.servername } : {}),
      ...(cert ? cert : {}),
    };
    const base = { keepAlive: true };
    let agent: Agent;
    if (target.protocol === 'https:') agent = proxy ? new HttpsTunnelAgent(proxy, tls, { ...base, ...tls }) : new HttpsAgent({ ...base, ...tls });
    else if (proxy?.url.protocol === 'socks5:') agent = new HttpTunnelAgent(proxy, tls, base);
    // A plain-http server through an http(s) proxy: requests go to the proxy with the full URL (no tunnel).
    else if (proxy?.url.protocol === 'https:') agent = new HttpsAgent({ ...base, ...tls, servername: conn.tls.servername });
    else agent = new HttpAgent(base);
    this.agent = { key, agent };
    return agent;
  }

  private attempt(req: HttpRequest, creds: Credentials, attempt: number, deadline: number | undefined, streaming: StreamOptions | undefined): Promise<Attempt> {
    const conn = this.connection();
    const url = new URL(conn.server + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    if (this.config.requestTimeoutMs > 0) url.searchParams.set('timeout', goDuration(this.config.requestTimeoutMs));
    const proxy = this.proxyChoice(url);
    const agent = this.agentFor(conn, creds, url, proxy);
    const forward = url.protocol === 'http:' && proxy !== undefined && proxy.url.protocol !== 'socks5:';
    const secure = url.protocol === 'https:' || (forward && proxy.url.protocol === 'https:');
    const hop = forward ? proxy.url : url;
    const proxyAuth = forward ? proxyAuthorization(proxy.url) : undefined;
    const payload = req.body;
    const options: RequestOptions = {
      method: req.method,
      hostname: hop.hostname.replace(/^\[|\]$/g, ''),
      port: hop.port || (hop.protocol === 'https:' ? 443 : 80),
      path: forward ? url.href : url.pathname + url.search,
      agent,
      headers: {
        Accept: req.accept ?? 'application/json',
        'User-Agent': this.opts.userAgent,
        ...(conn.disableCompression ? {} : { 'Accept-Encoding': 'gzip' }),
        ...conn.impersonation,
        ...creds.headers,
        ...(forward ? { Host: url.host } : {}),
        ...(proxyAuth ? { 'Proxy-Authorization': proxyAuth } : {}),
        ...(payload !== undefined ? { 'Content-Type': req.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
      },
    };
    const idle = streaming ? streaming.idleTimeoutMs : deadline === undefined ? (this.opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS) : undefined;
    if (idle) options.timeout = idle;
    const event: RequestEvent = { method: req.method, url: url.href, attempt, ...(proxy ? { proxy: redact(proxy.url) } : {}) };
    return new Promise<Attempt>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let answer: Attempt | undefined;
      const noAnswer = (what: string) => Object.assign(new Error(what), { code: 'KPLUGIN_NO_ANSWER' });
      const r = (secure ? httpsRequest : httpRequest)(options, (res) => {
        event.status = res.statusCode;
        this.opts.onRequest?.(event);
        const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
        let body: Readable = res;
        if (encoding === 'gzip') body = pipeline(res, createGunzip(), () => {});
        // The deadline covers reading the body too (client-go's http.Client timeout).
        if (timer) body.once('close', () => clearTimeout(timer));
        answer = { res, body };
        resolve(answer);
      });
      // A stream stopped on purpose just ends: destroyed without an error, so readers see no "aborted".
      const signal = streaming?.signal;
      if (signal) {
        const stop = () => {
          if (answer) {
            answer.body.destroy();
            answer.res.destroy();
            r.destroy();
          } else r.destroy(Object.assign(new Error('the request was cancelled'), { name: 'AbortError', code: 'ABORT_ERR' }));
        };
        if (signal.aborted) stop();
        else signal.addEventListener('abort', stop, { once: true });
      }
      if (deadline !== undefined) {
        timer = setTimeout(
          () => r.destroy(noAnswer(`no answer within ${goDuration(this.config.requestTimeoutMs)} (--request-timeout)`)),
          Math.max(0, deadline - this.now()),
        );
      }
      if (idle) r.on('timeout', () => r.destroy(noAnswer(`no answer within ${idle / 1000}s`)));
      r.on('error', (err: Error) => {
        clearTimeout(timer);
        event.error = (err as { code?: string }).code ?? err.message;
        this.opts.onRequest?.(event);
        const stale = r.reusedSocket && !answer && ['ECONNRESET', 'EPIPE'].includes(String((err as { code?: unknown }).code));
        reject(stale ? Object.assign(err, { staleSocket: true }) : this.explain(err, proxy));
      });
      if (payload !== undefined) r.write(payload);
      r.end();
    });
  }

  /**
   * An upgraded connection (a WebSocket: pods/portforward, exec) on the same server, credentials, TLS
   * and proxy as requests. `headers` carry the upgrade handshake; a non-101 answer rejects with
   * HttpError, as requests do. The socket leaves the agent's keep-alive pool.
   */
  async upgrade(req: UpgradeRequest): Promise<{ res: IncomingMessage; socket: Duplex; head: Buffer }> {
    const conn = this.connection();
    const creds = await conn.auth.current();
    const url = new URL(conn.server + req.path);
    for (const [k, v] of req.query) url.searchParams.append(k, v);
    const proxy = this.proxyChoice(url);
    const forward = url.protocol === 'http:' && proxy !== undefined && proxy.url.protocol !== 'socks5:';
    if (forward) throw new KubeApiError(`an upgraded connection to ${conn.server} cannot go through the http proxy ${redact(proxy.url)}`);
    const options: RequestOptions = {
      method: 'GET',
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || (url.protocol === 'https:' ? 443 : 80),
      path: url.pathname + url.search,
      agent: this.agentFor(conn, creds, url, proxy),
      headers: { 'User-Agent': this.opts.userAgent, ...conn.impersonation, ...creds.headers, ...req.headers },
      timeout: this.opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    };
    return new Promise((resolve, reject) => {
      const r = (url.protocol === 'https:' ? httpsRequest : httpRequest)(options);
      r.on('upgrade', (res, socket, head) => resolve({ res, socket, head }));
      r.on('response', (res) => {
        void readAll(res).then((body) => reject(new HttpError(res.statusCode ?? 0, body.toString('utf8'))), reject);
      });
      r.on('timeout', () => r.destroy(Object.assign(new Error(`no answer within ${(options.timeout ?? 0) / 1000}s`), { code: 'KPLUGIN_NO_ANSWER' })));
      r.on('error', (err: Error) => reject(this.explain(err, proxy)));
      r.end();
    });
  }

  /** Say which proxy failed, and how to fix trust or names on TLS failures. */
  private explain(err: Error, proxy: ProxyChoice | undefined): Error {
    if (err instanceof ProxyError && proxy) {
      return new KubeApiError(
        `cannot reach the cluster at ${this.connection().server} (context "${this.config.contextName}") through the proxy ${redact(proxy.url)} from ${proxy.source}: ${err.message}`,
        undefined,
        'ProxyError',
        { cause: err },
      );
    }
    const code = (err as { code?: unknown }).code;
    const hint = typeof code === 'string' ? tlsHint(code, this.connection().trust, this.config.clusterName) : undefined;
    return hint ? Object.assign(err, { hint }) : err;
  }

  /** Close idle keep-alive connections (long-running callers; a CLI just exits). */
  close(): void {
    this.agent?.agent.destroy();
    this.agent = undefined;
  }
}

function readAll(body: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: Buffer) => chunks.push(c));
    body.once('error', reject);
    body.once('end', () => resolve(Buffer.concat(chunks)));
  });
}

// Connections through a proxy, as Go's http.Transport makes them for kubectl: an HTTP CONNECT tunnel
// through an http:// or https:// proxy (TLS to an https proxy uses the cluster's TLS settings, as Go's
// does), or a SOCKS5 CONNECT (RFC 1928, with RFC 1929 username/password when the URL has them). The
// agents hand the tunnel to node:https (TLS to the API server inside it) or node:http, so keep-alive,
// pooling and streaming work as on a direct connection.
import { Agent as HttpAgent, type AgentOptions as HttpAgentOptions } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions } from 'node:https';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { ProxyChoice } from './proxy.js';

const CONNECT_TIMEOUT_MS = 30_000;

/** Why a tunnel could not be opened; the transport turns it into one line naming the proxy. */
export class ProxyError extends Error {
  readonly code = 'KPLUGIN_PROXY';
}

function proxyPort(u: URL): number {
  return Number(u.port) || (u.protocol === 'https:' ? 443 : u.protocol === 'socks5:' ? 1080 : 80);
}

/** Basic credentials from the proxy URL, if it has them. */
export function proxyAuthorization(u: URL): string | undefined {
  if (!u.username && !u.password) return undefined;
  return `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
}

/** A TCP (or, for an https proxy, TLS) connection to the proxy itself. */
export function connectToProxy(proxy: URL, tls: ConnectionOptions): Promise<Socket> {
  const host = proxy.hostname.replace(/^\[|\]$/g, '');
  const port = proxyPort(proxy);
  return new Promise((resolve, reject) => {
    const secure = proxy.protocol === 'https:';
    const s: Socket = secure
      ? tlsConnect({ ...tls, host, port, servername: tls.servername || (isIP(host) ? undefined : host) }, () => done())
      : netConnect({ host, port }, () => done());
    const timer = setTimeout(() => s.destroy(new ProxyError(`no answer from the proxy within ${CONNECT_TIMEOUT_MS / 1000}s`)), CONNECT_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      s.off('error', fail);
      resolve(s);
    };
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    s.once('error', fail);
  });
}

/** Read from a socket until `enough` says how many bytes the reply has; extra bytes are put back. */
function readReply(s: Socket, enough: (b: Buffer) => number | undefined, what: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new ProxyError(`the proxy did not answer the ${what} within ${CONNECT_TIMEOUT_MS / 1000}s`)), CONNECT_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const n = enough(buf);
      if (n === undefined) return;
      const rest = buf.subarray(n);
      finish(undefined, buf.subarray(0, n));
      if (rest.length) s.unshift(rest);
    };
    const onEnd = () => finish(new ProxyError(`the proxy closed the connection during the ${what}`));
    const onError = (err: Error) => finish(err);
    const finish = (err?: Error, reply?: Buffer) => {
      clearTimeout(timer);
      s.off('data', onData).off('end', onEnd).off('error', onError);
      s.pause();
      if (err) reject(err);
      else resolve(reply!);
    };
    s.on('data', onData).once('end', onEnd).once('error', onError);
    s.resume();
  });
}

async function httpConnect(s: Socket, proxy: URL, host: string, port: number): Promise<void> {
  const target = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const auth = proxyAuthorization(proxy);
  s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth ? `Proxy-Authorization: ${auth}\r\n` : ''}\r\n`);
  const head = await readReply(
    s,
    (b) => {
      const i = b.indexOf('\r\n\r\n');
      return i < 0 ? (b.length > 16_384 ? b.length : undefined) : i + 4;
    },
    'CONNECT request',
  );
  const status = /^HTTP\/1\.[01] (\d{3})([^\r\n]*)/.exec(head.toString('latin1'));
  if (!status) throw new ProxyError('the proxy answered CONNECT with something that is not HTTP');
  if (status[1] !== '200') throw new ProxyError(`the proxy refused the tunnel to ${target}: ${status[1]}${status[2]}`);
}

const SOCKS_REPLIES: Record<number, string> = {
  1: 'general failure',
  2: 'connection not allowed by its rules',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

async function socks5Connect(s: Socket, proxy: URL, host: string, port: number): Promise<void> {
  const user = decodeURIComponent(proxy.username);
  const pass = decodeURIComponent(proxy.password);
  const withAuth = Boolean(user || pass);
  s.write(Buffer.from(withAuth ? [5, 2, 0, 2] : [5, 1, 0]));
  const choice = await readReply(s, (b) => (b.length >= 2 ? 2 : undefined), 'SOCKS5 greeting');
  if (choice[0] !== 5) throw new ProxyError('the proxy does not speak SOCKS5');
  if (choice[1] === 2) {
    const u = Buffer.from(user);
    const p = Buffer.from(pass);
    s.write(Buffer.concat([Buffer.from([1, u.length]), u, Buffer.from([p.length]), p]));
    const ok = await readReply(s, (b) => (b.length >= 2 ? 2 : undefined), 'SOCKS5 login');
    if (ok[1] !== 0) throw new ProxyError('the SOCKS5 proxy rejected the username and password in the proxy URL');
  } else if (choice[1] !== 0) {
    throw new ProxyError(
      withAuth ? 'the SOCKS5 proxy accepts none of our login methods' : 'the SOCKS5 proxy requires a login; put user:password@ in the proxy URL',
    );
  }
  const family = isIP(host);
  const addr =
    family === 4
      ? Buffer.from([1, ...host.split('.').map(Number)])
      : family === 6
        ? Buffer.concat([Buffer.from([4]), ipv6Bytes(host)])
        : Buffer.concat([Buffer.from([3, Buffer.byteLength(host)]), Buffer.from(host)]);
  s.write(Buffer.concat([Buffer.from([5, 1, 0]), addr, Buffer.from([port >> 8, port & 0xff])]));
  const reply = await readReply(
    s,
    (b) => {
      if (b.length < 5) return undefined;
      const len = b[3] === 1 ? 4 : b[3] === 4 ? 16 : b[3] === 3 ? 1 + b[4] : 0;
      return b.length >= 4 + len + 2 ? 4 + len + 2 : undefined;
    },
    'SOCKS5 CONNECT request',
  );
  if (reply[1] !== 0) throw new ProxyError(`the SOCKS5 proxy could not connect to ${host}:${port}: ${SOCKS_REPLIES[reply[1]] ?? `reply ${reply[1]}`}`);
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.split('::');
  const parts = (s: string | undefined) => (s ? s.split(':') : []);
  const h = parts(head);
  const t = tail === undefined ? [] : parts(tail);
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

/** A tunnel to host:port through the proxy, ready for TLS or plain HTTP. */
export async function openTunnel(proxy: ProxyChoice, host: string, port: number, tls: ConnectionOptions): Promise<Socket> {
  let s: Socket;
  try {
    s = await connectToProxy(proxy.url, tls);
  } catch (err) {
    throw err instanceof ProxyError ? err : new ProxyError(`cannot connect to the proxy: ${(err as Error).message}`, { cause: err });
  }
  try {
    if (proxy.url.protocol === 'socks5:') await socks5Connect(s, proxy.url, host, port);
    else await httpConnect(s, proxy.url, host, port);
    return s;
  } catch (err) {
    s.destroy();
    throw err;
  }
}

type CreateCallback = (err: Error | null, socket?: Duplex) => void;
interface ConnectArgs extends ConnectionOptions {
  host?: string;
  port?: number;
}

/** https:// API servers through a proxy: TLS to the server inside the tunnel. */
export class HttpsTunnelAgent extends HttpsAgent {
  constructor(
    private readonly proxy: ProxyChoice,
    private readonly proxyTls: ConnectionOptions,
    opts: HttpsAgentOptions,
  ) {
    super(opts);
  }
  override createConnection(options: ConnectArgs, callback: CreateCallback): undefined {
    const host = String(options.host ?? '').replace(/^\[|\]$/g, '');
    openTunnel(this.proxy, host, Number(options.port), this.proxyTls).then(
      (socket) => {
        const t = tlsConnect({ ...options, socket });
        callback(null, t);
      },
      (err: Error) => callback(err),
    );
    return undefined;
  }
}

/** http:// API servers through a SOCKS5 proxy (http(s) proxies get absolute-URI requests instead). */
export class HttpTunnelAgent extends HttpAgent {
  constructor(
    private readonly proxy: ProxyChoice,
    private readonly proxyTls: ConnectionOptions,
    opts: HttpAgentOptions,
  ) {
    super(opts);
  }
  override createConnection(options: ConnectArgs, callback: CreateCallback): undefined {
    const host = String(options.host ?? '').replace(/^\[|\]$/g, '');
    openTunnel(this.proxy, host, Number(options.port), this.proxyTls).then(
      // The handshake left the socket paused; node:http reads it as an ordinary stream.
      (socket) => callback(null, socket.resume()),
      (err: Error) => callback(err),
    );
    return undefined;
  }
}

// A counting proxy on loopback for the proxy tests: HTTP CONNECT over plain TCP or TLS (an https://
// proxy), absolute-URI forwarding of plain-http requests, or SOCKS5 (RFC 1928/1929). It counts what
// passes and refuses every target that `allow` does not accept, so a test can never send traffic
// anywhere but loopback and its own namespaces.
import { createServer as createTcpServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

export interface ProxyOptions {
  kind: 'http' | 'https' | 'socks5';
  /** Required credentials (Proxy-Authorization Basic, or SOCKS5 username/password). */
  auth?: { user: string; pass: string };
  /** TLS certificate and key for an https proxy. */
  tls?: { cert: string; key: string };
  /** Targets the proxy may connect to; anything else is refused. */
  allow: (host: string, port: number) => boolean;
}

export interface CountingProxy {
  url: string;
  /** Tunnels (CONNECT or SOCKS5) and forwarded requests opened. */
  connects: number;
  /** Targets asked for, as host:port. */
  targets: string[];
  /** Bytes from the targets back to the clients. */
  bytesDown: number;
  /** Requests refused (bad credentials or a target not allowed). */
  refused: number;
  close(): Promise<void>;
}

function readUntil(s: Socket, done: (b: Buffer) => number | undefined): Promise<{ head: Buffer; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const n = done(buf);
      if (n === undefined) return;
      s.off('data', onData);
      s.pause();
      resolve({ head: buf.subarray(0, n), rest: buf.subarray(n) });
    };
    s.on('data', onData);
    s.once('error', reject);
    s.once('end', () => reject(new Error('closed')));
    s.resume();
  });
}

export async function startProxy(opts: ProxyOptions): Promise<CountingProxy> {
  const p: CountingProxy = { url: '', connects: 0, targets: [], bytesDown: 0, refused: 0, close: async () => {} };
  const sockets = new Set<Socket>();
  const tunnel = (client: Socket, host: string, port: number, first: Buffer, onOpen: () => void) => {
    p.connects++;
    const upstream = connect({ host, port }, () => {
      onOpen();
      if (first.length) upstream.write(first);
      client.pipe(upstream);
      upstream.on('data', (c: Buffer) => (p.bytesDown += c.length));
      upstream.pipe(client);
      client.resume();
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  };
  const basic = opts.auth ? `Basic ${Buffer.from(`${opts.auth.user}:${opts.auth.pass}`).toString('base64')}` : undefined;

  const onHttp = async (client: Socket) => {
    const { head, rest } = await readUntil(client, (b) => {
      const i = b.indexOf('\r\n\r\n');
      return i < 0 ? undefined : i + 4;
    });
    const text = head.toString('latin1');
    const [line, ...headerLines] = text.split('\r\n');
    const [method, target] = line.split(' ');
    const auth = headerLines.find((h) => /^proxy-authorization:/i.test(h))?.split(': ')[1];
    const refuse = (status: string) => {
      p.refused++;
      client.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\n${status.startsWith('407') ? 'Proxy-Authenticate: Basic realm="test"\r\n' : ''}\r\n`);
    };
    if (basic && auth !== basic) return refuse('407 Proxy Authentication Required');
    if (method === 'CONNECT') {
      const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target);
      if (!m || !opts.allow(m[1], Number(m[2]))) return refuse('403 Forbidden');
      p.targets.push(target);
      tunnel(client, m[1], Number(m[2]), rest, () => client.write('HTTP/1.1 200 Connection Established\r\n\r\n'));
      return;
    }
    // Absolute-URI forwarding (a plain-http server behind an http proxy): rewrite to origin form.
    const u = new URL(target);
    const port = Number(u.port) || 80;
    if (!opts.allow(u.hostname, port)) return refuse('403 Forbidden');
    p.targets.push(`${u.hostname}:${port}`);
    const rewritten = Buffer.from(
      [`${method} ${u.pathname}${u.search} HTTP/1.1`, ...headerLines.filter((h) => !/^proxy-authorization:/i.test(h))].join('\r\n'),
      'latin1',
    );
    tunnel(client, u.hostname, port, Buffer.concat([rewritten, rest]), () => {});
  };

  const onSocks = async (client: Socket) => {
    const greet = await readUntil(client, (b) => (b.length >= 2 && b.length >= 2 + b[1] ? 2 + b[1] : undefined));
    const methods = [...greet.head.subarray(2)];
    const want = opts.auth ? 2 : 0;
    if (!methods.includes(want)) {
      p.refused++;
      return void client.end(Buffer.from([5, 0xff]));
    }
    client.write(Buffer.from([5, want]));
    let rest = greet.rest;
    if (opts.auth) {
      client.unshift(rest);
      const login = await readUntil(client, (b) => {
        if (b.length < 2) return undefined;
        const ul = b[1];
        if (b.length < 3 + ul) return undefined;
        const pl = b[2 + ul];
        return b.length >= 3 + ul + pl ? 3 + ul + pl : undefined;
      });
      const ul = login.head[1];
      const user = login.head.subarray(2, 2 + ul).toString();
      const pass = login.head.subarray(3 + ul).toString();
      const ok = user === opts.auth.user && pass === opts.auth.pass;
      client.write(Buffer.from([1, ok ? 0 : 1]));
      if (!ok) {
        p.refused++;
        return void client.end();
      }
      rest = login.rest;
    }
    client.unshift(rest);
    const req = await readUntil(client, (b) => {
      if (b.length < 5) return undefined;
      const len = b[3] === 1 ? 4 : b[3] === 4 ? 16 : b[3] === 3 ? 1 + b[4] : -1;
      return len < 0 ? b.length : b.length >= 4 + len + 2 ? 4 + len + 2 : undefined;
    });
    const h = req.head;
    const host =
      h[3] === 1
        ? [...h.subarray(4, 8)].join('.')
        : h[3] === 3
          ? h.subarray(5, 5 + h[4]).toString()
          : h[3] === 4
            ? (h.subarray(4, 20).toString('hex').match(/.{4}/g) ?? []).join(':')
            : '';
    const port = h.readUInt16BE(h.length - 2);
    if (h[1] !== 1 || !opts.allow(host, port)) {
      p.refused++;
      return void client.end(Buffer.from([5, 2, 0, 1, 0, 0, 0, 0, 0, 0]));
    }
    p.targets.push(`${host}:${port}`);
    tunnel(client, host, port, req.rest, () => client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0])));
  };

  const handle = (client: Socket) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    (opts.kind === 'socks5' ? onSocks(client) : onHttp(client)).catch(() => client.destroy());
  };
  const server: Server = opts.kind === 'https' ? createTlsServer({ cert: opts.tls?.cert, key: opts.tls?.key }, handle) : createTcpServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const cred = opts.auth ? `${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.pass)}@` : '';
  p.url = `${opts.kind}://${cred}127.0.0.1:${port}`;
  p.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return p;
}

/** A plain TCP forwarder from listenHost to toHost:toPort (both loopback or in our namespaces); counts connections. */
export async function startForwarder(
  listenHost: string,
  toHost: string,
  toPort: number,
): Promise<{ port: number; connections: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const f = { port: 0, connections: 0, close: async () => {} };
  const server = createTcpServer((client) => {
    f.connections++;
    const upstream = connect({ host: toHost, port: toPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => (client.destroy(), upstream.destroy()));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, listenHost, r));
  f.port = (server.address() as AddressInfo).port;
  f.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return f;
}

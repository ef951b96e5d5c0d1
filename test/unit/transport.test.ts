// The transport's resilience against a scripted HTTPS server on loopback (the behaviours a real API
// server shows only under load or after etcd compaction): Retry-After on 429/5xx within client-go's bound,
// a 401 answered by refreshing credentials, an expired continue token, gzip, --request-timeout, a broken
// connection on a GET. The integration tests run the same paths against the real control plane.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { makeCA, signCert } from '../harness/certs.js';
import { Kube } from '../../shared/kube/client.js';
import { resolveKubeconfig } from '../../shared/kube/kubeconfig.js';
import { MAX_RETRIES } from '../../shared/kube/transport.js';
import type { RequestEvent } from '../../shared/kube/api-transport.js';
import { KubeApiError } from '../../shared/errors.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

describe('transport: retries, refresh, compression, timeouts', function () {
  this.timeout(30_000);
  const dir = mkdtempSync(join(tmpdir(), 'transport-'));
  let server: Server;
  let handler: Handler = () => {};
  let seen: IncomingMessage[] = [];
  const bodies = new WeakMap<IncomingMessage, string>();
  let port = 0;

  before(async () => {
    await makeCA(dir);
    const cert = await signCert(dir, 'server', '/CN=api', ['IP:127.0.0.1'], 'server');
    server = createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
      seen.push(req);
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => (bodies.set(req, body), handler(req, res, seen.length)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => (seen = []));

  function kube(user = '{token: t}', flags = {}, opts: { sleeps?: number[]; events?: RequestEvent[] } = {}) {
    const config = resolveKubeconfig(
      [
        {
          path: join(dir, 'config'),
          content: `clusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}", certificate-authority: ca.crt}}]\nusers: [{name: u, user: ${user}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: ns}}]\ncurrent-context: x\n`,
        },
      ],
      flags,
    );
    return new Kube(config, 'kubectl-test', {
      env: {},
      sleep: async (ms) => void opts.sleeps?.push(ms),
      onRequest: (e) => opts.events?.push(e),
    });
  }
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const version = { gitVersion: 'v1.37.2' };

  it('429 and 503 with Retry-After are retried after the seconds the server gives', async () => {
    handler = (_req, res, n) =>
      n === 1 ? json(res, 429, {}, { 'Retry-After': '2' }) : n === 2 ? json(res, 503, {}, { 'Retry-After': '1' }) : json(res, 200, version);
    const sleeps: number[] = [];
    const k = kube('{token: t}', {}, { sleeps });
    assert.equal(await k.serverVersion(), 'v1.37.2');
    assert.deepEqual(sleeps, [2000, 1000]);
    assert.equal(seen.length, 3);
    assert.equal(k.requests, 1, 'one API call, however many attempts');
  });

  it(`gives up after ${MAX_RETRIES} retries (client-go's bound), and never retries without Retry-After`, async () => {
    handler = (_req, res) => json(res, 503, { message: 'the server is shutting down' }, { 'Retry-After': '1' });
    const sleeps: number[] = [];
    await assert.rejects(
      kube('{token: t}', {}, { sleeps }).serverVersion(),
      (e: Error) => e instanceof KubeApiError && e.status === 503 && /the server answered 503: the server is shutting down/.test(e.message),
    );
    assert.equal(seen.length, MAX_RETRIES + 1);
    seen = [];
    handler = (_req, res) => json(res, 503, {});
    await assert.rejects(kube().serverVersion(), /503/);
    assert.equal(seen.length, 1);
    seen = [];
    handler = (_req, res) => json(res, 429, {}, { 'Retry-After': 'soon' });
    await assert.rejects(kube().serverVersion(), /throttling/);
    assert.equal(seen.length, 1, 'a Retry-After that is not whole seconds is not a wait');
  });

  it('a write answered with 429 + Retry-After is sent again with the same body', async () => {
    handler = (_req, res, n) => (n === 1 ? json(res, 429, {}, { 'Retry-After': '0' }) : json(res, 200, { apiVersion: 'v1', kind: 'ConfigMap' }));
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' } };
    await kube().apply(cm);
    assert.equal(seen.length, 2);
    for (const r of seen) {
      assert.equal(r.headers['content-type'], 'application/apply-patch+yaml');
      assert.deepEqual(JSON.parse(bodies.get(r) ?? ''), cm);
    }
  });

  it('a 401 re-reads a rotated token file and sends the request once more; a second 401, or the same token, is the error', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'old');
    handler = (req, res) => {
      if (req.headers.authorization === 'Bearer new') return json(res, 200, version);
      writeFileSync(tokenFile, 'new');
      json(res, 401, { message: 'Unauthorized' });
    };
    assert.equal(await kube(`{tokenFile: ${tokenFile}}`).serverVersion(), 'v1.37.2');
    assert.deepEqual(
      seen.map((r) => r.headers.authorization),
      ['Bearer old', 'Bearer new'],
    );
    seen = [];
    let n = 0;
    handler = (_req, res) => (writeFileSync(tokenFile, `rotated-${n++}`), json(res, 401, { message: 'Unauthorized' }));
    await assert.rejects(kube(`{tokenFile: ${tokenFile}}`).serverVersion(), (e: Error) => e instanceof KubeApiError && e.status === 401);
    assert.equal(seen.length, 2, 'one retry after a refresh, not a loop');
    seen = [];
    handler = (_req, res) => json(res, 401, { message: 'Unauthorized' });
    await assert.rejects(kube(`{tokenFile: ${tokenFile}}`).serverVersion(), /unauthorized/);
    assert.equal(seen.length, 1, 'the same token again is not worth a retry');
    seen = [];
    await assert.rejects(kube('{token: fixed}').serverVersion(), /unauthorized/);
    assert.equal(seen.length, 1, 'a fixed token is not retried');
  });

  it('asks for gzip and reads gzip answers; disable-compression asks for none', async () => {
    handler = (req, res) => {
      const body = Buffer.from(JSON.stringify({ items: [{ metadata: { name: 'x'.repeat(1000) } }] }));
      if (String(req.headers['accept-encoding']).includes('gzip')) {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
        res.end(gzipSync(body));
      } else json(res, 200, JSON.parse(body.toString()));
    };
    const items = await kube().list('v1', 'ConfigMap');
    assert.equal(items[0].metadata?.name, 'x'.repeat(1000));
    assert.equal(seen[0].headers['accept-encoding'], 'gzip');
    await kube('{token: t}', { disableCompression: true }).list('v1', 'ConfigMap');
    assert.equal(seen[1].headers['accept-encoding'], undefined);
  });

  it('an expired continue token (410) lists again from the start; a second expiry lists without pages', async () => {
    let expiries = 2;
    handler = (req, res) => {
      const u = new URL(req.url ?? '/', 'https://x');
      const cont = u.searchParams.get('continue');
      const limit = u.searchParams.get('limit');
      if (cont && expiries-- > 0) return json(res, 410, { kind: 'Status', reason: 'Expired', message: 'The provided continue parameter is too old' });
      if (!limit) return json(res, 200, { items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }], metadata: {} });
      json(res, 200, cont ? { items: [{ metadata: { name: 'b' } }], metadata: {} } : { items: [{ metadata: { name: 'a' } }], metadata: { continue: 'tok' } });
    };
    const names = (await kube().list('v1', 'ConfigMap')).map((i) => i.metadata?.name);
    assert.deepEqual(names, ['a', 'b'], 'no duplicates from the abandoned pages');
    assert.deepEqual(
      seen.map((r) => new URL(r.url ?? '/', 'https://x').search),
      ['?limit=500', '?limit=500&continue=tok', '?limit=500', '?limit=500&continue=tok', ''],
    );
  });

  it('--request-timeout is sent as ?timeout= and bounds the whole request, retries included', async () => {
    const events: RequestEvent[] = [];
    handler = (_req, res) => json(res, 200, version);
    await kube('{token: t}', { requestTimeoutMs: 1500 }, { events }).serverVersion();
    assert.equal(events[0].url, `https://127.0.0.1:${port}/version?timeout=1.5s`);
    handler = () => {}; // never answers
    const t0 = Date.now();
    await assert.rejects(
      kube('{token: t}', { requestTimeoutMs: 300 }).serverVersion(),
      (e: Error) => e instanceof KubeApiError && /did not answer get version: no answer within 300ms \(--request-timeout\)/.test(e.message),
    );
    assert.ok(Date.now() - t0 < 2000);
    handler = (_req, res) => json(res, 429, {}, { 'Retry-After': '5' });
    seen = [];
    await assert.rejects(kube('{token: t}', { requestTimeoutMs: 2000 }).serverVersion(), /throttling/);
    assert.equal(seen.length, 1, 'a 5 s wait does not fit in 2 s: no retry');
  });

  it('a GET whose connection breaks is sent again; a write is not', async () => {
    handler = (req, res, n) => (n === 1 ? req.socket.destroy() : json(res, 200, version));
    const sleeps: number[] = [];
    assert.equal(await kube('{token: t}', {}, { sleeps }).serverVersion(), 'v1.37.2');
    assert.deepEqual(sleeps, [1000]);
    seen = [];
    handler = (req) => req.socket.destroy();
    await assert.rejects(kube().create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' } }), /connection reset/);
    assert.equal(seen.length, 1);
  });

  it('a kept-alive connection the server closed is replaced at once for reads and patches, not for creates', async () => {
    const sockets = new Set<unknown>();
    handler = (req, res) => {
      const reused = sockets.has(req.socket);
      sockets.add(req.socket);
      // The second request on a connection finds it closed, as after the server's idle timeout.
      if (reused) return void req.socket.destroy();
      json(res, 200, req.method === 'GET' ? version : { apiVersion: 'v1', kind: 'ConfigMap' });
    };
    const sleeps: number[] = [];
    const k = kube('{token: t}', {}, { sleeps });
    await k.serverVersion();
    await k.patch({ apiVersion: 'v1', kind: 'ConfigMap', name: 'a', namespace: 'ns' }, { data: { a: '1' } });
    assert.deepEqual(sleeps, [], 'no wait: nothing reached the server');
    assert.equal(seen.length, 3);
    seen = [];
    await assert.rejects(k.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'ns' } }), /connection reset/);
    assert.equal(seen.length, 1);
  });

  it('a plain-http server through a proxy-url: absolute-URI requests to an http proxy, a tunnel through socks5', async () => {
    const { createServer: createHttpServer } = await import('node:http');
    const { startProxy } = await import('../support/proxy.js');
    const plain = createHttpServer((req, res) => json(res, 200, { gitVersion: `plain ${req.url} for ${req.headers.host}` }));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    const plainPort = (plain.address() as AddressInfo).port;
    try {
      for (const kind of ['http', 'socks5'] as const) {
        const proxy = await startProxy({ kind, allow: (h, p) => h === '127.0.0.1' && p === plainPort });
        const config = resolveKubeconfig(
          [
            {
              path: join(dir, 'plain'),
              content: `clusters: [{name: c, cluster: {server: "http://127.0.0.1:${plainPort}", proxy-url: "${proxy.url}"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
            },
          ],
          {},
        );
        const k = new Kube(config, 'kubectl-test', { env: {} });
        assert.equal(await k.serverVersion(), `plain /version for 127.0.0.1:${plainPort}`, kind);
        k.close();
        assert.deepEqual(proxy.targets, [`127.0.0.1:${plainPort}`], kind);
        await proxy.close();
      }
    } finally {
      plain.close();
    }
  });

  it('streams a watch line by line, gzip-compressed, through the same connection settings', async () => {
    handler = (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
      res.end(gzipSync(['{"type":"ADDED","object":{"metadata":{"name":"a"}}}', '{"type":"DELETED","object":{"metadata":{"name":"a"}}}', ''].join('\n')));
    };
    const k = kube();
    const s = await k.stream({ verb: 'watch', resource: 'configmaps' }, { method: 'GET', path: '/api/v1/namespaces/ns/configmaps', query: { watch: 1 } });
    const { createInterface } = await import('node:readline');
    const types: string[] = [];
    for await (const line of createInterface({ input: s.body })) if (line) types.push((JSON.parse(line) as { type: string }).type);
    assert.deepEqual(types, ['ADDED', 'DELETED']);
    assert.equal(seen[0].headers.authorization, 'Bearer t');
    assert.equal(k.requestsByVerb['watch'], 1);
  });

  it('a watch stopped with its signal ends quietly, gzip or not', async () => {
    const { createGzip } = await import('node:zlib');
    const { createInterface } = await import('node:readline');
    for (const gzip of [true, false]) {
      handler = (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json', ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) });
        const line = '{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n';
        if (!gzip) return void res.write(line); // and never ends
        const z = createGzip();
        z.pipe(res);
        z.write(line);
        z.flush();
      };
      const abort = new AbortController();
      const s = await kube().stream(
        { verb: 'watch', resource: 'configmaps' },
        { method: 'GET', path: '/api/v1/configmaps', query: { watch: 1 } },
        { signal: abort.signal },
      );
      for await (const line of createInterface({ input: s.body })) {
        assert.match(line, /ADDED/);
        break;
      }
      abort.abort();
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(s.body.destroyed, `${gzip ? 'gzip' : 'plain'} stream closed`);
    }
  });
});

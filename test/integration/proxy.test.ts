// Proxies against the real API server, each case side by side with the cluster's kubectl (the oracle):
// a cluster's proxy-url (http with and without credentials, https, socks5) with its booleans intact,
// HTTPS_PROXY with NO_PROXY's forms for a server on a non-loopback address, loopback never proxied,
// gzip-compressed lists, and a watch stream through a tunnel. A counting proxy on loopback sees what
// passes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { sharedCluster } from '../support/fixture.js';
import { startForwarder, startProxy, type CountingProxy, type ProxyOptions } from '../support/proxy.js';
import { namespacedHostAddress, type HostAddress } from '../support/netns.js';
import { signCert } from '../harness/certs.js';
import { bin } from '../harness/binaries.js';
import type { Cluster } from '../harness/cluster.js';
import { Kube } from '../../shared/kube/client.js';
import { loadKubeconfig } from '../../shared/kube/kubeconfig.js';
import { KubeApiError } from '../../shared/errors.js';

const NS = 'conn-proxy';
type Kubeconfig = { clusters: { cluster: Record<string, unknown> }[] };

describe('proxies against the real API server (kubectl as the oracle)', function () {
  this.timeout(120_000);
  let c: Cluster;
  let apiPort: number;
  // On a cluster with the test network the API server binds the host end of its veth, not 127.0.0.1.
  let apiHost: string;
  const dir = mkdtempSync(join(tmpdir(), 'proxy-'));
  const proxies: CountingProxy[] = [];

  before(async () => {
    c = await sharedCluster();
    apiPort = Number(new URL(c.server).port);
    apiHost = new URL(c.server).hostname;
    await c.kubectl(['create', 'namespace', NS]);
  });
  after(async () => {
    for (const p of proxies) await p.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The cluster's kubeconfig with the cluster entry changed. */
  function kubeconfig(change: (cluster: Record<string, unknown>) => void): string {
    const doc = yaml.load(readFileSync(c.kubeconfig, 'utf8')) as Kubeconfig;
    change(doc.clusters[0].cluster);
    const file = join(mkdtempSync(join(dir, 'kc-')), 'config');
    writeFileSync(file, yaml.dump(doc), { mode: 0o600 });
    return file;
  }
  const apiOnly = (host: string, port: number) => host === apiHost && port === apiPort;
  async function proxy(opts: Omit<ProxyOptions, 'allow'> & { allow?: ProxyOptions['allow'] }): Promise<CountingProxy> {
    const p = await startProxy({ allow: apiOnly, ...opts });
    proxies.push(p);
    return p;
  }
  const ours = (file: string, env: NodeJS.ProcessEnv = {}) => new Kube(loadKubeconfig({ kubeconfig: file, namespace: NS }, {}), 'kubectl-test', { env });
  const kubectl = (file: string, env: Record<string, string> = {}, args = ['get', '--raw', '/version']) =>
    execa(bin('kubectl'), ['--kubeconfig', file, ...args], {
      reject: false,
      stdin: 'ignore',
      env: { PATH: process.env['PATH'] ?? '', HOME: mkdtempSync(join(dir, 'home-')), ...env },
      extendEnv: false,
    });

  /** Our client and kubectl with the same kubeconfig and environment: both through the proxy or neither. */
  async function sameAsKubectl(file: string, p: CountingProxy, env: Record<string, string> = {}): Promise<{ ours: number; kubectl: number }> {
    const before = p.connects;
    const version = await ours(file, env).serverVersion();
    assert.match(version, /^v1\./);
    const mine = p.connects - before;
    const k = await kubectl(file, env);
    assert.equal(k.exitCode, 0, k.stderr);
    return { ours: mine, kubectl: p.connects - before - mine };
  }

  it('proxy-url http://: every request goes through the proxy, as with kubectl', async () => {
    const p = await proxy({ kind: 'http' });
    const counts = await sameAsKubectl(
      kubeconfig((cl) => (cl['proxy-url'] = p.url)),
      p,
    );
    assert.ok(counts.ours >= 1 && counts.kubectl >= 1, JSON.stringify(counts));
    assert.deepEqual([...new Set(p.targets)], [`${apiHost}:${apiPort}`]);
  });

  it('proxy-url with credentials: sent as Proxy-Authorization; wrong ones fail in one line naming the proxy', async () => {
    const p = await proxy({ kind: 'http', auth: { user: 'ops', pass: 's3cr:t' } });
    const counts = await sameAsKubectl(
      kubeconfig((cl) => (cl['proxy-url'] = p.url)),
      p,
    );
    assert.ok(counts.ours >= 1 && counts.kubectl >= 1);
    const wrong = kubeconfig((cl) => (cl['proxy-url'] = p.url.replace('s3cr%3At', 'nope')));
    await assert.rejects(
      ours(wrong).serverVersion(),
      (e: Error) =>
        e instanceof KubeApiError &&
        /^cannot reach the cluster at https:\/\/[\d.]+:\d+ \(context "[^"]+"\) through the proxy http:\/\/ops:\*\*\*@127\.0\.0\.1:\d+ from proxy-url of cluster "[^"]+": the proxy refused the tunnel to [\d.]+:\d+: 407 Proxy Authentication Required$/.test(
          e.message,
        ),
    );
    assert.notEqual((await kubectl(wrong)).exitCode, 0, 'kubectl fails too');
  });

  it('proxy-url https:// (TLS to the proxy with the cluster TLS settings, as Go does) and socks5:// with a login', async () => {
    const cert = await signCert(join(c.state.dir, 'pki'), `proxy-${process.pid}`, '/CN=test-proxy', ['IP:127.0.0.1'], 'server');
    const https = await proxy({ kind: 'https', tls: cert });
    const viaHttps = await sameAsKubectl(
      kubeconfig((cl) => (cl['proxy-url'] = https.url)),
      https,
    );
    assert.ok(viaHttps.ours >= 1 && viaHttps.kubectl >= 1, JSON.stringify(viaHttps));
    const socks = await proxy({ kind: 'socks5', auth: { user: 'u', pass: 'p' } });
    const viaSocks = await sameAsKubectl(
      kubeconfig((cl) => (cl['proxy-url'] = socks.url)),
      socks,
    );
    assert.ok(viaSocks.ours >= 1 && viaSocks.kubectl >= 1, JSON.stringify(viaSocks));
  });

  it('proxy-url keeps insecure-skip-tls-verify a boolean (no CA: the server is still reached)', async () => {
    const p = await proxy({ kind: 'http' });
    const file = kubeconfig((cl) => {
      cl['proxy-url'] = p.url;
      delete cl['certificate-authority-data'];
      cl['insecure-skip-tls-verify'] = true;
    });
    const counts = await sameAsKubectl(file, p);
    assert.ok(counts.ours >= 1 && counts.kubectl >= 1);
  });

  it('HTTPS_PROXY is never used for a loopback server (Go skips localhost and 127/8)', async () => {
    const p = await proxy({ kind: 'http' });
    const loopback = await startForwarder('127.0.0.1', apiHost, apiPort);
    try {
      const file = kubeconfig((cl) => {
        cl['server'] = `https://127.0.0.1:${loopback.port}`;
        cl['tls-server-name'] = 'kubernetes';
      });
      assert.deepEqual(await sameAsKubectl(file, p, { HTTPS_PROXY: p.url }), { ours: 0, kubectl: 0 });
      assert.ok(loopback.connections >= 2, 'both reached the server directly');
    } finally {
      await loopback.close();
    }
  });

  describe('HTTPS_PROXY and NO_PROXY for a server on a non-loopback address', () => {
    let host: HostAddress | undefined;
    let fwd: Awaited<ReturnType<typeof startForwarder>>;
    let file: string;
    let p: CountingProxy;

    before(async function () {
      host = namespacedHostAddress();
      if (!host) return this.skip();
      fwd = await startForwarder(host.address, apiHost, apiPort);
      // The serving certificate names "kubernetes", not this address.
      file = kubeconfig((cl) => {
        cl['server'] = `https://${host!.address}:${fwd.port}`;
        cl['tls-server-name'] = 'kubernetes';
      });
      p = await proxy({ kind: 'http', allow: (h, port) => h === host!.address && port === fwd.port });
    });
    after(async () => {
      await fwd?.close();
      host?.remove();
    });

    // [NO_PROXY as described, NO_PROXY, through the proxy?]
    const cases: [string, (a: string, port: number) => string, boolean][] = [
      ['(unset)', () => '', true],
      ['its /16', (a) => `${a.split('.').slice(0, 2).join('.')}.0.0/16`, false],
      ['the address', (a) => a, false],
      ['address:port', (a, port) => `${a}:${port}`, false],
      ['address:another-port', (a) => `${a}:1`, true],
      ['names only', () => 'example.com,.svc', true],
      ['*', () => '*', false],
    ];
    for (const [what, noProxy, proxied] of cases) {
      it(`NO_PROXY=${what}: ${proxied ? 'through the proxy' : 'direct'}, as kubectl`, async () => {
        const env: Record<string, string> = { HTTPS_PROXY: p.url, NO_PROXY: noProxy(host!.address, fwd.port) };
        const direct = fwd.connections;
        const counts = await sameAsKubectl(file, p, env);
        assert.deepEqual(
          { ours: counts.ours > 0, kubectl: counts.kubectl > 0 },
          { ours: proxied, kubectl: proxied },
          `${JSON.stringify(counts)} with NO_PROXY=${env['NO_PROXY']}`,
        );
        assert.ok(fwd.connections > direct, 'the server was reached');
      });
    }
  });

  it('lists arrive gzip-compressed (fewer bytes through the proxy) unless disable-compression', async () => {
    const filler = 'x'.repeat(1000);
    const items = Array.from({ length: 300 }, (_, i) =>
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `big-${i}`, namespace: NS }, data: { filler } }),
    );
    await c.kubectl(['apply', '--server-side', '-f', '-'], { input: items.join('\n') });
    const p = await proxy({ kind: 'http' });
    const bytes = async (file: string) => {
      const before = p.bytesDown;
      const got = await ours(file).list('v1', 'ConfigMap', { namespace: NS });
      assert.ok(got.length >= 300);
      return p.bytesDown - before;
    };
    const compressed = await bytes(kubeconfig((cl) => (cl['proxy-url'] = p.url)));
    const plain = await bytes(
      kubeconfig((cl) => {
        cl['proxy-url'] = p.url;
        cl['disable-compression'] = true;
      }),
    );
    assert.ok(plain > 300_000, `uncompressed list: ${plain} bytes`);
    assert.ok(compressed < plain / 5, `gzip: ${compressed} bytes against ${plain}`);
  });

  it('a watch streams line by line through a SOCKS5 tunnel with the same credentials', async () => {
    const p = await proxy({ kind: 'socks5' });
    const k = ours(kubeconfig((cl) => (cl['proxy-url'] = p.url)));
    const rv = (
      await k.call<{ metadata: { resourceVersion: string } }>(
        { verb: 'list', resource: 'configmaps' },
        { method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps`, query: { limit: 1 } },
      )
    ).metadata.resourceVersion;
    const abort = new AbortController();
    const s = await k.stream(
      { verb: 'watch', resource: 'configmaps', namespace: NS },
      { method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps`, query: { watch: 1, resourceVersion: rv, timeoutSeconds: 30 } },
      { signal: abort.signal },
    );
    await c.kubectl(['-n', NS, 'create', 'configmap', 'watched']);
    let seen: string | undefined;
    for await (const line of createInterface({ input: s.body })) {
      const e = JSON.parse(line) as { type: string; object: { metadata: { name: string } } };
      if (e.object.metadata.name === 'watched') {
        seen = e.type;
        break;
      }
    }
    abort.abort();
    k.close();
    assert.equal(seen, 'ADDED');
    assert.ok(p.connects >= 1);
  });
});

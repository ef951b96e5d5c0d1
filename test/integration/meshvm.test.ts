// kubectl meshvm end to end on the real control plane: seed 001 chapter 5 (details and mysqldb on the VM
// at 192.168.3.202) with a real istiod listening on the test network, an east-west gateway whose load
// balancer address forwards (through the real kube-proxy) to istiod, the bundle pushed over real ssh to
// the VM host, and `check --connect` against istiod's CA, from this machine and from the VM's network.
import assert from 'node:assert/strict';
import { createSign } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startCluster, until, type Cluster } from '../harness/cluster.js';
import type { IstioEndpoint, Istiod } from '../harness/istiod.js';
import type { VMHost } from '../harness/network/vmhost.js';
import { workloadEntryConfigure } from '../support/istioctl-oracle.js';
import { pluginBinary } from '../support/plugins.js';

const VM = '192.168.3.202';
const NS = 'bookinfo';

interface Verdict {
  rule: string;
  status: 'PASS' | 'WARN' | 'FAIL';
  reason: string;
}

describe('kubectl meshvm: a VM joins the mesh of a real istiod over the test network', function () {
  this.timeout(300_000);
  let c: Cluster;
  let istiod: Istiod;
  let host: VMHost;
  let lbIP: string;
  const work = mkdtempSync(join(tmpdir(), 'meshvm-it-'));
  const bundle = join(work, 'vm-details');
  const hostsBefore = readFileSync('/etc/hosts', 'utf8');

  const meshvm = (args: string[], opts: { netns?: string } = {}) => {
    const bin = pluginBinary('meshvm');
    const full = [...args, '--kubeconfig', c.kubeconfig];
    return opts.netns
      ? execa('ip', ['netns', 'exec', opts.netns, bin, ...args], { reject: false, stdin: 'ignore', env: { NO_COLOR: '1' } })
      : execa(bin, full, { reject: false, stdin: 'ignore', env: { NO_COLOR: '1' } });
  };
  const ssh = (cmd: string) => execa('ssh', host.sshArgs([cmd]), { reject: false, stdin: 'ignore' });
  const check = async (args: string[], opts: { netns?: string } = {}) => {
    const r = await meshvm(['check', ...args, '-o', 'json'], opts);
    const out = (r.stdout ? JSON.parse(r.stdout) : { items: [] }) as { kind: string; items: Verdict[] };
    const by = (rule: string) => out.items.find((v) => v.rule === rule);
    return { r, items: out.items, by, failed: out.items.filter((v) => v.status === 'FAIL').map((v) => `${v.rule}: ${v.reason}`) };
  };

  // istiod answers /debug from other addresses than loopback only with a token of its own namespace.
  let debugToken = '';
  const endpoints = async (service: string): Promise<IstioEndpoint[]> => {
    debugToken ||= (await c.kubectl(['-n', 'istio-system', 'create', 'token', 'default', '--audience', 'istio-ca'])).stdout.trim();
    const res = await fetch(istiod.httpURL('/debug/endpointz'), { headers: { authorization: `Bearer ${debugToken}` }, signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`istiod /debug/endpointz: HTTP ${res.status}`);
    const all = (await res.json()) as Record<string, Record<string, { Shards: Record<string, IstioEndpoint[]> }>>;
    return Object.values(all[`${service}.${NS}.svc.cluster.local`]?.[NS]?.Shards ?? {}).flat();
  };

  before(async function () {
    c = await startCluster({ name: 'meshvm', network: true, nodes: [{ name: 'meshvm-1', zone: 'zone-a' }] });
    if (!c.network) return this.skip(); // not root: the harness said why in one line
    const net = c.network;
    let vm: VMHost | undefined;
    [istiod] = await Promise.all([
      // istiod where a VM can reach it: on the host side of the network's link (routed from every VM host).
      c.startIstiod({ address: net.hostAddress }),
      // The seed's address is machine-wide: another run's VM host may hold it for a while.
      until(
        `${VM} to be free for a VM host (another run holds it)`,
        async () => {
          vm = await net.addHost({ name: 'details-vm', address: VM }).catch((err: Error) => {
            if (/already routed/.test(err.message)) return undefined;
            throw err;
          });
          return vm !== undefined;
        },
        180_000,
      ),
    ]);
    host = vm!;
    // The east-west gateway: its Service as the sample makes it (LoadBalancer, istio=eastwestgateway,
    // 15012 and 15017), and a gateway pod whose program passes TCP through to istiod unchanged, as the
    // gateway's TLS passthrough does (no Envoy here: the bytes, SNI and certificates are istiod's own).
    await c.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'istio-eastwestgateway', namespace: 'istio-system', labels: { istio: 'eastwestgateway' } },
        spec: {
          type: 'LoadBalancer',
          selector: { istio: 'eastwestgateway' },
          ports: [
            { name: 'tls-istiod', port: 15012, targetPort: 15012 },
            { name: 'tls-webhook', port: 15017, targetPort: 15017 },
          ],
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'istio-eastwestgateway-0', namespace: 'istio-system', labels: { istio: 'eastwestgateway' } },
        spec: {
          nodeName: 'meshvm-1',
          containers: [{ name: 'istio-proxy', image: 'istio/proxyv2', ports: [{ containerPort: 15012 }, { containerPort: 15017 }] }],
        },
      },
    ]);
    const passthrough =
      "const net = require('net'); const [ip, ...pairs] = process.argv.slice(1); for (const p of pairs) { const [l, h, r] = p.split(':'); " +
      "net.createServer((c) => { const u = net.connect(+r, h); c.pipe(u).pipe(c); c.on('error', () => u.destroy()); u.on('error', () => c.destroy()); }).listen(+l, ip); }";
    await net.serve(
      {
        namespace: 'istio-system',
        pod: 'istio-eastwestgateway-0',
        command: process.execPath,
        args: ['-e', passthrough, '{podIP}', `15012:${net.hostAddress}:${istiod.ports.secureGrpc}`, `15017:${net.hostAddress}:${istiod.ports.webhook}`],
      },
      { waitForPort: 15012, timeoutMs: 60_000 },
    );
    await until(
      'the east-west gateway load balancer address',
      async () => {
        lbIP = (
          await c.kubectl(['-n', 'istio-system', 'get', 'svc', 'istio-eastwestgateway', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}'])
        ).stdout.trim();
        return lbIP !== '';
      },
      30_000,
    );
    await net.assertRouted(lbIP);
    await until(`kube-proxy to send ${lbIP}:15012 to the gateway pod`, () => net.accepts(lbIP, 15012), 30_000);
  });
  after(async () => {
    await c?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('registers details and mysqldb on the VM, and istiod has the VM as their endpoint', async () => {
    const details = await meshvm(['-n', NS, 'register', 'details', VM, 'http:9080', '-v']);
    assert.equal(details.exitCode, 0, details.stderr);
    const counts = (stderr: string) => {
      const m = /I: (\d+) API requests to \S+ \(([^)]*)\)/.exec(stderr);
      assert.ok(m, stderr);
      const by = Object.fromEntries(m[2].split(', ').map((x) => [x.split(' ')[0], Number(x.split(' ')[1])]));
      return { total: Number(m[1]), writes: (by['create'] ?? 0) + (by['patch'] ?? 0) + (by['update'] ?? 0) + (by['apply'] ?? 0), line: m[0] };
    };
    const first = counts(details.stderr);
    console.log(`      register details (new Service + WorkloadEntry): ${first.line}`);
    assert.ok(first.writes <= 2 && first.total - first.writes <= 5, first.line);
    const mysql = await meshvm(['-n', NS, 'register', 'mysqldb', VM, '3306', '-o', 'json']);
    assert.equal(mysql.exitCode, 0, mysql.stderr);
    const svc = JSON.parse((await c.kubectl(['-n', NS, 'get', 'svc', 'mysqldb', '-o', 'json'])).stdout) as {
      spec: { ports: { name: string; port: number }[] };
    };
    assert.deepEqual(
      svc.spec.ports.map((p) => `${p.name}:${p.port}`),
      ['mysql:3306'],
      'istioctl register named 3306 mysql',
    );
    // A second run is a no-op.
    const again = await meshvm(['-n', NS, 'register', 'details', VM, 'http:9080', '-v']);
    assert.equal(again.exitCode, 0, again.stderr);
    const noop = counts(again.stderr);
    console.log(`      register details again (nothing to change): ${noop.line}`);
    assert.equal(noop.writes, 0, noop.line);
    for (const [service, port] of [
      ['details', 9080],
      ['mysqldb', 3306],
    ] as const) {
      await until(
        `istiod to have ${VM}:${port} as an endpoint of ${service}`,
        async () => (await endpoints(service)).some((e) => e.Addresses?.includes(VM) && e.EndpointPort === port),
        30_000,
        istiod.processes,
      );
    }
    // list: both services on the one VM, from three lists.
    const list = await meshvm(['-n', NS, 'list', '-o', 'json', '-v']);
    assert.equal(list.exitCode, 0, list.stderr);
    const rows = (JSON.parse(list.stdout) as { items: { address: string; selectedBy: string[]; ports: { name: string; port: number }[] }[] }).items;
    assert.deepEqual(rows.map((r) => [r.address, r.selectedBy.join(','), r.ports.map((p) => `${p.name}:${p.port}`).join(',')]).sort(), [
      [VM, 'service/details', 'http:9080'],
      [VM, 'service/mysqldb', 'mysql:3306'],
    ]);
    assert.match(list.stderr, /I: 4 API requests to \S+ \(get 1, list 3\)/);
    const table = await meshvm(['-n', NS, 'list']);
    assert.match(table.stdout, /^NAME\s+ADDRESS\s+SELECTED BY\s+PORTS\s+HEALTH\n/);
    // Bad input: one line, exit 2, nothing sent.
    for (const [args, message] of [
      [['register', 'details', '192.168.3.256', 'http:9080'], /192\.168\.3\.256/],
      [['register', 'details', '224.0.0.1', 'http:9080'], /unicast|multicast/],
      [['register', 'details', VM, 'http:70000'], /70000/],
    ] as const) {
      const r = await meshvm(['-n', NS, ...args]);
      assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const noNs = await meshvm(['-n', 'nowhere', 'register', 'details', VM, 'http:9080']);
    assert.equal(noNs.exitCode, 1);
    assert.match(noNs.stderr, /namespace "nowhere" not found/);
    // A port that disagrees with the Service is refused with the fix, and nothing is written.
    const bad = await meshvm(['-n', NS, 'register', 'details', '192.168.3.203', 'grpc:9080']);
    assert.equal(bad.exitCode, 1);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /has port 9080 named "http", not "grpc"; register it under its name: http:9080/);
    const entries = (await c.kubectl(['-n', NS, 'get', 'workloadentries', '-o', 'name'])).stdout.trim().split('\n');
    assert.equal(entries.length, 2, entries.join(','));
  });

  it('exposes istiod, bootstraps the group with the gateway address, and check --connect gets a certificate from the real CA', async () => {
    for (const args of [
      ['-n', NS, 'group', 'create', 'details', '--port', 'http=9080', '-l', 'app=details'],
      ['expose-istiod'],
      ['-n', NS, 'bootstrap', 'details', '--output-dir', bundle],
    ]) {
      const r = await meshvm(args);
      assert.equal(r.exitCode, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    assert.equal(readFileSync(join(bundle, 'hosts'), 'utf8'), `${lbIP} istiod.istio-system.svc\n`);
    assert.equal(statSync(join(bundle, 'istio-token')).mode & 0o777, 0o600);
    // The same files as istioctl x workload entry configure on the same cluster (the token aside: a new one each time).
    const oracle = await workloadEntryConfigure(c, { namespace: NS, name: 'details', ingressIP: lbIP });
    for (const f of ['mesh.yaml', 'cluster.env', 'root-cert.pem', 'hosts'] as const) assert.equal(readFileSync(join(bundle, f), 'utf8'), oracle.files[f], f);
    const claims = (t: string) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString()) as { sub: string; aud: string[] };
    const [ours, theirs] = [claims(readFileSync(join(bundle, 'istio-token'), 'utf8')), claims(oracle.files['istio-token'])];
    assert.deepEqual([ours.sub, ours.aud], [theirs.sub, theirs.aud]);
    const root = readFileSync(join(bundle, 'root-cert.pem'), 'utf8');
    assert.equal(root.trimEnd(), (await c.kubectl(['-n', NS, 'get', 'cm', 'istio-ca-root-cert', '-o', 'jsonpath={.data.root-cert\\.pem}'])).stdout);

    const t0 = Date.now();
    const ok = await check(['-n', NS, '--bootstrap', bundle, '--connect']);
    const ms = Date.now() - t0;
    assert.deepEqual(ok.failed, [], ok.r.stderr);
    assert.equal(ok.r.exitCode, 0, ok.r.stderr);
    assert.equal(ok.by('connect-tls')?.status, 'PASS');
    assert.match(ok.by('connect-ca')?.reason ?? '', new RegExp(`spiffe://cluster\\.local/ns/${NS}/sa/default`));
    assert.equal(ok.by('istiod-exposed')?.status, 'PASS');
    assert.equal(ok.by('bundle-token-review')?.status, 'PASS');
    console.log(`      check --bootstrap --connect (cluster reads, TokenReview, TLS, CreateCertificate): ${ms} ms`);
  });

  it('check --connect fails with an expired token and with a foreign root certificate (exit 3)', async () => {
    // Expired: the bundle's own token re-signed by the cluster's service account key with exp in the past.
    const expired = join(work, 'expired');
    cpSync(bundle, expired, { recursive: true });
    const [, payload] = readFileSync(join(bundle, 'istio-token'), 'utf8').trim().split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, number>;
    const now = Math.floor(Date.now() / 1000);
    const body = Buffer.from(JSON.stringify({ ...claims, iat: now - 7200, nbf: now - 7200, exp: now - 3600 })).toString('base64url');
    const head = Buffer.from(JSON.stringify({ alg: 'RS256' })).toString('base64url');
    const sig = createSign('RSA-SHA256')
      .update(`${head}.${body}`)
      .sign(readFileSync(join(c.state.dir, 'pki', 'sa.key')), 'base64url');
    writeFileSync(join(expired, 'istio-token'), `${head}.${body}.${sig}`, { mode: 0o600 });
    const e = await check(['-n', NS, '--bootstrap', expired, '--connect']);
    assert.equal(e.r.exitCode, 3, e.r.stderr);
    assert.equal(e.by('bundle-token')?.status, 'FAIL');
    assert.equal(e.by('connect-ca')?.status, 'FAIL');
    assert.match(e.by('connect-ca')?.reason ?? '', /refused the token/);

    // Foreign root: a CA that is not the mesh's; the handshake must not be trusted.
    const foreign = join(work, 'foreign');
    cpSync(bundle, foreign, { recursive: true });
    // The API server's CA: a real CA of this cluster, but not the mesh's.
    writeFileSync(join(foreign, 'root-cert.pem'), readFileSync(join(c.state.dir, 'pki', 'ca.crt')));
    const f = await check(['-n', NS, '--bootstrap', foreign, '--connect']);
    assert.equal(f.r.exitCode, 3, f.r.stderr);
    assert.equal(f.by('bundle-root-cert')?.status, 'FAIL');
    assert.equal(f.by('connect-tls')?.status, 'FAIL');
    assert.equal(f.by('connect-ca'), undefined, 'no token is sent to a server the root does not vouch for');
  });

  it('setup installs the bundle on the VM over ssh with the modes, /etc/hosts once, and a second run changes nothing', async () => {
    const args = ['setup', `root@${VM}`, '--bootstrap', bundle, '-F', host.sshConfig, '-o', 'json'];
    const first = await meshvm(args);
    assert.equal(first.exitCode, 0, first.stderr);
    assert.match(first.stderr, /no istio unit/);
    const one = JSON.parse(first.stdout) as { changed: boolean; steps: { action: string; path: string }[] };
    assert.equal(one.changed, true);
    const files: [string, string, string][] = [
      ['root-cert.pem', '/etc/certs/root-cert.pem', '644'],
      ['istio-token', '/var/run/secrets/tokens/istio-token', '600'],
      ['cluster.env', '/var/lib/istio/envoy/cluster.env', '644'],
      ['sidecar.env', '/var/lib/istio/envoy/sidecar.env', '644'],
      ['mesh.yaml', '/etc/istio/config/mesh', '644'],
    ];
    const stat = await ssh(`stat -c '%a %n' ${files.map((f) => f[1]).join(' ')}`);
    assert.equal(stat.stdout, files.map(([, path, mode]) => `${mode} ${path}`).join('\n'), stat.stderr);
    for (const [name, path] of files) assert.equal((await ssh(`cat ${path}`)).stdout, readFileSync(join(bundle, name), 'utf8').replace(/\n$/, ''), path);
    const hostsLine = `${lbIP} istiod.istio-system.svc`;
    const etcHosts = (await ssh('cat /etc/hosts')).stdout.split('\n');
    assert.equal(etcHosts.filter((l) => l === hostsLine).length, 1, etcHosts.join('\n'));

    const second = await meshvm(args);
    assert.equal(second.exitCode, 0, second.stderr);
    const two = JSON.parse(second.stdout) as { changed: boolean; steps: { action: string }[] };
    assert.equal(two.changed, false, second.stdout);
    assert.deepEqual([...new Set(two.steps.map((s) => s.action))].sort(), ['no-unit', 'no-user', 'present', 'unchanged']);
    assert.equal((await ssh('cat /etc/hosts')).stdout.split('\n').filter((l) => l === hostsLine).length, 1);
    assert.equal(readFileSync('/etc/hosts', 'utf8'), hostsBefore, "this machine's /etc/hosts is untouched");
    // Unknown host key: refused without --accept-new-host-key, in one line.
    const strict = await execa(pluginBinary('meshvm'), ['setup', `root@${VM}`, '--bootstrap', bundle, '-i', host.identity], {
      reject: false,
      stdin: 'ignore',
      env: { HOME: work, NO_COLOR: '1' },
    });
    assert.equal(strict.exitCode, 1);
    assert.match(strict.stderr, /host key of 192\.168\.3\.202 is not in known_hosts/);
  });

  it("check --connect from inside the VM host's network reaches istiod through the hosts file's address", async () => {
    const r = await check(['--bootstrap', bundle, '--connect', '--offline'], { netns: host.netns });
    assert.deepEqual(r.failed, [], r.r.stderr);
    assert.equal(r.r.exitCode, 0, r.r.stderr);
    assert.match(r.by('connect-tls')?.reason ?? '', new RegExp(`^${lbIP.replace(/\./g, '\\.')}:15012 is istiod\\.istio-system\\.svc`));
    assert.equal(r.by('connect-ca')?.status, 'PASS');
  });

  it('unregister removes the entries and the Services it created, and istiod drops the endpoint', async () => {
    for (const s of ['details', 'mysqldb']) {
      const r = await meshvm(['-n', NS, 'unregister', s, VM]);
      assert.equal(r.exitCode, 0, r.stderr);
    }
    assert.equal((await c.kubectl(['-n', NS, 'get', 'workloadentries,services', '-o', 'name'])).stdout.trim(), '');
    await until('istiod to drop the VM', async () => (await endpoints('details')).length === 0, 30_000, istiod.processes);
  });
});

// A real network under one test cluster: a network namespace joined to this machine by a veth pair,
// with the cluster's Pod, Service and LoadBalancer CIDRs routed into it and nothing routed out of it
// (no default route; the namespace forwards only between its own links). Inside run the agent (pod
// addresses, the responder, real programs, LoadBalancer addresses) and the real kube-proxy. VM hosts
// hang off the namespace (vmhost.ts). Everything is recorded in the machine's registry, removed on
// stop(), and by a reaper process if the owner dies first.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { binDir } from '../binaries.js';
import { until } from '../cluster.js';
import { startProcess, stopPid, type Started } from '../processes.js';
import type { AgentConfig, PodAddress, ServeRule, ServedProgram } from './agent.js';
import { contains, firstFree, formatCidr, nth, overlaps, parseCidr, type Cidr } from './cidr.js';
import { ip, ipJson, routeGet, type RouteInfo } from './ip.js';
import { PREFIX, readRecord, removeRecorded, sweepDead, withMachineLock, writeRecord, type NetworkRecord } from './registry.js';
import { addVMHost, type VMHost, type VMHostOptions } from './vmhost.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
// Link addresses come from link-local space: they never mean anything beyond this machine.
const LINK_RANGE = parseCidr('169.254.64.0/18');
const POD_RANGE = parseCidr('10.160.0.0/11');
const SERVICE_RANGE = parseCidr('10.104.0.0/13');
const LB_RANGE = parseCidr('10.250.0.0/16');
export const KUBE_PROXY_HEALTHZ_PORT = 10256;
export const KUBE_PROXY_METRICS_PORT = 10249;

export interface NetworkOptions {
  /** Default: a free /16 of 10.160.0.0/11 (not used by any route on this machine). */
  podCIDR?: string;
  /** Default: a free /18 of 10.104.0.0/13. */
  serviceCIDR?: string;
  /** The LoadBalancer address pool. Default: a free /27 of 10.250.0.0/16. */
  loadBalancerCIDR?: string;
  /** kube-proxy's mode; nftables falls back to iptables when refused, and says so. */
  kubeProxyMode?: 'nftables' | 'iptables';
}

/** What a cluster saves to reattach (the playground) and what stop() needs. */
export interface NetworkState {
  id: string;
  netns: string;
  hostLink: string;
  hostAddress: string;
  insideAddress: string;
  podCIDR: string;
  serviceCIDR: string;
  loadBalancerCIDR: string;
  dir: string;
  control: string;
  kubeProxyMode?: 'nftables' | 'iptables';
  kubeProxyNote?: string;
  hosts: { name: string; address: string; netns: string; sshConfig: string }[];
}

export interface RouteCheck {
  address: string;
  dev?: string;
  ok: boolean;
}

interface Ctx {
  detached: boolean;
  log: (m: string) => void;
}

function claimable(want: Cidr, taken: { cidr: Cidr; what: string }[], what: string): void {
  const clash = taken.find((t) => overlaps(t.cidr, want));
  if (clash) throw new Error(`${what} ${formatCidr(want)} overlaps ${clash.what} on this machine (another run's network?); choose another`);
}

/** Every IPv4 route and address on this machine but the default route: what a new claim must avoid. */
async function takenOnHost(): Promise<{ cidr: Cidr; what: string }[]> {
  const routes = await ipJson<{ dst: string; dev?: string }[]>(['-4', 'route', 'show', 'table', 'all']);
  const addrs = await ipJson<{ ifname: string; addr_info?: { local: string; prefixlen: number; family: string }[] }[]>(['-4', 'addr', 'show']);
  const out: { cidr: Cidr; what: string }[] = [];
  for (const r of routes) {
    if (r.dst === 'default' || !/^\d/.test(r.dst)) continue;
    const [a, b] = r.dst.split('/');
    const bits = Number(b ?? 32);
    const n = a.split('.').reduce((x, o) => x * 256 + Number(o), 0);
    out.push({ cidr: { base: n - (n % 2 ** (32 - bits)), bits }, what: `the route ${r.dst}${r.dev ? ` (dev ${r.dev})` : ''}` });
  }
  for (const l of addrs)
    for (const a of l.addr_info ?? []) {
      if (a.family !== 'inet') continue;
      const n = a.local.split('.').reduce((x, o) => x * 256 + Number(o), 0);
      out.push({ cidr: { base: n, bits: 32 }, what: `the address ${a.local} of ${l.ifname}` });
    }
  return out;
}

export class Network {
  private readonly hosts: VMHost[] = [];
  private proxy?: { proc: Started; kubeconfig: string; node: string };

  constructor(
    readonly state: NetworkState,
    private readonly ctx: Ctx,
  ) {}

  get netns(): string {
    return this.state.netns;
  }
  get hostAddress(): string {
    return this.state.hostAddress;
  }
  get insideAddress(): string {
    return this.state.insideAddress;
  }

  /**
   * Phase 1, before the API server: claim addresses under the machine lock, make the namespace, the
   * veth pair and the routes. The API server then binds hostAddress.
   */
  static async create(opts: NetworkOptions & { dir: string; detached?: boolean; log?: (m: string) => void }): Promise<Network> {
    const log = opts.log ?? (() => {});
    const swept = await sweepDead();
    if (swept.length) log(`removed the networks of runs that died: ${swept.join(', ')}`);
    const id = `${PREFIX}${randomBytes(3).toString('hex')}`;
    const netns = `${id}-pods`;
    const hostLink = `${id}h`;
    const dir = join(opts.dir, 'network');
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const record: NetworkRecord = {
      id,
      ownerPid: process.pid,
      detached: Boolean(opts.detached),
      netns: [netns],
      hostLinks: [hostLink],
      processes: [],
      createdAt: new Date().toISOString(),
    };
    try {
      return await withMachineLock(async () => {
        const taken = await takenOnHost();
        const pick = (given: string | undefined, range: Cidr, bits: number, what: string): Cidr => {
          if (given) {
            const c = parseCidr(given);
            claimable(c, taken, what);
            taken.push({ cidr: c, what: `this network's ${what}` });
            return c;
          }
          const c = firstFree(
            range,
            bits,
            taken.map((t) => t.cidr),
          );
          if (!c) throw new Error(`no free ${what} left in ${formatCidr(range)} on this machine`);
          taken.push({ cidr: c, what: `this network's ${what}` });
          return c;
        };
        const link = pick(undefined, LINK_RANGE, 30, 'link');
        const pod = pick(opts.podCIDR, POD_RANGE, 16, 'Pod CIDR');
        const svc = pick(opts.serviceCIDR, SERVICE_RANGE, 18, 'Service CIDR');
        const lb = pick(opts.loadBalancerCIDR, LB_RANGE, 27, 'LoadBalancer pool');
        const hostAddress = nth(link, 1);
        const insideAddress = nth(link, 2);
        writeRecord(record); // before anything exists, so a crash from here on is cleaned up
        await ip(['netns', 'add', netns]);
        await ip(['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', `${id}n`, 'netns', netns]);
        await ip(['addr', 'add', `${hostAddress}/30`, 'dev', hostLink]);
        await ip(['link', 'set', hostLink, 'up']);
        const inNs = (args: string[]) => ip(args, { netns });
        await inNs(['link', 'set', 'lo', 'up']);
        await inNs(['link', 'set', `${id}n`, 'name', 'host0']);
        await inNs(['addr', 'add', `${insideAddress}/30`, 'dev', 'host0']);
        await inNs(['link', 'set', 'host0', 'up']);
        // IPv4 only, and no forwarding until a VM host needs it.
        await execa('ip', ['netns', 'exec', netns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv4.ip_forward=0'], { stdin: 'ignore' });
        for (const c of [pod, svc, lb]) await ip(['route', 'add', formatCidr(c), 'via', insideAddress, 'dev', hostLink]);
        const state: NetworkState = {
          id,
          netns,
          hostLink,
          hostAddress,
          insideAddress,
          podCIDR: formatCidr(pod),
          serviceCIDR: formatCidr(svc),
          loadBalancerCIDR: formatCidr(lb),
          dir,
          control: join(dir, 'agent.sock'),
          hosts: [],
        };
        if (!opts.detached) {
          // The reaper removes it all if this process dies without stop() (a crash, SIGKILL).
          startProcess('network-reaper', process.execPath, [join(HERE, 'reaper.js'), id, String(process.pid)], join(dir, 'logs', 'reaper.log'), {
            detached: true,
          });
        }
        log(
          `network ${netns}: ${hostAddress} <-> ${insideAddress}, pods ${state.podCIDR}, services ${state.serviceCIDR}, load balancers ${state.loadBalancerCIDR}`,
        );
        return new Network(state, { detached: Boolean(opts.detached), log });
      });
    } catch (err) {
      await removeRecorded(record, 500);
      throw err;
    }
  }

  /** Processes outside the namespace, and temp folders, that go with the network (a crash leaves nothing). */
  adopt(procs: { name: string; pid: number; match: string }[], dirs: string[] = []): void {
    const r = readRecord(this.state.id);
    if (!r) return;
    r.processes.push(...procs);
    r.dirs = [...(r.dirs ?? []), ...dirs];
    writeRecord(r);
  }

  /**
   * Phase 2, once the API server answers on hostAddress: the agent and kube-proxy inside the namespace,
   * then the route checks. creds: client certs and the CA for the two (files).
   */
  async startServices(o: { server: string; ca: string; agentCert: { cert: string; key: string }; kubeProxyKubeconfig: string; node: string }): Promise<void> {
    const s = this.state;
    const logs = join(s.dir, 'logs');
    const agentCfg: AgentConfig = {
      server: o.server,
      ca: o.ca,
      cert: o.agentCert.cert,
      key: o.agentCert.key,
      podCIDR: s.podCIDR,
      loadBalancerCIDR: s.loadBalancerCIDR,
      control: s.control,
      logDir: logs,
      // Pod addresses go on the namespace's loopback (/32 each): local to it, announced nowhere.
      device: 'lo',
      reservedPorts: [KUBE_PROXY_HEALTHZ_PORT, KUBE_PROXY_METRICS_PORT],
    };
    const agentFile = join(s.dir, 'agent.json');
    writeFileSync(agentFile, JSON.stringify(agentCfg, null, 2));
    const agent = this.inside('network-agent', process.execPath, [join(HERE, 'agent.js'), agentFile], join(logs, 'agent.log'));
    const proxy = await this.startKubeProxy(o.kubeProxyKubeconfig, o.node);
    this.proxy = { proc: proxy, kubeconfig: o.kubeProxyKubeconfig, node: o.node };
    await waitFor('the network agent', () => this.control('GET', '/healthz').then(() => true), 15_000, [agent]);
    await this.checkRoutes();
  }

  /** Start a process inside the cluster's namespace (stopped with it). */
  private inside(name: string, cmd: string, args: string[], log: string): Started {
    return startProcess(name, 'ip', ['netns', 'exec', this.netns, cmd, ...args], log, { detached: this.ctx.detached });
  }

  private async startKubeProxy(kubeconfig: string, node: string): Promise<Started> {
    const s = this.state;
    const bins = binDir(['kube-proxy']);
    const attempt = async (mode: 'nftables' | 'iptables'): Promise<Started | string> => {
      const cfg = join(s.dir, `kube-proxy-${mode}.yaml`);
      writeFileSync(
        cfg,
        [
          'apiVersion: kubeproxy.config.k8s.io/v1alpha1',
          'kind: KubeProxyConfiguration',
          `clientConnection: {kubeconfig: ${kubeconfig}}`,
          `mode: ${mode}`,
          `hostnameOverride: ${node}`,
          `clusterCIDR: ${s.podCIDR}`,
          `healthzBindAddress: ${s.insideAddress}:${KUBE_PROXY_HEALTHZ_PORT}`,
          `metricsBindAddress: ${s.insideAddress}:${KUBE_PROXY_METRICS_PORT}`,
          `nodePortAddresses: ["${s.insideAddress}/32"]`,
          // 0: leave the (machine-wide) conntrack sysctls alone.
          'conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}',
          '',
        ].join('\n'),
      );
      const log = join(s.dir, 'logs', `kube-proxy-${mode}.log`);
      const p = this.inside('kube-proxy', join(bins, 'kube-proxy'), [`--config=${cfg}`, '--v=2'], log);
      try {
        await waitFor(
          `kube-proxy (${mode} mode) to sync`,
          // healthz answers 200 before the first sync: that sync must be done too.
          async () =>
            (await httpStatus(`http://${s.insideAddress}:${KUBE_PROXY_HEALTHZ_PORT}/healthz`)) === 200 &&
            /^kubeproxy_sync_proxy_rules_last_timestamp_seconds(?:\{[^}]*\})? [1-9]/m.test(
              await (await fetch(`http://${s.insideAddress}:${KUBE_PROXY_METRICS_PORT}/metrics`)).text(),
            ),
          30_000,
          [p],
        );
        return p;
      } catch (err) {
        await stopPid(p.pid, p.match, 2000);
        return (err as Error).message.split('\n').find((l) => /nftables|nft /i.test(l)) ?? (err as Error).message.split('\n')[0];
      }
    };
    const first = this.state.kubeProxyMode ?? 'nftables';
    const r = await attempt(first);
    if (typeof r !== 'string') {
      s.kubeProxyMode = first;
      this.ctx.log(`kube-proxy runs in ${first} mode in ${this.netns}`);
      return r;
    }
    if (first === 'iptables') throw new Error(`kube-proxy did not start in iptables mode: ${r}`);
    const second = await attempt('iptables');
    if (typeof second === 'string') throw new Error(`kube-proxy refused nftables mode (${r}) and iptables mode (${second})`);
    s.kubeProxyMode = 'iptables';
    s.kubeProxyNote = `nftables mode refused: ${r}`;
    this.ctx.log(`kube-proxy: nftables mode was refused (${r}); running in iptables mode`);
    return second;
  }

  /** Stop kube-proxy and start it again (a full sync of whatever the cluster holds); ms until it synced. */
  async restartKubeProxy(): Promise<number> {
    if (!this.proxy) throw new Error(`network ${this.netns} runs no kube-proxy`);
    await stopPid(this.proxy.proc.pid, this.proxy.proc.match);
    const t = Date.now();
    this.proxy.proc = await this.startKubeProxy(this.proxy.kubeconfig, this.proxy.node);
    return Date.now() - t;
  }

  /** The routes this machine has for the network's addresses: each must go into the namespace. */
  async routes(): Promise<RouteCheck[]> {
    const s = this.state;
    const probes = [
      s.insideAddress,
      ...[s.podCIDR, s.serviceCIDR, s.loadBalancerCIDR].flatMap((c) => [nth(parseCidr(c), 1), nth(parseCidr(c), 2 ** (32 - parseCidr(c).bits) - 2)]),
    ];
    probes.push(...s.hosts.map((h) => h.address));
    return Promise.all(
      probes.map(async (address) => {
        const r: RouteInfo | undefined = await routeGet(address);
        return { address, dev: r?.dev, ok: r?.dev === s.hostLink && r.type !== 'unreachable' };
      }),
    );
  }

  /** Throws unless every address of the network is routed into its namespace (run before reporting ready). */
  async checkRoutes(): Promise<void> {
    const bad = (await this.routes()).filter((r) => !r.ok);
    if (bad.length)
      throw new Error(`not routed into ${this.netns}: ${bad.map((b) => `${b.address} (dev ${b.dev ?? 'none'})`).join(', ')}; refusing to use the network`);
  }

  /** Is this address one the network routes into its namespace (safe to send to)? */
  owns(address: string): boolean {
    const s = this.state;
    return (
      address === s.insideAddress ||
      [s.podCIDR, s.serviceCIDR, s.loadBalancerCIDR].some((c) => contains(parseCidr(c), address)) ||
      s.hosts.some((h) => h.address === address)
    );
  }

  /** A request to the agent's control socket. */
  control<T>(method: string, path: string, body?: unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const req = request({ socketPath: this.state.control, method, path, timeout: 10_000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          (res.statusCode ?? 0) >= 300
            ? reject(new Error(`network agent: ${text}`))
            : resolve((res.headers['content-type']?.includes('json') ? JSON.parse(text) : text) as T),
        );
      });
      req.on('timeout', () => req.destroy(new Error('the network agent did not answer')));
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  /** The pod addresses the agent holds (with when it saw each and when the address was added). */
  pods(): Promise<(PodAddress & { onInterface: boolean })[]> {
    return this.control('GET', '/pods');
  }

  /** Prometheus text: the responder's request counts by pod and port. */
  metrics(): Promise<string> {
    return this.control('GET', '/metrics');
  }

  /**
   * Serve a pod (or every pod matching a selector) with a real program instead of the responder: it runs
   * inside the namespace with POD_IP/POD_NAME/POD_NAMESPACE set and {podIP} in its arguments replaced,
   * bound to the pod's address. Resolves once it runs (and, with waitForPort, accepts connections).
   */
  async serve(
    rule: ServeRule,
    opts: { waitForPort?: number; timeoutMs?: number } = {},
  ): Promise<{ id: string; programs: () => Promise<ServedProgram[]>; stop: () => Promise<void> }> {
    const { id } = await this.control<{ id: string }>('POST', '/serve', rule);
    const programs = async () => (await this.control<ServedProgram[]>('GET', '/serve')).filter((p) => p.rule === id);
    await waitFor(
      `a program serving ${rule.namespace}/${rule.pod ?? JSON.stringify(rule.selector)}`,
      async () => {
        const ps = await programs();
        const dead = ps.find((p) => p.exitCode !== null);
        if (dead) throw new Error(`${rule.command} exited with ${dead.exitCode}; see ${dead.log}`);
        if (!ps.length) return false;
        if (!opts.waitForPort) return true;
        return (await Promise.all(ps.map((p) => this.accepts(p.ip, opts.waitForPort!)))).every(Boolean);
      },
      opts.timeoutMs ?? 30_000,
    );
    return { id, programs, stop: () => this.control('DELETE', `/serve/${id}`) };
  }

  /** Does address:port accept a TCP connection? Only for addresses of this network (route checked). */
  async accepts(address: string, port: number): Promise<boolean> {
    await this.assertRouted(address);
    const { connect } = await import('node:net');
    return new Promise((resolve) => {
      const s = connect({ host: address, port, timeout: 1000 });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
      s.once('timeout', () => (s.destroy(), resolve(false)));
    });
  }

  /** Throws unless address is one of this network's and this machine routes it into the namespace. */
  async assertRouted(address: string): Promise<void> {
    if (!this.owns(address)) throw new Error(`${address} is not an address of network ${this.netns}; refusing to send to it`);
    const r = await routeGet(address);
    if (r?.dev !== this.state.hostLink) throw new Error(`${address} is not routed into ${this.netns} (dev ${r?.dev ?? 'none'}); refusing to send to it`);
  }

  /** kube-proxy's Prometheus metrics (from its metrics address inside the namespace). */
  async kubeProxyMetrics(): Promise<string> {
    await this.assertRouted(this.insideAddress);
    const r = await fetch(`http://${this.insideAddress}:${KUBE_PROXY_METRICS_PORT}/metrics`);
    return r.text();
  }

  /**
   * A VM host: a namespace of its own with `address`, routed both ways to this machine and to the pod
   * network, with Debian's sshd listening only there, in a Debian root of its own.
   */
  async addHost(opts: VMHostOptions): Promise<VMHost> {
    const host = await addVMHost(this, opts, this.ctx);
    this.hosts.push(host);
    return host;
  }

  /** For vmhost.ts: record a namespace (removed before the cluster's) in the machine registry. */
  record(update: (r: NetworkRecord) => void): void {
    const r = readRecord(this.state.id);
    if (!r) throw new Error(`network ${this.state.id} is not in the registry`);
    update(r);
    writeRecord(r);
  }

  async stop(): Promise<void> {
    await removeNetwork(this.state);
  }
}

/** Remove a network by its state (also one started detached by another process: the playground). */
export async function removeNetwork(state: NetworkState): Promise<void> {
  const r = readRecord(state.id);
  if (r) await removeRecorded(r);
}

async function httpStatus(url: string): Promise<number> {
  const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await r.arrayBuffer();
  return r.status;
}

const waitFor = (what: string, check: () => Promise<boolean>, timeoutMs: number, procs: Started[] = []) => until(what, check, timeoutMs, procs);

// The agent of a cluster's network, run INSIDE its network namespace (ip netns exec): it gives every
// pod that has an IP that address on the namespace's loopback interface and takes it away when the pod
// goes; it answers HTTP on the pods' container ports with the pod's identity (one wildcard listener
// per port, telling pods apart by the local address), or runs the real program for pods a test asked
// to serve; it hands LoadBalancer Services an address from the cluster's pool. The harness talks to
// it over a unix socket (GET /pods, GET /metrics, POST /serve, DELETE /serve/<id>).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { versionOf } from '../../playground/routing.js';
import { ApiClient, apiAccessFromFiles, type WatchedObject } from './apiwatch.js';
import { contains, nth, parseCidr, size, type Cidr } from './cidr.js';
import { ipBatch } from './ip.js';

export interface AgentConfig {
  server: string;
  ca: string;
  cert: string;
  key: string;
  podCIDR: string;
  loadBalancerCIDR: string;
  /** The agent's control socket (a path on the shared filesystem, reachable from outside the namespace). */
  control: string;
  logDir: string;
  /** The interface pod addresses go on. */
  device: string;
  /** Ports other processes of the namespace bind on its own addresses (kube-proxy's): never a wildcard. */
  reservedPorts: number[];
}

export interface PodAddress {
  namespace: string;
  name: string;
  ip: string;
  ports: number[];
  version: string;
  /** ms since the epoch: when the agent saw the pod's IP, and when the address was on the interface. */
  seenAt: number;
  addedAt?: number;
  /** Served by a real program (POST /serve) rather than by the responder. */
  servedBy?: string;
}

export interface ServeRule {
  namespace: string;
  /** A pod name, or a label selector (every matching pod gets its own program). */
  pod?: string;
  selector?: Record<string, string>;
  command: string;
  /** {podIP}, {podName} and {podNamespace} in these are replaced for each pod. */
  args?: string[];
  env?: Record<string, string>;
}

export interface ServedProgram {
  rule: string;
  namespace: string;
  pod: string;
  ip: string;
  pid: number;
  log: string;
  exitCode: number | null;
}

interface Pod extends PodAddress {
  labels: Record<string, string>;
}

const key = (ns: string, name: string) => `${ns}/${name}`;

export class NetworkAgent {
  private readonly pods = new Map<string, Pod>();
  private readonly byIP = new Map<string, Pod>();
  private readonly onInterface = new Set<string>();
  private readonly listeners = new Map<string, Server>();
  private readonly requests = new Map<string, number>();
  private readonly rules = new Map<string, ServeRule>();
  private readonly programs = new Map<string, { child: ChildProcess; info: ServedProgram }>();
  private readonly podCIDR: Cidr;
  private readonly lbCIDR: Cidr;
  private readonly api: ApiClient;
  private readonly watches: { stop: () => void }[] = [];
  private control?: Server;
  private pending?: Promise<void>;
  private dirty = false;
  private ruleCount = 0;
  private lbAssigned = new Map<string, string>();

  constructor(private readonly cfg: AgentConfig) {
    this.podCIDR = parseCidr(cfg.podCIDR);
    this.lbCIDR = parseCidr(cfg.loadBalancerCIDR);
    this.api = new ApiClient(apiAccessFromFiles(cfg.server, cfg.ca, cfg.cert, cfg.key));
  }

  async start(): Promise<void> {
    rmSync(this.cfg.control, { force: true });
    this.control = createServer((req, res) => void this.handleControl(req, res));
    await new Promise<void>((resolve, reject) => {
      this.control!.once('error', reject);
      this.control!.listen(this.cfg.control, () => resolve());
    });
    this.watches.push(
      this.api.watch(
        '/api/v1/pods',
        (items) => {
          const seen = new Set(items.map((p) => key(p.metadata.namespace ?? '', p.metadata.name)));
          for (const k of [...this.pods.keys()]) if (!seen.has(k)) this.forget(k);
          for (const p of items) this.observePod(p);
          this.schedule();
        },
        (type, p) => {
          if (type === 'DELETED') this.forget(key(p.metadata.namespace ?? '', p.metadata.name));
          else this.observePod(p);
          this.schedule();
        },
      ),
      this.api.watch(
        '/api/v1/services',
        (items) => items.forEach((s) => void this.observeService(s)),
        (type, s) => (type === 'DELETED' ? this.lbAssigned.delete(key(s.metadata.namespace ?? '', s.metadata.name)) : void this.observeService(s)),
      ),
    );
  }

  private observePod(p: WatchedObject): void {
    const k = key(p.metadata.namespace ?? '', p.metadata.name);
    const podIP = p.status?.['podIP'];
    const ip = typeof podIP === 'string' ? podIP : '';
    const phase = p.status?.['phase'];
    const spec = p.spec as { hostNetwork?: boolean; containers?: { ports?: { containerPort: number; protocol?: string }[] }[] } | undefined;
    // Only addresses of our own Pod CIDR ever go on the interface (a hostNetwork pod has the node's).
    if (!ip || spec?.hostNetwork || phase === 'Succeeded' || phase === 'Failed' || !contains(this.podCIDR, ip)) return this.forget(k);
    const prev = this.pods.get(k);
    if (prev && prev.ip !== ip) this.forget(k);
    const ports = [
      ...new Set((spec?.containers ?? []).flatMap((c) => (c.ports ?? []).filter((x) => (x.protocol ?? 'TCP') === 'TCP').map((x) => x.containerPort))),
    ].sort((a, b) => a - b);
    const labels = p.metadata.labels ?? {};
    const pod: Pod = {
      namespace: p.metadata.namespace ?? '',
      name: p.metadata.name,
      ip,
      ports,
      labels,
      version: versionOf({ namespace: p.metadata.namespace ?? '', name: p.metadata.name, labels }),
      seenAt: prev && prev.ip === ip ? prev.seenAt : Date.now(),
      addedAt: prev && prev.ip === ip ? prev.addedAt : undefined,
    };
    this.pods.set(k, pod);
    this.byIP.set(ip, pod);
  }

  private forget(k: string): void {
    const p = this.pods.get(k);
    if (!p) return;
    this.pods.delete(k);
    if (this.byIP.get(p.ip) === p) this.byIP.delete(p.ip);
  }

  /** Coalesce changes: one reconcile at a time, and one more if anything changed meanwhile. */
  private schedule(): void {
    this.dirty = true;
    if (this.pending) return;
    this.pending = (async () => {
      while (this.dirty) {
        this.dirty = false;
        await this.reconcile().catch((err: Error) => process.stderr.write(`reconcile: ${err.message}\n`));
      }
      this.pending = undefined;
    })();
  }

  private async reconcile(): Promise<void> {
    const want = new Set(this.byIP.keys());
    const add = [...want].filter((a) => !this.onInterface.has(a));
    const del = [...this.onInterface].filter((a) => !want.has(a));
    // Listeners on addresses about to go close first; programs of pods that went are stopped.
    for (const [id, p] of this.programs) if (!want.has(p.info.ip) || this.byIP.get(p.info.ip)?.name !== p.info.pod) this.stopProgram(id);
    await this.syncListeners(new Set([...want].filter((a) => !del.includes(a) && this.onInterface.has(a))));
    await ipBatch([...del.map((a) => `addr del ${a}/32 dev ${this.cfg.device}`), ...add.map((a) => `addr add ${a}/32 dev ${this.cfg.device}`)]);
    const now = Date.now();
    del.forEach((a) => this.onInterface.delete(a));
    for (const a of add) {
      this.onInterface.add(a);
      const p = this.byIP.get(a);
      if (p && p.addedAt === undefined) p.addedAt = now;
    }
    this.startPrograms();
    await this.syncListeners(this.onInterface);
  }

  private servedBy(p: Pod): string | undefined {
    for (const [id, r] of this.rules) {
      if (r.namespace !== p.namespace) continue;
      if (r.pod ? r.pod === p.name : Object.entries(r.selector ?? {}).every(([k, v]) => p.labels[k] === v)) return id;
    }
    return undefined;
  }

  /** One wildcard listener per port, except ports a served program or kube-proxy binds: per address there. */
  private async syncListeners(usable: Set<string>): Promise<void> {
    const pods = [...this.pods.values()].filter((p) => usable.has(p.ip));
    for (const p of pods) p.servedBy = this.servedBy(p);
    const exclusive = new Set([...this.cfg.reservedPorts, ...pods.filter((p) => p.servedBy).flatMap((p) => p.ports)]);
    const want = new Set<string>();
    for (const p of pods) {
      if (p.servedBy) continue;
      for (const port of p.ports) want.add(exclusive.has(port) ? `${p.ip}:${port}` : `0.0.0.0:${port}`);
    }
    for (const [k, srv] of this.listeners) {
      if (want.has(k)) continue;
      this.listeners.delete(k);
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
    await Promise.all(
      [...want]
        .filter((k) => !this.listeners.has(k))
        .map(async (k) => {
          const [host, port] = k.split(':');
          const srv = createServer((req, res) => this.respond(req, res));
          srv.on('connection', (sock) => {
            // A pod that does not declare this port, or one a real program serves: refused as by its own stack.
            const p = this.byIP.get(sock.localAddress ?? '');
            if (!p || p.servedBy || !p.ports.includes(sock.localPort ?? 0)) sock.destroy();
          });
          try {
            await new Promise<void>((resolve, reject) => {
              srv.once('error', reject);
              srv.listen({ host, port: Number(port), exclusive: true }, () => resolve());
            });
            this.listeners.set(k, srv);
          } catch (err) {
            process.stderr.write(`cannot listen on ${k}: ${(err as Error).message}\n`);
          }
        }),
    );
  }

  private respond(req: IncomingMessage, res: ServerResponse): void {
    const p = this.byIP.get(req.socket.localAddress ?? '');
    if (!p) return void res.writeHead(404).end();
    const port = req.socket.localPort ?? 0;
    const counter = `${p.namespace}\0${p.name}\0${port}\0${p.version}`;
    this.requests.set(counter, (this.requests.get(counter) ?? 0) + 1);
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'x-version': p.version, 'x-pod': key(p.namespace, p.name), 'x-pod-ip': p.ip });
    res.end(`${p.version}\n`);
  }

  private startPrograms(): void {
    for (const p of this.pods.values()) {
      const id = this.servedBy(p);
      if (!id || !this.onInterface.has(p.ip)) continue;
      const progKey = `${id}/${p.namespace}/${p.name}`;
      if (this.programs.has(progKey)) continue;
      const r = this.rules.get(id)!;
      const fill = (s: string) => s.replaceAll('{podIP}', p.ip).replaceAll('{podName}', p.name).replaceAll('{podNamespace}', p.namespace);
      const log = join(this.cfg.logDir, `serve-${p.namespace}-${p.name}.log`);
      const fd = openSync(log, 'a');
      const child = spawn(r.command, (r.args ?? []).map(fill), {
        stdio: ['ignore', fd, fd],
        env: { ...process.env, ...r.env, POD_IP: p.ip, POD_NAME: p.name, POD_NAMESPACE: p.namespace },
      });
      closeSync(fd);
      const info: ServedProgram = { rule: id, namespace: p.namespace, pod: p.name, ip: p.ip, pid: child.pid ?? 0, log, exitCode: null };
      child.on('exit', (code) => (info.exitCode = code ?? -1));
      child.on('error', (err) => {
        info.exitCode = -1;
        process.stderr.write(`serve ${progKey}: ${err.message}\n`);
      });
      this.programs.set(progKey, { child, info });
    }
  }

  private stopProgram(id: string): void {
    const p = this.programs.get(id);
    if (!p) return;
    this.programs.delete(id);
    if (p.child.exitCode === null) p.child.kill('SIGTERM');
    setTimeout(() => p.child.exitCode === null && p.child.kill('SIGKILL'), 3000).unref();
  }

  private async observeService(s: WatchedObject): Promise<void> {
    const k = key(s.metadata.namespace ?? '', s.metadata.name);
    const type = s.spec?.['type'];
    const ingress = ((s.status?.['loadBalancer'] as { ingress?: { ip?: string }[] } | undefined)?.ingress ?? []).map((i) => i.ip ?? '');
    const ours = ingress.find((i) => i && contains(this.lbCIDR, i));
    if (type !== 'LoadBalancer') {
      this.lbAssigned.delete(k);
      return;
    }
    if (ours) return void this.lbAssigned.set(k, ours);
    if (ingress.length || s.spec?.['loadBalancerClass']) return; // someone else's load balancer
    const used = new Set(this.lbAssigned.values());
    let ip: string | undefined;
    for (let i = 1; i < size(this.lbCIDR) - 1 && !ip; i++) if (!used.has(nth(this.lbCIDR, i))) ip = nth(this.lbCIDR, i);
    if (!ip) return void process.stderr.write(`no address left in ${this.cfg.loadBalancerCIDR} for service ${k}\n`);
    this.lbAssigned.set(k, ip);
    try {
      await this.api.json(
        'PATCH',
        `/api/v1/namespaces/${s.metadata.namespace}/services/${s.metadata.name}/status`,
        { status: { loadBalancer: { ingress: [{ ip, ipMode: 'VIP' }] } } },
        'application/merge-patch+json',
      );
    } catch (err) {
      this.lbAssigned.delete(k);
      process.stderr.write(`service ${k}: ${(err as Error).message}\n`);
    }
  }

  metrics(): string {
    const lines = ['# HELP kplugins_pod_requests_total HTTP requests the responder answered, by pod and port.', '# TYPE kplugins_pod_requests_total counter'];
    for (const [k, n] of this.requests) {
      const [ns, pod, port, version] = k.split('\0');
      lines.push(`kplugins_pod_requests_total{namespace="${ns}",pod="${pod}",port="${port}",version="${version}"} ${n}`);
    }
    lines.push('# TYPE kplugins_pod_addresses gauge', `kplugins_pod_addresses ${this.onInterface.size}`);
    return lines.join('\n') + '\n';
  }

  private async handleControl(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let body = '';
    for await (const c of req) body += String(c);
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === '/healthz') return send(200, { ok: true });
    if (req.method === 'GET' && url === '/pods')
      return send(
        200,
        [...this.pods.values()].map(({ labels: _labels, ...p }) => ({ ...p, onInterface: this.onInterface.has(p.ip) })),
      );
    if (req.method === 'GET' && url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      return void res.end(this.metrics());
    }
    if (req.method === 'GET' && url === '/serve')
      return send(
        200,
        [...this.programs.values()].map((p) => p.info),
      );
    if (req.method === 'POST' && url === '/serve') {
      const rule = JSON.parse(body) as ServeRule;
      if (!rule.namespace || !rule.command || (!rule.pod && !rule.selector)) return send(400, { error: 'namespace, command and pod or selector are required' });
      const id = `rule-${++this.ruleCount}`;
      this.rules.set(id, rule);
      this.schedule();
      return send(201, { id });
    }
    const del = /^\/serve\/([\w-]+)$/.exec(url);
    if (req.method === 'DELETE' && del) {
      this.rules.delete(del[1]);
      for (const [k, p] of this.programs) if (p.info.rule === del[1]) this.stopProgram(k);
      this.schedule();
      return send(200, { deleted: del[1] });
    }
    send(404, { error: `no such control endpoint: ${req.method} ${url}` });
  }

  async stop(): Promise<void> {
    this.watches.forEach((w) => w.stop());
    for (const k of [...this.programs.keys()]) this.stopProgram(k);
    for (const srv of this.listeners.values()) {
      srv.closeAllConnections();
      srv.close();
    }
    this.control?.close();
    this.api.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8')) as AgentConfig;
  const agent = new NetworkAgent(cfg);
  await agent.start();
  process.stdout.write(`agent ready on ${cfg.control}\n`);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void agent.stop().then(() => process.exit(0)));
}

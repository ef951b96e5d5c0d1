// A real Kubernetes control plane on loopback: etcd, kube-apiserver (TLS, client certs, RBAC,
// service-account tokens), controller-manager, scheduler, and kwok for nodes and pod status.
// Several can run at once; each has its own ports, folder, CA and Pod/Service CIDRs.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { bin, binDir } from './binaries.js';
import { kubeconfigYaml, makeCA, makeServiceAccountKeys, signCert, type ClientCert } from './certs.js';
import { Istiod, startIstiod, type IstiodOptions, type IstiodState } from './istiod.js';
import { freePort, isOurs, isRunning, removeOnExit, startProcess, stopPid, stopProcess, type Started } from './processes.js';
import { until } from './wait.js';

export { until } from './wait.js';
import { networkFor, startEgressGuard, startNetworkServices } from './network/hook.js';
import { removeNetwork, type Network, type NetworkOptions, type NetworkState } from './network/network.js';

export interface NodeSpec {
  name: string;
  labels?: Record<string, string>;
  zone?: string;
  taints?: { key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }[];
}

export interface ClusterOptions {
  name?: string;
  nodes?: NodeSpec[];
  /** Pod CIDR (kwok assigns pod IPs from it; the controller-manager gives each node a /24). */
  podCIDR?: string;
  serviceCIDR?: string;
  /** Install the Istio CRDs (default true). */
  istio?: boolean;
  /** Install the Gateway API CRDs, standard channel (default: as istio, so a lean cluster stays lean). */
  gatewayApi?: boolean;
  /** Folder for state; a temp folder by default. */
  dir?: string;
  /** Keep running after this process exits (the playground). */
  detached?: boolean;
  /** Run istiod against the cluster once its CRDs are served: true, or its options (istiod.ts). */
  istiod?: boolean | IstiodOptions;
  /**
   * Port-forward to pods through the API server, as to a kubelet: kwok serves the kubelet API on
   * loopback and forwards a pod's ports to the addresses its PortForward objects name (default: when the
   * cluster runs istiod, whose debug port is reached that way, as istioctl reaches it).
   */
  portForward?: boolean;
  /**
   * The controller-manager gives each node a podCIDR from podCIDR (default true). False: nodes carry
   * none, as with CNIs that allocate addresses themselves (kwok still gives pods IPs from podCIDR).
   */
  allocateNodeCIDRs?: boolean;
  log?: (message: string) => void;
  /**
   * A real network under the cluster (test/harness/network/): pod IPs that answer, kube-proxy, a
   * LoadBalancer pool, VM hosts. Needs root; without it the cluster starts without one and says so.
   */
  network?: boolean | NetworkOptions;
}

export interface ProcessInfo {
  name: string;
  pid: number;
  match: string;
  log: string;
  /** The command line it was started with (absent in state files of older runs): restart() runs it again. */
  cmd?: string;
  args?: string[];
}

/** The control plane's processes, in start order: the ones restartable on their own data. */
const CONTROL_PLANE = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'];

const info = (p: Started): ProcessInfo => ({ name: p.name, pid: p.pid, match: p.match, log: p.log, cmd: p.cmd, args: p.args });

export interface ClusterState {
  name: string;
  dir: string;
  kubeconfig: string;
  server: string;
  podCIDR: string;
  serviceCIDR: string;
  processes: ProcessInfo[];
  startedAt: string;
  /** Milliseconds from start() to ready. */
  startupMs: number;
  istiod?: IstiodState;
  /** The kubelet API kwok serves on 127.0.0.1 (port-forward through the API server), when enabled. */
  kubeletPort?: number;
  network?: NetworkState;
}

let clusterCount = 0;

/** The first host address of an IPv4 CIDR: 10.96.0.0/16 -> 10.96.0.1. */
export function firstIP(cidr: string): string {
  const octets = cidr.split('/')[0].split('.').map(Number);
  octets[3] = octets[3] + 1;
  return octets.join('.');
}

export const DEFAULT_NODES: NodeSpec[] = [
  { name: 'kwok-node-1', zone: 'zone-a' },
  { name: 'kwok-node-2', zone: 'zone-b' },
];

export function nodeManifest(n: NodeSpec): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels: {
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
        ...(n.zone ? { 'topology.kubernetes.io/zone': n.zone } : {}),
        ...(n.labels ?? {}),
      },
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { ...(n.taints?.length ? { taints: n.taints } : {}) },
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
    },
  };
}

function get(url: string, cert?: ClientCert, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const opts = { method: 'GET', hostname: u.hostname, port: u.port, path: u.pathname + u.search, timeout: 2000 };
    const req = (u.protocol === 'https:' ? request : httpRequest)(
      u.protocol === 'https:' ? { ...opts, cert: cert?.cert, key: cert?.key, ca, rejectUnauthorized: Boolean(ca) } : opts,
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export class Cluster {
  readonly state: ClusterState;
  /** istiod, when the cluster runs one (ClusterOptions.istiod or startIstiod()). */
  istiod?: Istiod;
  private readonly procs: Started[];
  private readonly ca: string;
  private readonly forgetDir: () => void;
  private admin?: ClientCert;
  /** The cluster's network, when it has one (startCluster({ network: true }) as root). */
  network?: Network;

  constructor(state: ClusterState, procs: Started[] = [], forgetDir: () => void = () => {}, network?: Network) {
    this.state = state;
    this.network = network;
    this.procs = procs;
    this.forgetDir = forgetDir;
    this.ca = readFileSync(join(state.dir, 'pki', 'ca.crt'), 'utf8');
    if (state.istiod) this.istiod = new Istiod(state.istiod);
  }

  /** GET an API path as the admin and parse it: cheaper than spawning kubectl where a wait polls. */
  async getJSON<T>(path: string): Promise<T> {
    const pki = join(this.state.dir, 'pki');
    this.admin ??= { cert: readFileSync(join(pki, 'admin.crt'), 'utf8'), key: readFileSync(join(pki, 'admin.key'), 'utf8') };
    const r = await get(`${this.server}${path}`, this.admin, this.ca);
    if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
    return JSON.parse(r.body) as T;
  }

  /**
   * Start istiod against this cluster (see istiod.ts); it is stopped first when the cluster stops.
   * crdsServed: the CRDs being applied meanwhile (istiod's readiness then includes them).
   */
  async startIstiod(opts: IstiodOptions = {}, detached = this.procs.length === 0, crdsServed?: Promise<unknown>): Promise<Istiod> {
    this.istiod = await startIstiod(this, {
      ...opts,
      detached,
      crdsServed,
      onStart: (p) => {
        this.state.processes.push(info(p));
        if (!detached) this.procs.push(p);
      },
    });
    this.state.istiod = this.istiod.state;
    if (detached) writeFileSync(join(this.state.dir, 'state.json'), JSON.stringify(this.state, null, 2));
    return this.istiod;
  }

  get name(): string {
    return this.state.name;
  }
  get kubeconfig(): string {
    return this.state.kubeconfig;
  }
  get server(): string {
    return this.state.server;
  }

  /** Run the cluster's kubectl (the one built with it) against this cluster. */
  async kubectl(args: string[], opts: { input?: string; reject?: boolean; kubeconfig?: string } = {}) {
    return execa(bin('kubectl'), ['--kubeconfig', opts.kubeconfig ?? this.kubeconfig, ...args], {
      input: opts.input,
      reject: opts.reject ?? true,
      stdin: opts.input === undefined ? 'ignore' : 'pipe',
    });
  }

  /** kubectl apply --server-side of a YAML or JSON document stream (force: take fields others changed). */
  async apply(manifest: string | object[], opts: { namespace?: string; force?: boolean } = {}): Promise<void> {
    const input = typeof manifest === 'string' ? manifest : manifest.map((m) => JSON.stringify(m)).join('\n');
    await this.kubectl(
      [
        'apply',
        '--server-side',
        '--field-manager=test-harness',
        ...(opts.force ? ['--force-conflicts'] : []),
        ...(opts.namespace ? ['-n', opts.namespace] : []),
        '-f',
        '-',
      ],
      { input },
    );
  }

  async addNodes(nodes: NodeSpec[]): Promise<void> {
    if (nodes.length === 0) return;
    await this.apply(nodes.map(nodeManifest));
    const dead = this.procs.find((p) => p.child.exitCode !== null);
    if (dead) throw new Error(`${dead.name} is not running; see ${dead.log}`);
    await this.kubectl(['wait', '--for=condition=Ready', '--timeout=30s', ...nodes.map((n) => `node/${n.name}`)]);
  }

  /** A kubeconfig for another user (client cert with CN=user, O=groups), for RBAC tests. */
  async userKubeconfig(user: string, groups: string[] = []): Promise<string> {
    const pki = join(this.state.dir, 'pki');
    const subject = `/CN=${user}${groups.map((g) => `/O=${g}`).join('')}`;
    const safe = user.replace(/[^a-zA-Z0-9_.-]/g, '_');
    const cert = await signCert(pki, `user-${safe}`, subject);
    const file = join(this.state.dir, `kubeconfig-${safe}`);
    writeFileSync(file, kubeconfigYaml({ cluster: this.name, server: this.server, ca: this.ca, user, cert }), { mode: 0o600 });
    return file;
  }

  /** A crash of the API server: SIGKILL, nothing flushed or closed (etcd and the other processes keep running). */
  async killApiServer(): Promise<void> {
    const live = this.procs.find((p) => p.name === 'kube-apiserver');
    if (live) {
      if (live.child.exitCode === null && live.child.signalCode === null) {
        live.child.kill('SIGKILL');
        await live.exited;
      }
      return;
    }
    const p = this.state.processes.find((x) => x.name === 'kube-apiserver');
    if (p && isRunning(p.pid) && isOurs(p.pid, p.match)) {
      process.kill(p.pid, 'SIGKILL');
      await until('kube-apiserver to be gone', async () => !isRunning(p.pid), 10_000);
    }
  }

  /**
   * Start the API server again on the same etcd data, certificates and port; resolves once it is ready.
   * Its clients are started again with it, as a control-plane node's restart would. kwok: unlike a
   * kubelet, it does not retry a pod status update the dead server refused, so pods created just before
   * the crash would never become Ready. The controller-manager and scheduler would watch again by
   * themselves, but only after client-go's backoff, which grows with each restart: after a few, the
   * ReplicaSet controller waited 30 s on a cache older than its own writes (Kubernetes 1.37 refuses to
   * sync then), and every abort that scales a Deployment back up waited with it.
   */
  async restartApiServer(): Promise<void> {
    await this.restart(['kube-apiserver']);
    const clients = ['kube-controller-manager', 'kube-scheduler', 'kwok'];
    for (const p of this.state.processes.filter((x) => clients.includes(x.name))) {
      const live = this.procs.find((x) => x.pid === p.pid);
      if (live) await stopProcess(live, 2000);
      else await stopPid(p.pid, p.match, 2000);
    }
    await this.restart(clients);
  }

  /**
   * Start again the control-plane processes named (default: every one that is not running) with the
   * command lines they were started with: the same data, certificates and ports. Returns the names
   * restarted; throws when one cannot be (a state file without command lines).
   */
  async restart(names?: string[]): Promise<string[]> {
    const detached = this.procs.length === 0;
    const alive = (p: ProcessInfo) => {
      const live = this.procs.find((x) => x.pid === p.pid);
      return live ? live.child.exitCode === null && live.child.signalCode === null : isRunning(p.pid) && isOurs(p.pid, p.match);
    };
    const chosen = this.state.processes.filter((p) => CONTROL_PLANE.includes(p.name) && (names ? names.includes(p.name) : !alive(p)));
    chosen.sort((a, b) => CONTROL_PLANE.indexOf(a.name) - CONTROL_PLANE.indexOf(b.name));
    for (const p of chosen) {
      if (alive(p)) throw new Error(`${p.name} (pid ${p.pid}) is still running; stop it first`);
      if (!p.cmd || !p.args) throw new Error(`${p.name} was started by an older harness without its command line recorded; it cannot be restarted`);
      // kwok takes a new identity each start and waits out the node Leases its predecessor held (40 s)
      // before it serves any pod. Their holder is cleared first (the API server is up: it starts before),
      // so the new kwok takes them at once; deleting them instead made nodes look dead to the controller-manager.
      if (p.name === 'kwok') await this.releaseNodeLeases();
      const again = startProcess(p.name, p.cmd, p.args, p.log, { detached });
      const at = this.state.processes.indexOf(p);
      this.state.processes[at] = info(again);
      const old = this.procs.findIndex((x) => x.pid === p.pid);
      if (old >= 0) this.procs[old] = again;
      if (p.name === 'kube-apiserver') {
        const pki = join(this.state.dir, 'pki');
        this.admin ??= { cert: readFileSync(join(pki, 'admin.crt'), 'utf8'), key: readFileSync(join(pki, 'admin.key'), 'utf8') };
        const admin = this.admin;
        await until(
          'kube-apiserver /readyz after the restart',
          async () => (await get(`${this.server}/readyz`, admin, this.ca).catch(() => ({ status: 0 }))).status === 200,
          60_000,
          [again],
        );
      }
    }
    if (chosen.length) writeFileSync(join(this.state.dir, 'state.json'), JSON.stringify(this.state, null, 2));
    return chosen.map((p) => p.name);
  }

  /** Clear the holder of every node Lease (kwok's), keeping its renew time: the next kwok may take them. */
  private async releaseNodeLeases(): Promise<void> {
    const names = (await this.kubectl(['-n', 'kube-node-lease', 'get', 'lease', '-o', 'name'], { reject: false })).stdout.split('\n').filter(Boolean);
    await Promise.all(
      names.map((n) => this.kubectl(['-n', 'kube-node-lease', 'patch', n, '--type=merge', '-p', '{"spec":{"holderIdentity":null}}'], { reject: false })),
    );
  }

  async stop(opts: { keepDir?: boolean } = {}): Promise<void> {
    // Reverse start order: clients before the API server, the API server before etcd.
    if (this.procs.length) {
      for (const p of [...this.procs].reverse()) await stopProcess(p);
    } else {
      for (const p of [...this.state.processes].reverse()) await stopPid(p.pid, p.match);
    }
    if (this.state.network) await removeNetwork(this.state.network);
    if (!opts.keepDir) rmSync(this.state.dir, { recursive: true, force: true });
    this.forgetDir();
  }
}

/**
 * Start a cluster and wait until it is ready for tests: nodes Ready, controllers running, CRDs served.
 * Ports are picked free just before use; if another process takes one first, start again on new ports.
 */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const index = clusterCount++;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts, index);
    } catch (err) {
      if (attempt >= 3 || !/address already in use/i.test((err as Error).message)) throw err;
      opts.log?.(`a port was taken before ${opts.name ?? 'the cluster'} could bind it; starting again`);
      if (opts.dir) rmSync(join(opts.dir, 'etcd'), { recursive: true, force: true });
    }
  }
}

async function startOnce(opts: ClusterOptions, index: number): Promise<Cluster> {
  const t0 = Date.now();
  const log = opts.log ?? (() => {});
  const name = opts.name ?? `kplugins-${process.pid}-${index}`;
  const bins = binDir(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'kubectl']);
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), `${name}-`));
  const pki = join(dir, 'pki');
  const logs = join(dir, 'logs');
  mkdirSync(pki, { recursive: true });
  mkdirSync(logs, { recursive: true });
  const procs: Started[] = [];
  const detached = Boolean(opts.detached);
  // A temp folder of ours goes away with this process unless the cluster outlives it.
  const forgetDir = opts.dir || detached ? () => {} : removeOnExit(dir);
  const started = (p: Started) => (procs.push(p), p);
  let made: Cluster | undefined;
  let net: Network | undefined;
  try {
    // The network first: it claims free CIDRs (unless given) and the address the API server binds.
    net = await networkFor(opts.network, {
      dir,
      detached,
      podCIDR: opts.podCIDR,
      serviceCIDR: opts.serviceCIDR,
      log,
      // Said even when the caller logs nothing: a test asked for a network and runs without one.
      warn: opts.log ?? ((m) => process.stderr.write(`${m}\n`)),
    });
    const podCIDR = net?.state.podCIDR ?? opts.podCIDR ?? `10.${(200 + index * 4) % 250}.0.0/16`;
    const serviceCIDR = net?.state.serviceCIDR ?? opts.serviceCIDR ?? `10.${(96 + index) % 250}.0.0/16`;
    const bindAddress = net?.hostAddress ?? '127.0.0.1';
    const egress = startEgressGuard(dir, net, detached);
    started(egress.proc);
    const portForward = opts.portForward ?? Boolean(opts.istiod);
    const [etcdClient, etcdPeer, apiPort, schedPort, kubeletPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const server = `https://${bindAddress}:${apiPort}`;
    const firstServiceIP = firstIP(serviceCIDR);

    // Certificates (CA first, then the rest at once).
    await makeCA(pki);
    makeServiceAccountKeys(pki);
    const [, admin] = await Promise.all([
      signCert(
        pki,
        'apiserver',
        '/CN=kube-apiserver',
        [
          'IP:127.0.0.1',
          'DNS:localhost',
          ...(net ? [`IP:${bindAddress}`] : []),
          `IP:${firstServiceIP}`,
          'DNS:kubernetes',
          'DNS:kubernetes.default',
          'DNS:kubernetes.default.svc',
        ],
        'server',
      ),
      signCert(pki, 'admin', '/CN=kubernetes-admin/O=system:masters'),
    ]);
    const ca = readFileSync(join(pki, 'ca.crt'), 'utf8');
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml({ cluster: name, server, ca, user: 'kubernetes-admin', cert: admin }), { mode: 0o600 });

    log(`etcd on 127.0.0.1:${etcdClient}`);
    const etcd = started(
      startProcess(
        'etcd',
        join(bins, 'etcd'),
        [
          '--name',
          'default',
          '--data-dir',
          join(dir, 'etcd'),
          '--listen-client-urls',
          `http://127.0.0.1:${etcdClient}`,
          '--advertise-client-urls',
          `http://127.0.0.1:${etcdClient}`,
          '--listen-peer-urls',
          `http://127.0.0.1:${etcdPeer}`,
          '--initial-advertise-peer-urls',
          `http://127.0.0.1:${etcdPeer}`,
          '--initial-cluster',
          `default=http://127.0.0.1:${etcdPeer}`,
          '--unsafe-no-fsync',
          '--log-level',
          'warn',
          '--quota-backend-bytes',
          String(2 * 1024 ** 3),
        ],
        join(logs, 'etcd.log'),
        { detached },
      ),
    );
    await until('etcd to be healthy', async () => (await get(`http://127.0.0.1:${etcdClient}/health`)).status === 200, 20_000, [etcd]);

    log(`kube-apiserver on ${server}`);
    const apiserver = started(
      startProcess(
        'kube-apiserver',
        join(bins, 'kube-apiserver'),
        [
          `--etcd-servers=http://127.0.0.1:${etcdClient}`,
          // Where the network's namespace reaches it (the host side of its veth), never 0.0.0.0.
          `--bind-address=${bindAddress}`,
          `--advertise-address=${bindAddress}`,
          egress.flag,
          `--secure-port=${apiPort}`,
          `--cert-dir=${pki}`,
          `--tls-cert-file=${join(pki, 'apiserver.crt')}`,
          `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
          `--client-ca-file=${join(pki, 'ca.crt')}`,
          '--authorization-mode=Node,RBAC',
          `--service-cluster-ip-range=${serviceCIDR}`,
          '--endpoint-reconciler-type=none',
          // kwok's nodes have a Hostname address nothing resolves: reach their kubelet API by InternalIP.
          '--kubelet-preferred-address-types=InternalIP',
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          `--service-account-key-file=${join(pki, 'sa.pub')}`,
          `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
          '--allow-privileged=true',
          '--profiling=false',
          '--v=1',
        ],
        join(logs, 'kube-apiserver.log'),
        { detached },
      ),
    );
    await until('kube-apiserver /readyz', async () => (await get(`${server}/readyz`, admin, ca)).status === 200, 60_000, [etcd, apiserver]);

    // Controllers, scheduler and kwok all talk to the API server as admin.
    const stagesDir = join(bins, 'kwok-stages');
    const stageFiles = [
      join(stagesDir, 'node/fast/node-initialize.yaml'),
      join(stagesDir, 'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml'),
      ...readdirSync(join(stagesDir, 'pod/fast'))
        .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
        .map((f) => join(stagesDir, 'pod/fast', f)),
    ];
    log('kube-controller-manager, kube-scheduler, kwok');
    // kwok watches PortForward objects from its start, so their CRD is served first.
    const portForwardCRD = portForward
      ? (async () => {
          const kubectl = (args: string[]) => execa(join(bins, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], { stdin: 'ignore' });
          await kubectl(['apply', '--server-side', '--field-manager=test-harness', '-f', join(bins, 'kwok-portforward-crd.yaml')]);
          await kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/portforwards.kwok.x-k8s.io']);
        })()
      : Promise.resolve();
    started(
      startProcess(
        'kube-controller-manager',
        join(bins, 'kube-controller-manager'),
        [
          `--kubeconfig=${kubeconfig}`,
          '--leader-elect=false',
          '--secure-port=0',
          `--service-account-private-key-file=${join(pki, 'sa.key')}`,
          `--root-ca-file=${join(pki, 'ca.crt')}`,
          `--allocate-node-cidrs=${opts.allocateNodeCIDRs ?? true}`,
          `--cluster-cidr=${podCIDR}`,
          '--node-cidr-mask-size=24',
          `--service-cluster-ip-range=${serviceCIDR}`,
          '--concurrent-deployment-syncs=10',
          '--concurrent-replicaset-syncs=10',
          '--v=1',
        ],
        join(logs, 'kube-controller-manager.log'),
        { detached },
      ),
    );
    started(
      startProcess(
        'kube-scheduler',
        join(bins, 'kube-scheduler'),
        [`--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--bind-address=127.0.0.1', `--secure-port=${schedPort}`, '--v=1'],
        join(logs, 'kube-scheduler.log'),
        { detached },
      ),
    );
    await portForwardCRD;
    started(
      startProcess(
        'kwok',
        join(bins, 'kwok'),
        [
          `--kubeconfig=${kubeconfig}`,
          '--manage-all-nodes=true',
          `--cidr=${firstIP(podCIDR)}/${podCIDR.split('/')[1]}`,
          '--node-ip=127.0.0.1',
          // Node heartbeats as a kubelet sends them: a Lease renewed every few seconds. Without it the
          // status heartbeat comes every ~10 min, the node lifecycle controller marks every node NotReady
          // after its 50 s grace period, pods lose readiness, and later tests see rollouts stall.
          '--node-lease-duration-seconds=40',
          ...stageFiles.flatMap((f) => ['--config', f]),
          ...(portForward ? [`--server-address=127.0.0.1:${kubeletPort}`, `--node-port=${kubeletPort}`, '--enable-crds=PortForward'] : []),
        ],
        join(logs, 'kwok.log'),
        { detached },
      ),
    );

    const state: ClusterState = {
      name,
      dir,
      kubeconfig,
      server,
      podCIDR,
      serviceCIDR,
      processes: procs.map(info),
      startedAt: new Date().toISOString(),
      startupMs: 0,
      ...(portForward ? { kubeletPort } : {}),
      ...(net ? { network: net.state } : {}),
    };
    const cluster = new Cluster(state, detached ? [] : procs, forgetDir, net);
    made = cluster;
    net?.adopt(state.processes, opts.dir || detached ? [] : [dir]);
    const watched = procs;
    const waits: Promise<void>[] = [
      cluster.addNodes(opts.nodes ?? DEFAULT_NODES),
      until(
        'the default ServiceAccount (controller-manager running)',
        async () => (await cluster.kubectl(['get', 'serviceaccount', 'default', '-n', 'default'], { reject: false })).exitCode === 0,
        60_000,
        watched,
      ),
    ];
    if (net) {
      const node = (opts.nodes ?? DEFAULT_NODES)[0]?.name ?? 'kwok-node-1';
      waits.push(startNetworkServices(net, { pki, dir, server, ca, cluster: name, node }));
    }
    // CRD bundles from build.sh: Istio's, and the Gateway API's (its standard channel).
    const crds = [...((opts.istio ?? true) ? ['istio-crds.yaml'] : []), ...((opts.gatewayApi ?? opts.istio ?? true) ? ['gateway-api-crds.yaml'] : [])];
    const crdsServed = crds.length
      ? (async () => {
          await cluster.kubectl(['apply', '--server-side', '--field-manager=test-harness', ...crds.flatMap((f) => ['-f', join(bins, f)])]);
          await cluster.kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
        })()
      : Promise.resolve();
    waits.push(crdsServed);
    if (opts.istiod) {
      const istiodOpts = opts.istiod === true ? {} : opts.istiod;
      waits.push(cluster.startIstiod({ log, ...istiodOpts }, detached, crdsServed).then(() => undefined));
    }
    // Settle every wait before cleaning up, so nothing is started after the cleanup below.
    const failed = (await Promise.allSettled(waits)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    state.startupMs = Date.now() - t0;
    writeFileSync(join(dir, 'state.json'), JSON.stringify(state, null, 2));
    log(`cluster ${name} ready in ${state.startupMs} ms`);
    return cluster;
  } catch (err) {
    await made?.istiod?.stop();
    for (const p of [...procs].reverse()) await stopProcess(p, 2000);
    if (net) await net.stop();
    if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    forgetDir();
    throw err;
  }
}

/** Reattach to a cluster started detached by another process (the playground). */
export function attachCluster(stateFile: string): Cluster {
  return new Cluster(JSON.parse(readFileSync(stateFile, 'utf8')) as ClusterState);
}

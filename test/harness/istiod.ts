// A real istiod (pilot-discovery) for a test cluster, run as a process against the cluster's kubeconfig
// the way Istio's own developers run it outside a cluster. What the cluster holds is what an install
// leaves (rendered by the pinned istioctl, see istio-install.ts), with the validating webhooks pointed
// at istiod's webhook port, so the API server refuses what Istio refuses. Every port is free and bound
// on one address (loopback by default; a parameter so a network namespace can reach it later).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from './cluster.js';
import { appliedObjects, istiodContainer, renderInstall, type Manifest } from './istio-install.js';
import { bin } from './binaries.js';
import { cacertsSecret, type CACerts } from './mesh-ca.js';
import { freePort, isOurs, isRunning, startProcess, stopPid, stopProcess, type Started } from './processes.js';
import { logTail, until } from './wait.js';

export const ISTIO_NAMESPACE = 'istio-system';

export interface IstiodOptions {
  /** The address every istiod port is bound on (default 127.0.0.1). */
  address?: string;
  /** The cluster ID (global.multiCluster.clusterName, CLUSTER_ID); default: the cluster's name. */
  clusterName?: string;
  /** global.network, also the istio-system namespace's topology.istio.io/network label (default network1). */
  network?: string;
  meshID?: string;
  trustDomain?: string;
  /** A plugged-in CA (the `cacerts` Secret); default: istiod's own self-signed CA (istio-ca-secret). */
  cacerts?: CACerts;
  /** Also run the controllers of remote clusters whose istio-system names this cluster (primary-remote). */
  externalIstiod?: boolean;
  /** Extra environment for istiod (feature flags). */
  env?: Record<string, string>;
  timeoutMs?: number;
  log?: (message: string) => void;
}

/** How the harness runs istiod: kept or not after this process, registered with its cluster. */
interface RunOptions {
  detached?: boolean;
  onStart?: (p: Started) => void;
  /**
   * The cluster's CRDs being served. istiod starts without them (it watches for CRDs, as it does when
   * Gateway API CRDs are installed after it) and is ready only once the API server, with the CRDs,
   * sends an invalid Istio object to istiod and refuses it.
   */
  crdsServed?: Promise<unknown>;
}

// A type, not an interface, so Object.values() sees numbers.
export type IstiodPorts = {
  /** Debug endpoints and /ready (8080 in a pod). */
  http: number;
  /** Plain xDS (15010). */
  grpc: number;
  /** xDS and the CA over TLS (15012). */
  secureGrpc: number;
  /** Validation (and injection) webhooks over TLS (15017; the Service's 443). */
  webhook: number;
  /** Prometheus metrics (15014). */
  monitoring: number;
  /** ControlZ introspection (9876). */
  ctrlz: number;
};

export interface IstiodState {
  clusterName: string;
  network: string;
  meshID: string;
  trustDomain: string;
  address: string;
  ports: IstiodPorts;
  pid: number;
  match: string;
  log: string;
  dir: string;
  pluggedCA: boolean;
  /** Milliseconds from the process's start to ready (webhooks failing closed, root cert everywhere). */
  startupMs: number;
}

/** One endpoint of a Service in istiod's endpoint index (model.IstioEndpoint; some of its fields). */
export interface IstioEndpoint {
  Addresses?: string[];
  Labels?: Record<string, string>;
  ServicePortName?: string;
  EndpointPort?: number;
  ServiceAccount?: string;
  Network?: string;
  Namespace?: string;
  WorkloadName?: string;
  Locality?: { Label?: string; ClusterID?: string };
}

/** A remote cluster as /debug/clusterz lists it (pkg/cluster DebugInfo). */
export interface ClusterzEntry {
  id: string;
  secretName: string;
  syncStatus: string;
}

/** `host:port` with IPv6 addresses bracketed. */
function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export class Istiod {
  readonly state: IstiodState;
  private readonly started?: Started;

  constructor(state: IstiodState, started?: Started) {
    this.state = state;
    this.started = started;
  }

  get ports(): IstiodPorts {
    return this.state.ports;
  }
  get address(): string {
    return this.state.address;
  }
  /** The URL of the webhook the API server calls to validate Istio objects. */
  get validationURL(): string {
    return `https://${hostPort(this.address, this.ports.webhook)}/validate`;
  }
  /** host:port of xDS and the CA over TLS (what discoveryAddress istiod.istio-system.svc:15012 stands for). */
  get discoveryAddress(): string {
    return hostPort(this.address, this.ports.secureGrpc);
  }
  httpURL(path: string): string {
    return `http://${hostPort(this.address, this.ports.http)}${path}`;
  }

  /** The process, for until() to fail fast when istiod dies (empty when attached by pid). */
  get processes(): Started[] {
    return this.started ? [this.started] : [];
  }

  running(): boolean {
    if (this.started) return this.started.child.exitCode === null && this.started.child.signalCode === null;
    return isRunning(this.state.pid) && isOurs(this.state.pid, this.state.match);
  }

  /** Why istiod is not running, with the tail of its log; undefined while it runs. */
  crashReport(): string | undefined {
    if (this.running()) return undefined;
    const how = this.started ? `exited with ${this.started.child.signalCode ?? `code ${this.started.child.exitCode}`}` : 'is not running';
    return `istiod for cluster ${this.state.clusterName} ${how}; last lines of ${this.state.log}:\n${logTail(this.state.log, 20)}`;
  }

  /** GET a debug endpoint (/debug/<name>) as JSON; a dead istiod is reported with its log. */
  async debug<T>(name: string): Promise<T> {
    const crash = this.crashReport();
    if (crash) throw new Error(crash);
    let res: Response;
    try {
      res = await fetch(this.httpURL(`/debug/${name}`), { signal: AbortSignal.timeout(5000) });
    } catch (err) {
      // Refused because istiod just died? Its exit may not have been reaped yet: give it a moment.
      if (this.started) await Promise.race([this.started.exited, new Promise((r) => setTimeout(r, 1000))]);
      throw new Error(this.crashReport() ?? `istiod /debug/${name}: ${(err as Error).message}`, { cause: err });
    }
    if (!res.ok) throw new Error(`istiod /debug/${name}: HTTP ${res.status}`);
    return (await res.json()) as T;
  }

  /** Services in istiod's registry (/debug/registryz). */
  registryz(): Promise<{ hostname: string; attributes?: { namespace?: string; name?: string } }[]> {
    return this.debug('registryz');
  }
  /** Endpoint shards by hostname, namespace and shard (<provider>/<cluster>) (/debug/endpointz, Go field names). */
  endpointz(): Promise<Record<string, Record<string, { Shards: Record<string, IstioEndpoint[]> }>>> {
    return this.debug('endpointz');
  }
  /** The clusters istiod reads, the config cluster included (/debug/clusterz). */
  clusterz(): Promise<ClusterzEntry[]> {
    return this.debug('clusterz');
  }

  /** The endpoints istiod holds for a Service, from every cluster it reads. */
  async endpoints(service: string, namespace: string, domain = 'cluster.local'): Promise<IstioEndpoint[]> {
    const shards = (await this.endpointz())[`${service}.${namespace}.svc.${domain}`]?.[namespace]?.Shards ?? {};
    return Object.values(shards).flat();
  }

  async ready(): Promise<boolean> {
    const res = await fetch(this.httpURL('/ready'), { signal: AbortSignal.timeout(2000) });
    return res.status === 200;
  }

  async stop(): Promise<void> {
    if (this.started) await stopProcess(this.started);
    else await stopPid(this.state.pid, this.state.match);
  }
}

/** istio-system, labelled with its network (and, in a remote cluster, annotated with its control plane). */
export function istioNamespaceManifest(network: string, annotations: Record<string, string> = {}): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ISTIO_NAMESPACE, labels: { 'topology.istio.io/network': network }, ...(Object.keys(annotations).length ? { annotations } : {}) },
  } as Manifest;
}

/**
 * Install Istio's configuration into the cluster and start istiod against it; resolves once istiod is
 * ready, the API server's Istio webhooks fail closed with istiod's CA and refuse an invalid Istio
 * object, and every namespace has istio-ca-root-cert. onStart registers the process with the cluster
 * (stopped with it). A port taken before istiod binds it: started again on new ports.
 */
export async function startIstiod(cluster: Cluster, opts: IstiodOptions & RunOptions = {}): Promise<Istiod> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(cluster, opts);
    } catch (err) {
      if (attempt >= 3 || !/address already in use/i.test((err as Error).message)) throw err;
    }
  }
}

async function startOnce(cluster: Cluster, opts: IstiodOptions & RunOptions): Promise<Istiod> {
  const t0 = Date.now();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const address = opts.address ?? '127.0.0.1';
  const clusterName = opts.clusterName ?? cluster.name;
  const network = opts.network ?? 'network1';
  const meshID = opts.meshID ?? 'mesh1';
  const trustDomain = opts.trustDomain ?? 'cluster.local';
  const dir = join(cluster.state.dir, 'istiod');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const [http, grpc, secureGrpc, webhook, monitoring, ctrlz] = await Promise.all(Array.from({ length: 6 }, () => freePort(address)));
  const ports: IstiodPorts = { http, grpc, secureGrpc, webhook, monitoring, ctrlz };
  const objects = await renderInstall({
    profile: 'minimal',
    clusterName,
    network,
    meshID,
    trustDomain,
    validationURL: `https://${hostPort(address, webhook)}/validate`,
    externalIstiod: opts.externalIstiod,
  });
  const log = opts.log ?? (() => {});
  log(`istiod install rendered in ${Date.now() - t0} ms`);
  // One stream, the namespace first. Forced: a previous istiod of this cluster changed the webhooks'
  // failurePolicy, as istiod does.
  await cluster.apply([istioNamespaceManifest(network), ...(opts.cacerts ? [cacertsSecret(opts.cacerts)] : []), ...appliedObjects(objects)], { force: true });

  const container = istiodContainer(objects);
  const a = (p: number) => hostPort(address, p);
  const args = [
    ...container.args,
    `--kubeconfig=${cluster.kubeconfig}`,
    `--httpAddr=${a(http)}`,
    `--httpsAddr=${a(webhook)}`,
    `--grpcAddr=${a(grpc)}`,
    `--secureGRPCAddr=${a(secureGrpc)}`,
    `--monitoringAddr=${a(monitoring)}`,
    `--ctrlz_port=${ctrlz}`,
    `--ctrlz_address=${address}`,
    // Files a pod would mount; absent here, so istiod reads the ConfigMaps instead, as an external istiod does.
    `--meshConfig=${join(dir, 'etc/istio/config/mesh')}`,
    `--networksConfig=${join(dir, 'etc/istio/config/meshNetworks')}`,
    // A test harness stops it at once; a pod's 10 s drain only slows every test's teardown.
    '--shutdownDuration=1s',
  ];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: dir,
    ...container.env,
    KUBECONFIG: cluster.kubeconfig,
    // The webhook's serving certificate must name the address the API server dials.
    ISTIOD_CUSTOM_HOST: address,
    // The cacerts Secret is read from the cluster (external istiod) into this folder, not mounted.
    ROOT_CA_DIR: join(dir, 'cacerts'),
    ...(opts.cacerts ? { USE_REMOTE_CERTS: 'true' } : {}),
    ...opts.env,
  };
  const logFile = join(dir, 'istiod.log');
  writeFileSync(join(dir, 'command'), [...Object.entries(env).map(([k, v]) => `${k}=${v}`), bin('pilot-discovery'), ...args].join('\n') + '\n');
  const started = startProcess('istiod', bin('pilot-discovery'), args, logFile, { detached: opts.detached, env, cwd: dir });
  const t1 = Date.now();
  log(`istiod on ${address} (http ${http}, xDS ${grpc}/${secureGrpc}, webhook ${webhook}) for cluster ${clusterName}`);
  opts.onStart?.(started);
  const state: IstiodState = {
    clusterName,
    network,
    meshID,
    trustDomain,
    address,
    ports,
    pid: started.pid,
    match: started.match,
    log: logFile,
    dir,
    pluggedCA: Boolean(opts.cacerts),
    startupMs: 0,
  };
  const istiod = new Istiod(state, started);
  try {
    await until('istiod /ready', () => istiod.ready(), timeoutMs, [started]);
    log(`istiod /ready ${Date.now() - t1} ms after its start`);
    await Promise.all([
      // istiod patches its CA into the webhooks, then switches them to fail closed once a dry run of an
      // invalid Gateway is denied: from then on the API server refuses what Istio refuses.
      until("the Istio validating webhooks to fail closed with istiod's CA", () => webhooksFailClosed(cluster), timeoutMs, [started]),
      until('istio-ca-root-cert in every namespace', () => rootCertEverywhere(cluster), timeoutMs, [started]),
    ]);
    await opts.crdsServed;
    await until('the API server to refuse an invalid Istio object through istiod', () => refusesInvalidGateway(cluster), timeoutMs, [started]);
    log(`istiod's webhooks fail closed and istio-ca-root-cert is everywhere ${Date.now() - t1} ms after its start`);
  } catch (err) {
    await istiod.stop();
    throw err;
  }
  state.startupMs = Date.now() - t1;
  return istiod;
}

// Namespaces istiod's namespace controller leaves alone (inject.IgnoredNamespaces without kube-system).
const NO_ROOT_CERT = new Set(['kube-public', 'kube-node-lease', 'local-path-storage']);

/** The root certificate istiod published into a namespace (istio-ca-root-cert), '' when there is none. */
export async function istioRootCert(cluster: Cluster, namespace = 'default'): Promise<string> {
  const r = await cluster.kubectl(['-n', namespace, 'get', 'configmap', 'istio-ca-root-cert', '-o', 'jsonpath={.data.root-cert\\.pem}'], { reject: false });
  return r.exitCode === 0 ? r.stdout : '';
}

/**
 * Does the API server refuse, through istiod, the Gateway istiod itself probes with before it makes the
 * webhooks fail closed (annotated internal.istio.io/webhook-always-reject; a dry run, nothing is stored)?
 */
export async function refusesInvalidGateway(cluster: Cluster): Promise<boolean> {
  const gateway = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name: 'harness-invalid-gateway', namespace: ISTIO_NAMESPACE, annotations: { 'internal.istio.io/webhook-always-reject': 'true' } },
    spec: {},
  };
  const r = await cluster.kubectl(['create', '--dry-run=server', '-f', '-'], { input: JSON.stringify(gateway), reject: false });
  if (r.exitCode === 0) return false;
  if (/admission webhook "[^"]*validation\.istio\.io" denied the request/.test(r.stderr)) return true;
  throw new Error(r.stderr.trim());
}

/** Do the Istio validating webhooks carry a CA bundle and fail closed (istiod switched them)? */
async function webhooksFailClosed(cluster: Cluster): Promise<boolean> {
  type List = { items: { webhooks?: { failurePolicy?: string; clientConfig: { caBundle?: string } }[] }[] };
  const list = await cluster.getJSON<List>('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations?labelSelector=istio.io%2Frev%3Ddefault');
  const hooks = list.items.flatMap((i) => i.webhooks ?? []);
  return hooks.length > 0 && hooks.every((h) => h.failurePolicy === 'Fail' && Boolean(h.clientConfig.caBundle));
}

/** Does every active namespace istiod serves hold istio-ca-root-cert? */
export async function rootCertEverywhere(cluster: Cluster): Promise<boolean> {
  type List = { items: { metadata: { name: string; namespace?: string }; status?: { phase?: string } }[] };
  const [ns, cms] = await Promise.all([
    cluster.getJSON<List>('/api/v1/namespaces'),
    cluster.getJSON<List>('/api/v1/configmaps?fieldSelector=metadata.name%3Distio-ca-root-cert'),
  ]);
  const have = new Set(cms.items.map((c) => c.metadata.namespace));
  return ns.items.filter((n) => n.status?.phase === 'Active' && !NO_ROOT_CERT.has(n.metadata.name)).every((n) => have.has(n.metadata.name));
}

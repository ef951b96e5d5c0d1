// The playground's loopback data plane: answers HTTP for the cluster's Services, Ingresses, HTTPRoutes and
// VirtualServices as kube-proxy, an ingress controller and Envoy would, from a snapshot of the
// cluster refreshed every few hundred milliseconds. Replies with the chosen pod's version.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import { Kube } from '../../shared/kube/client.js';
import { ALL_NAMESPACES, type KubeObject } from '../../shared/kube/object.js';
import { loadKubeconfig } from '../../shared/kube/kubeconfig.js';
import { refusal } from '../harness/network/egress.js';
import { route, type Snapshot, type StringMatch } from './routing.js';

type Obj = Record<string, unknown>;
const get = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((a, k) => (a && typeof a === 'object' ? (a as Obj)[k] : undefined), o);
const text = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const arr = (o: unknown): Obj[] => (Array.isArray(o) ? (o as Obj[]) : []);

export async function readSnapshot(kube: Kube): Promise<Snapshot> {
  const optional = async (apiVersion: string, kind: string) => {
    try {
      return await kube.list(apiVersion, kind, { namespace: ALL_NAMESPACES });
    } catch {
      return [] as KubeObject[]; // Istio or Gateway API CRDs absent: none of those.
    }
  };
  const [services, slices, pods, vss, drs, ings, hrs] = await Promise.all([
    kube.list('v1', 'Service', { namespace: ALL_NAMESPACES }),
    kube.list('discovery.k8s.io/v1', 'EndpointSlice', { namespace: ALL_NAMESPACES }),
    kube.list('v1', 'Pod', { namespace: ALL_NAMESPACES }),
    optional('networking.istio.io/v1', 'VirtualService'),
    optional('networking.istio.io/v1', 'DestinationRule'),
    kube.list('networking.k8s.io/v1', 'Ingress', { namespace: ALL_NAMESPACES }),
    optional('gateway.networking.k8s.io/v1', 'HTTPRoute'),
  ]);
  const ns = (o: KubeObject) => o.metadata?.namespace ?? 'default';
  return {
    services: services.map((s) => ({ namespace: ns(s), name: s.metadata?.name ?? '' })),
    endpoints: slices.flatMap((sl) =>
      arr(sl['endpoints']).map((e) => ({
        namespace: ns(sl),
        service: sl.metadata?.labels?.['kubernetes.io/service-name'] ?? '',
        podName: text(get(e, 'targetRef', 'name')),
        ip: text(arr(e['addresses'])[0]),
        port: arr(sl['ports'])[0]?.['port'] as number | undefined,
        ready: get(e, 'conditions', 'ready') !== false,
      })),
    ),
    pods: pods.filter((p) => !p.metadata?.deletionTimestamp).map((p) => ({ namespace: ns(p), name: p.metadata?.name ?? '', labels: p.metadata?.labels ?? {} })),
    virtualServices: vss.map((v) => ({
      namespace: ns(v),
      name: v.metadata?.name ?? '',
      hosts: (get(v, 'spec', 'hosts') as string[] | undefined) ?? [],
      http: arr(get(v, 'spec', 'http')).map((h) => ({
        match: arr(h['match']).map((m) => ({ headers: m['headers'] as Record<string, StringMatch> | undefined, uri: m['uri'] as StringMatch | undefined })),
        route: arr(h['route']).map((r) => ({
          destination: { host: text(get(r, 'destination', 'host')), subset: get(r, 'destination', 'subset') as string | undefined },
          weight: r['weight'] as number | undefined,
        })),
      })),
    })),
    destinationRules: drs.map((d) => ({
      namespace: ns(d),
      host: text(get(d, 'spec', 'host')),
      subsets: arr(get(d, 'spec', 'subsets')).map((s) => ({ name: String(s['name']), labels: (s['labels'] as Record<string, string>) ?? {} })),
    })),
    ingresses: ings.map((i) => ({
      namespace: ns(i),
      name: i.metadata?.name ?? '',
      annotations: i.metadata?.annotations ?? {},
      rules: arr(get(i, 'spec', 'rules')).map((r) => ({
        host: r['host'] as string | undefined,
        paths: arr(get(r, 'http', 'paths')).map((p) => ({
          path: text(p['path'], '/'),
          pathType: text(p['pathType'], 'Prefix'),
          service: text(get(p, 'backend', 'service', 'name')),
        })),
      })),
    })),
    httpRoutes: hrs.map((r) => ({
      namespace: ns(r),
      name: r.metadata?.name ?? '',
      hostnames: (get(r, 'spec', 'hostnames') as string[] | undefined) ?? [],
      rules: arr(get(r, 'spec', 'rules')).map((rule) => ({
        matches: arr(rule['matches']).map((m) => ({
          path: m['path'] as { type?: string; value?: string } | undefined,
          headers: m['headers'] as { type?: string; name: string; value: string }[] | undefined,
        })),
        backendRefs: arr(rule['backendRefs']).map((b) => ({ name: text(b['name']), weight: b['weight'] as number | undefined })),
      })),
    })),
  };
}

export interface DataPlane {
  port: number;
  server: Server;
  /** Wait for the next snapshot (tests call this after changing the cluster). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/**
 * With `networkDevices` (the cluster's network: its interfaces on this machine), the routing decision is
 * ours but the request goes on to the chosen pod's real address, once its route is seen to go into the
 * network's namespace; without, the data plane answers with the pod's version itself.
 */
export async function startDataPlane(opts: { kubeconfig: string; port?: number; refreshMs?: number; networkDevices?: string[] }): Promise<DataPlane> {
  const kube = new Kube(loadKubeconfig({ kubeconfig: opts.kubeconfig }, {}), 'playground-dataplane');
  let snapshot = await readSnapshot(kube);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const refresh = async () => {
    snapshot = await readSnapshot(kube);
  };
  const loop = () => {
    if (stopped) return;
    timer = setTimeout(
      () =>
        void refresh()
          .catch(() => {})
          .finally(loop),
      opts.refreshMs ?? 300,
    );
  };
  loop();
  const server = createServer((req, res) => {
    if (req.url === '/__dataplane/healthz') return void res.end('ok\n');
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v[0] : v;
    const d = route(snapshot, { host: req.headers.host ?? '', path: (req.url ?? '/').split('?')[0], headers });
    if (d.status !== 200) {
      res.writeHead(d.status, { 'content-type': 'text/plain' });
      return void res.end(`${d.reason}\n`);
    }
    const decided = { 'x-service': `${d.service.namespace}/${d.service.name}`, 'x-route': d.via };
    if (opts.networkDevices) return void forward(req, res, d.address, decided, opts.networkDevices, routes);
    res.writeHead(200, {
      'content-type': 'text/plain',
      'x-version': d.version,
      'x-pod': `${d.pod.namespace}/${d.pod.name}`,
      ...decided,
    });
    res.end(`${d.version}\n`);
  });
  const routes = new Map<string, { at: number; why?: string }>();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    server,
    refresh,
    close: async () => {
      stopped = true;
      clearTimeout(timer);
      kube.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Send the request on to the pod's own address, only if it is routed into the network's namespace. */
function forward(
  req: IncomingMessage,
  res: ServerResponse,
  to: { ip: string; port?: number },
  decided: Record<string, string>,
  devices: string[],
  cache: Map<string, { at: number; why?: string }>,
): void {
  void refusal(to.ip, devices, cache).then((why) => {
    if (why || !to.port) {
      res.writeHead(502, { 'content-type': 'text/plain', ...decided });
      return void res.end(`${why ?? `no port for ${to.ip}`}\n`);
    }
    const up = httpRequest({ host: to.ip, port: to.port, method: req.method, path: req.url, headers: req.headers, timeout: 5000 }, (r) => {
      res.writeHead(r.statusCode ?? 502, { ...r.headers, ...decided });
      r.pipe(res);
    });
    up.on('timeout', () => up.destroy(new Error(`no answer from ${to.ip}:${to.port}`)));
    up.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain', ...decided });
      res.end(`${err.message}\n`);
    });
    req.pipe(up);
  });
}

// Run as a process: node dataplane.js --kubeconfig FILE --port N [--network-device DEV]
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const kubeconfig = arg('kubeconfig');
  if (!kubeconfig) throw new Error('usage: dataplane --kubeconfig FILE [--port N]');
  const device = arg('network-device');
  const dp = await startDataPlane({ kubeconfig, port: Number(arg('port') ?? 0), networkDevices: device ? [device] : undefined });
  console.log(`data plane listening on 127.0.0.1:${dp.port}`);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void dp.close().then(() => process.exit(0)));
}

// What preflight reads from one cluster, every read at once (clusters are read in parallel too); each
// read that fails is kept as the reason its check cannot say more, never as an assumed value.
import { X509Certificate } from 'node:crypto';
import { errorText, KubeApiError } from '../../../shared/errors.js';
import { type Kube } from '../../../shared/kube/client.js';
import { ALL_NAMESPACES, type KubeObject } from '../../../shared/kube/object.js';
import type { ConfigMap, Node, Pod } from '../../../shared/kube/types.js';
import { installValues, INJECTOR_CONFIGMAP, VALUES_CONFIGMAP, type InstallValues } from '../../../shared/istio/install-values.js';
import { istiodVersion, runningIstiods } from '../../../shared/istio/istiod-debug.js';
import { CONTROL_PLANE_CLUSTERS_ANNOTATION, MULTICLUSTER_SECRET_LABEL, NETWORK_LABEL, registeredClusters } from '../../../shared/istio/multicluster.js';
import { checkKubeconfig } from '../../../shared/istio/multicluster.js';

export type Role = 'primary' | 'remote';

export interface RangeFacts {
  cidrs: string[];
  /** Pod IPs sampled where nodes carry no podCIDRs (the range is then inferred from them). */
  sampled?: string[] | undefined;
  /** nodes | pods (inferred from sampled pod IPs) | servicecidrs | probe | none */
  source: string;
  /** How they were found, or why not. */
  detail: string;
}

export interface RootCert {
  subject: string;
  fingerprint: string;
}

export interface ClusterFacts {
  context: string;
  role: Role;
  server: string;
  reachable: boolean;
  error?: string | undefined;
  version?: string | undefined;
  uid?: string | undefined;
  podCIDRs: RangeFacts;
  serviceCIDRs: RangeFacts;
  istio: {
    namespace: boolean;
    crds: boolean;
    values?: InstallValues | undefined;
    namespaceNetwork?: string | undefined;
    controlPlaneClusters: string[];
    istiods: { pod: string; version?: string | undefined; error?: string | undefined }[];
    istiodError?: string | undefined;
    /** Services labelled topology.istio.io/network (east-west gateways), namespace/name. */
    gateways: string[];
  };
  roots: { published?: RootCert[] | undefined; pluggedIn?: RootCert[] | undefined; note?: string | undefined };
  /** In a primary: the clusters its remote secrets register, and the servers they name. */
  registered: { id: string; secret: string; server: string }[];
}

const notFound = (err: unknown) => err instanceof KubeApiError && err.status === 404;
const why = (err: unknown) => errorText(err).replace(/ \(context "[^"]*"\)/, '');

/** Certificates of a PEM bundle, by subject and SHA-256 fingerprint. */
export function rootCerts(pem: string | undefined): RootCert[] | undefined {
  if (!pem) return undefined;
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const out: RootCert[] = [];
  for (const b of blocks) {
    try {
      const c = new X509Certificate(b);
      out.push({ subject: c.subject.replace(/\n/g, ', '), fingerprint: c.fingerprint256 });
    } catch {
      /* not a certificate: left out */
    }
  }
  return out;
}

async function podRanges(kube: Kube): Promise<RangeFacts> {
  const nodes = await kube.list<Node>('v1', 'Node');
  const cidrs = new Set<string>();
  let without = 0;
  for (const n of nodes) {
    const spec = n.spec ?? {};
    const list = spec.podCIDRs?.length ? spec.podCIDRs : spec.podCIDR ? [spec.podCIDR] : [];
    if (!list.length) without++;
    for (const c of list) cidrs.add(c);
  }
  if (cidrs.size && !without) return { cidrs: [...cidrs], source: 'nodes', detail: `from the podCIDRs of ${nodes.length} node(s)` };
  // The CNI allocates addresses itself (Cilium cluster-pool, cloud IPAMs): sample running pods' IPs.
  const page = await kube.call<{ items?: Pod[] }>(
    { verb: 'list', resource: 'pods' },
    { method: 'GET', path: '/api/v1/pods', query: { fieldSelector: 'status.phase=Running', limit: 500 } },
  );
  const ips = (page.items ?? []).filter((p) => !p.spec?.hostNetwork).flatMap((p) => (p.status?.podIPs ?? []).map((x) => x.ip));
  const partial = cidrs.size ? `; ${without} of ${nodes.length} nodes have no podCIDRs` : '';
  if (!ips.length) return { cidrs: [...cidrs], source: cidrs.size ? 'nodes' : 'none', detail: `no node podCIDRs and no running pods to sample${partial}` };
  return { cidrs: [...cidrs], sampled: ips, source: 'pods', detail: `nodes carry no podCIDRs${partial}: ${ips.length} running pod IP(s) sampled` };
}

const PROBE_IP = '1.1.1.1';

async function serviceRanges(kube: Kube, probeNamespace: string): Promise<RangeFacts> {
  try {
    const list = await kube.list('networking.k8s.io/v1', 'ServiceCIDR');
    const cidrs = list.flatMap((s) => (s.spec as { cidrs?: string[] } | undefined)?.cidrs ?? []);
    return { cidrs, source: 'servicecidrs', detail: `from ${list.length} ServiceCIDR object(s)` };
  } catch (err) {
    if (!(err instanceof KubeApiError) || (err.status !== 404 && err.status !== 403)) throw err;
  }
  // The API server names its range when it refuses a Service address outside it (a dry run: nothing is stored).
  try {
    await kube.create(
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'meshremote-service-cidr-probe', namespace: probeNamespace },
        spec: { clusterIP: PROBE_IP, ipFamilies: ['IPv4'], ports: [{ port: 80 }] },
      },
      { dryRun: 'server' },
    );
    return { cidrs: [], source: 'none', detail: `the API server accepted ${PROBE_IP} as a Service address, so its range is unknown` };
  } catch (err) {
    const m = /valid IPs is (\S+)/.exec(errorText(err));
    if (m)
      return {
        cidrs: [m[1]],
        source: 'probe',
        detail: `from the API server's refusal of a dry-run Service at ${PROBE_IP} (the ServiceCIDR API is not readable here)`,
      };
    return { cidrs: [], source: 'none', detail: `neither ServiceCIDRs nor a dry-run Service could tell: ${why(err)}` };
  }
}

async function catching<T, F>(p: Promise<T>, fallback: (err: unknown) => F): Promise<T | F> {
  try {
    return await p;
  } catch (err) {
    return fallback(err);
  }
}

/** Read one cluster for preflight. Unreachable: only that is recorded. */
export async function observeCluster(kube: Kube, role: Role, namespace: string): Promise<ClusterFacts> {
  const base = { context: kube.config.contextName, role, server: kube.config.server };
  const empty = { cidrs: [], source: 'none', detail: 'not read' };
  let version: string;
  try {
    version = await kube.serverVersion();
  } catch (err) {
    return {
      ...base,
      reachable: false,
      error: why(err),
      podCIDRs: empty,
      serviceCIDRs: empty,
      istio: { namespace: false, crds: false, controlPlaneClusters: [], istiods: [], gateways: [] },
      roots: {},
      registered: [],
    };
  }
  const unread = (what: string) => (err: unknown) => ({ cidrs: [], source: 'none', detail: `cannot read ${what}: ${why(err)}` });
  const [system, pods, services, ns, crds, injector, valuesCM, rootCM, cacerts, istiods, gateways, secrets] = await Promise.all([
    catching(kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'kube-system' }), () => undefined),
    catching(podRanges(kube), unread('nodes or pods')),
    catching(serviceRanges(kube, 'default'), unread('the Service range')),
    catching(kube.find({ apiVersion: 'v1', kind: 'Namespace', name: namespace }), () => undefined),
    catching(
      kube.call({ verb: 'get', resource: 'networking.istio.io' }, { method: 'GET', path: '/apis/networking.istio.io/v1' }).then(() => true),
      (err) => (notFound(err) ? false : undefined),
    ),
    catching(kube.find<ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', name: INJECTOR_CONFIGMAP, namespace }), () => undefined),
    catching(kube.find<ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', name: VALUES_CONFIGMAP, namespace }), () => undefined),
    catching(kube.find({ apiVersion: 'v1', kind: 'ConfigMap', name: 'istio-ca-root-cert', namespace }), (err) =>
      err instanceof Error ? err : new Error(String(err)),
    ),
    catching(kube.find({ apiVersion: 'v1', kind: 'Secret', name: 'cacerts', namespace }), (err) => (err instanceof Error ? err : new Error(String(err)))),
    catching(
      runningIstiods(kube, namespace).then((list) =>
        Promise.all(
          list.map(async (p) => {
            const pod = p.metadata?.name ?? '';
            try {
              return { pod, version: await istiodVersion(kube, p) };
            } catch (err) {
              return { pod, error: why(err) };
            }
          }),
        ),
      ),
      (err) => (err instanceof Error ? err : new Error(String(err))),
    ),
    catching(kube.list('v1', 'Service', { namespace: ALL_NAMESPACES, labelSelector: NETWORK_LABEL }), () => [] as KubeObject[]),
    role === 'primary' ? catching(kube.list('v1', 'Secret', { namespace, labelSelector: `${MULTICLUSTER_SECRET_LABEL}=true` }), () => [] as KubeObject[]) : [],
  ]);
  const data = (o: KubeObject | Error | undefined, key: string) =>
    o && !(o instanceof Error) ? (o['data'] as Record<string, string> | undefined)?.[key] : undefined;
  const notes: string[] = [];
  if (rootCM instanceof Error) notes.push(`istio-ca-root-cert not readable: ${why(rootCM)}`);
  if (cacerts instanceof Error) notes.push(`cacerts not readable: ${why(cacerts)}`);
  const cacertsRoot = data(cacerts, 'root-cert.pem');
  return {
    ...base,
    reachable: true,
    version,
    uid: system?.metadata?.uid,
    podCIDRs: pods,
    serviceCIDRs: services,
    istio: {
      namespace: Boolean(ns),
      crds: crds === true,
      values: installValues(injector, valuesCM),
      namespaceNetwork: ns?.metadata?.labels?.[NETWORK_LABEL],
      controlPlaneClusters: (ns?.metadata?.annotations?.[CONTROL_PLANE_CLUSTERS_ANNOTATION] ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
      istiods: istiods instanceof Error ? [] : istiods,
      istiodError: istiods instanceof Error ? why(istiods) : undefined,
      gateways: gateways.map((g) => `${g.metadata?.namespace}/${g.metadata?.name}`),
    },
    roots: {
      published: rootCerts(data(rootCM, 'root-cert.pem')),
      pluggedIn: rootCerts(cacertsRoot ? Buffer.from(cacertsRoot, 'base64').toString('utf8') : undefined),
      note: notes.join('; ') || undefined,
    },
    registered: secrets.flatMap((s) =>
      registeredClusters(s).map((c) => {
        let server = '';
        try {
          server = checkKubeconfig(c.kubeconfig, 'secret', undefined, () => '').server;
        } catch {
          /* unreadable kubeconfig: no server */
        }
        return { id: c.id, secret: s.metadata?.name ?? '', server };
      }),
    ),
  };
}

// The files a VM needs to join the mesh, rendered exactly as `istioctl x workload entry configure`
// renders them (istioctl/pkg/workload/workload.go): mesh.yaml, cluster.env, root-cert.pem, istio-token
// and hosts, with the same keys and values, plus sidecar.env with ISTIO_INBOUND_PORTS (the step seed
// 001 does by hand). Where istioctl depends on Go's map order (ISTIO_INBOUND_PORTS) the ports are
// sorted, so the same cluster gives the same files. Pure.
import { renderClusterEnv } from '../../shared/istio/cluster-env.js';
import { applyProxyConfig, parseMeshConfig, proxyConfigJson } from '../../shared/istio/proxy-config.js';
import { PROXY_CONFIG_ANNOTATION, type WorkloadGroup } from '../../shared/istio/workload.js';
import { goYaml } from '../../shared/output/go-yaml.js';

export const BOOTSTRAP_FILES = ['mesh.yaml', 'cluster.env', 'root-cert.pem', 'istio-token', 'hosts', 'sidecar.env'] as const;
export type BootstrapFileName = (typeof BOOTSTRAP_FILES)[number];

/** The token is a secret; everything else is readable (istioctl writes every file 0744). */
export const FILE_MODES: Record<BootstrapFileName, number> = {
  'mesh.yaml': 0o644,
  'cluster.env': 0o644,
  'root-cert.pem': 0o644,
  'istio-token': 0o600,
  hosts: 0o644,
  'sidecar.env': 0o644,
};

export interface BootstrapInput {
  group: WorkloadGroup;
  /** ConfigMap istio[-<rev>] key mesh. */
  meshConfig: string;
  rootCert: string;
  token: string;
  clusterID: string;
  istioNamespace: string;
  revision?: string | undefined;
  /** The addresses istiod's name resolves to on the VM (the east-west gateway's); none writes an empty hosts file, as istioctl does. */
  ingressAddresses: string[];
  autoregister: boolean;
  captureDNS: boolean;
  /** The VM's own address (istioctl --internalIP), or its address as seen from the cluster (--externalIP). */
  internalIP?: string | undefined;
  externalIP?: string | undefined;
}

const revisioned = (rev: string | undefined) => Boolean(rev) && rev !== 'default';

export function istiodHost(istioNamespace: string, revision?: string): string {
  return `${revisioned(revision) ? `istiod-${revision}` : 'istiod'}.${istioNamespace}.svc`;
}

export function istiodAddress(istioNamespace: string, revision?: string): string {
  return `${istiodHost(istioNamespace, revision)}:15012`;
}

/** Go's encoding/json of a string map: keys sorted by bytes, <, > and & escaped. */
function goJsonObject(m: Record<string, string>): string {
  const keys = Object.keys(m).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const esc = (s: string) => JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `{${keys.map((k) => `${esc(k)}:${esc(m[k])}`).join(',')}}`;
}

/** labels.CanonicalService: the canonical name and revision from the labels, else the group name and "latest". */
function canonical(labels: Record<string, string>, name: string): [string, string] {
  const first = (keys: string[]) => keys.map((k) => labels[k]).find((v) => v !== undefined);
  return [
    first(['service.istio.io/canonical-name', 'app.kubernetes.io/name', 'app']) ?? name,
    first(['service.istio.io/canonical-revision', 'app.kubernetes.io/version', 'version']) ?? 'latest',
  ];
}

export interface RenderedBootstrap {
  files: Record<BootstrapFileName, string>;
  /** The proxy configuration as written into mesh.yaml (for checks). */
  inboundPorts: string;
  serviceAccount: string;
  namespace: string;
  notes: string[];
}

export function renderBootstrap(i: BootstrapInput): RenderedBootstrap {
  const wg = i.group;
  const name = wg.metadata?.name ?? '';
  const namespace = wg.metadata?.namespace ?? '';
  const template = wg.spec?.template ?? {};
  const notes: string[] = [];
  // istioctl defaults the service account only for a group read from a file; a group without one
  // would get a token for "" and fail, so it is "default" here in both cases.
  const serviceAccount = template.serviceAccount || 'default';
  const mesh = parseMeshConfig(i.meshConfig);
  let proxy = applyProxyConfig(mesh.defaultConfig, '{}');
  const metadata: Record<string, string> = { ...stringMap(proxy['proxyMetadata']) };
  for (const annotations of [wg.metadata?.annotations, wg.spec?.metadata?.annotations]) {
    const pc = annotations?.[PROXY_CONFIG_ANNOTATION];
    if (pc === undefined) continue;
    proxy = applyProxyConfig(proxy, pc);
    Object.assign(metadata, stringMap(proxy['proxyMetadata']));
  }
  if (revisioned(i.revision) && !proxy['discoveryAddress']) proxy['discoveryAddress'] = istiodAddress(i.istioNamespace, i.revision);

  const labels: Record<string, string> = { ...(wg.spec?.metadata?.labels ?? {}) };
  if (Object.keys(template.labels ?? {}).length) {
    notes.push('the WorkloadGroup sets labels in its template; they override spec.metadata.labels (Istio expects them in spec.metadata.labels)');
    Object.assign(labels, template.labels);
  }
  // istioctl sets the probe from the group even when it has none, dropping one from the annotation.
  if (wg.spec?.probe) proxy['readinessProbe'] = wg.spec.probe;
  else delete proxy['readinessProbe'];
  const [service, revision] = canonical(labels, name);
  metadata['CANONICAL_SERVICE'] = service;
  metadata['CANONICAL_REVISION'] = revision;
  metadata['POD_NAMESPACE'] = namespace;
  metadata['SERVICE_ACCOUNT'] = serviceAccount;
  metadata['TRUST_DOMAIN'] = mesh.trustDomain;
  metadata['ISTIO_META_CLUSTER_ID'] = i.clusterID;
  metadata['ISTIO_META_MESH_ID'] = typeof proxy['meshId'] === 'string' ? proxy['meshId'] : '';
  metadata['ISTIO_META_NETWORK'] = template.network ?? '';
  const ports = Object.entries(template.ports ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (ports.length)
    metadata['ISTIO_META_POD_PORTS'] = `[${ports.map(([n, p]) => `{"name":${JSON.stringify(n)},"containerPort":${p},"protocol":""}`).join(',')}]`;
  metadata['ISTIO_META_WORKLOAD_NAME'] = name;
  labels['service.istio.io/canonical-name'] = service;
  labels['service.istio.io/canonical-revision'] = revision;
  metadata['ISTIO_METAJSON_LABELS'] = goJsonObject(labels);
  if (i.captureDNS) metadata['ISTIO_META_DNS_CAPTURE'] = 'true';
  if (i.autoregister) metadata['ISTIO_META_AUTO_REGISTER_GROUP'] = name;
  proxy['proxyMetadata'] = metadata;

  const inbound = [...new Set(ports.map(([, p]) => p))].sort((a, b) => a - b);
  const inboundPorts = inbound.length ? inbound.join(',') : '*';
  const statusPort = typeof proxy['statusPort'] === 'number' ? proxy['statusPort'] : 0;
  const exclude = `22,15090,15021${statusPort !== 15090 && statusPort !== 15021 ? `,${statusPort || 15020}` : ''}`;
  const env: Record<string, string> = {
    ...metadata,
    ISTIO_INBOUND_PORTS: inboundPorts,
    ISTIO_NAMESPACE: namespace,
    ISTIO_SERVICE: `${name}.${namespace}`,
    ISTIO_SERVICE_CIDR: '*',
    ISTIO_LOCAL_EXCLUDE_PORTS: exclude,
    SERVICE_ACCOUNT: serviceAccount,
    ...(revisioned(i.revision) ? { CA_ADDR: istiodAddress(i.istioNamespace, i.revision) } : {}),
    ...(i.internalIP ? { ISTIO_SVC_IP: i.internalIP } : i.externalIP ? { ISTIO_SVC_IP: i.externalIP, REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION: 'true' } : {}),
  };
  const host = istiodHost(i.istioNamespace, i.revision);
  return {
    files: {
      'mesh.yaml': goYaml({ defaultConfig: proxyConfigJson(proxy) }),
      'cluster.env': renderClusterEnv(env),
      'root-cert.pem': i.rootCert,
      'istio-token': i.token,
      hosts: i.ingressAddresses.map((a) => `${a} ${host}\n`).join(''),
      'sidecar.env': sidecarEnv(inboundPorts),
    },
    inboundPorts,
    serviceAccount,
    namespace,
    notes,
  };
}

/** /var/lib/istio/envoy/sidecar.env: the ports the sidecar intercepts (istio-start.sh reads it before cluster.env, which says the same). */
export function sidecarEnv(inboundPorts: string): string {
  return [
    '# Read by istio-start.sh before cluster.env (which has the same value and takes precedence).',
    '# Inbound ports the sidecar intercepts; "*" intercepts every port but those in ISTIO_LOCAL_EXCLUDE_PORTS.',
    `ISTIO_INBOUND_PORTS=${inboundPorts === '*' ? "'*'" : inboundPorts}`,
    '',
  ].join('\n');
}

function stringMap(v: unknown): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'string' ? x : String(x)]));
}

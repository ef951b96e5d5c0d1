// Istio's multicluster shapes: the remote secret istiod's secret controller reads (the one
// `istioctl create-remote-secret` writes) and the kubeconfig inside it, and the labels and annotations
// that tie clusters together. Sources: istioctl/pkg/multicluster/remote_secret.go,
// pkg/kube/multicluster/secretcontroller.go, pkg/kube/util.go (sanitizeKubeConfig).
import yaml from 'js-yaml';
import type { KubeObject } from '../kube/object.js';
import { resolveKubeconfig } from '../kube/kubeconfig.js';

export const DEFAULT_ISTIO_NAMESPACE = 'istio-system';
/** The label istiod's secret controller selects remote secrets by. */
export const MULTICLUSTER_SECRET_LABEL = 'istio/multiCluster';
/** The annotation istioctl puts on a remote secret: the cluster it holds credentials for. */
export const CLUSTER_ANNOTATION = 'networking.istio.io/cluster';
/** On a remote's istio-system: the clusters whose istiod controls it (primary-remote), or '*'. */
export const CONTROL_PLANE_CLUSTERS_ANNOTATION = 'topology.istio.io/controlPlaneClusters';
/** On istio-system (and gateway Services): the network the cluster's workloads are on. */
export const NETWORK_LABEL = 'topology.istio.io/network';
/** The service account istioctl's remote secrets carry a token of. */
export const ISTIO_READER_SERVICE_ACCOUNT = 'istio-reader-service-account';

const REMOTE_SECRET_PREFIX = 'istio-remote-secret-';

export function remoteSecretName(cluster: string): string {
  return `${REMOTE_SECRET_PREFIX}${cluster}`;
}

/** What a remote secret's kubeconfig holds: everything istiod needs to reach the cluster. */
export interface RemoteCredentials {
  server: string;
  /** PEM of the certificate authority the API server's certificate is checked against. */
  certificateAuthority: string;
  token: string;
  tlsServerName?: string | undefined;
}

/**
 * The kubeconfig istioctl writes into a remote secret: one cluster, context and user, all named after
 * the cluster, with the CA and the token inline (field names as clientcmd writes them).
 */
export function remoteKubeconfig(cluster: string, c: RemoteCredentials): string {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: cluster,
        cluster: {
          'certificate-authority-data': Buffer.from(c.certificateAuthority).toString('base64'),
          server: c.server,
          ...(c.tlsServerName ? { 'tls-server-name': c.tlsServerName } : {}),
        },
      },
    ],
    contexts: [{ name: cluster, context: { cluster, user: cluster } }],
    'current-context': cluster,
    users: [{ name: cluster, user: { token: c.token } }],
  };
  return yaml.dump(doc, { lineWidth: -1, noRefs: true });
}

/** The remote secret for one cluster, as istioctl makes it (Opaque, no type), with our extra metadata. */
export function remoteSecret(
  cluster: string,
  namespace: string,
  kubeconfig: string,
  extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: remoteSecretName(cluster),
      namespace,
      labels: { ...extra.labels, [MULTICLUSTER_SECRET_LABEL]: 'true' },
      annotations: { ...extra.annotations, [CLUSTER_ANNOTATION]: cluster },
    },
    data: { [cluster]: Buffer.from(kubeconfig).toString('base64') },
  };
}

/** The clusters a remote secret registers: each data key is a cluster ID, its value a kubeconfig. */
export function registeredClusters(secret: KubeObject): { id: string; kubeconfig: string }[] {
  const data = (secret['data'] ?? {}) as Record<string, string>;
  return Object.entries(data).map(([id, b64]) => ({ id, kubeconfig: Buffer.from(b64, 'base64').toString('utf8') }));
}

/** A kubeconfig read for a remote secret: its credentials, or why it cannot be used. */
export interface CheckedKubeconfig {
  server: string;
  /** PEM, from certificate-authority-data (or the file certificate-authority names, read here). */
  certificateAuthority?: string | undefined;
  token?: string | undefined;
  tlsServerName?: string | undefined;
  insecure: boolean;
  /** Why it cannot go into a remote secret; empty when it can. */
  refused: string[];
}

type Obj = Record<string, unknown>;
const text = (o: Obj, k: string): string | undefined => (typeof o[k] === 'string' && o[k] !== '' ? o[k] : undefined);

/**
 * Read a kubeconfig's context for a remote secret, which holds a bearer token inline. istiod itself
 * refuses files (tokenFile, client-certificate, client-key), exec plugins and auth providers other than
 * oidc unless PILOT_INSECURE_MULTICLUSTER_KUBECONFIG_OPTIONS allows them (and a file would be looked
 * for on istiod's machine); client certificates and oidc are left out here too: a reader's token is
 * what belongs in istiod's hands. `readFile` reads a certificate-authority file on this machine.
 */
export function checkKubeconfig(content: string, source: string, context: string | undefined, readFile: (path: string) => string): CheckedKubeconfig {
  const r = resolveKubeconfig([{ path: source, content }], { context });
  const cluster = (r.minified.clusters[0]?.['cluster'] ?? {}) as Obj;
  const user = (r.minified.users[0]?.['user'] ?? {}) as Obj;
  const token = text(user, 'token');
  const refused: string[] = [];
  const how = user['exec']
    ? 'an exec credential plugin'
    : user['auth-provider']
      ? 'an auth provider'
      : text(user, 'tokenFile')
        ? 'a token file'
        : text(user, 'client-certificate') || text(user, 'client-certificate-data')
          ? 'a client certificate'
          : undefined;
  if (!token) refused.push(`user "${r.userName}" has no inline token${how ? ` (it uses ${how})` : ''}`);
  const caData = text(cluster, 'certificate-authority-data');
  const caFile = text(cluster, 'certificate-authority');
  return {
    server: r.server,
    certificateAuthority: caData ? Buffer.from(caData, 'base64').toString('utf8') : caFile ? readFile(caFile) : undefined,
    token,
    tlsServerName: text(cluster, 'tls-server-name'),
    insecure: String(cluster['insecure-skip-tls-verify']) === 'true',
    refused,
  };
}

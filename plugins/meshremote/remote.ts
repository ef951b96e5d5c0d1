// The remote cluster's side of a link: what is there (observe), what the reader needs (a pure plan),
// and a token for it (TokenRequest bound to a Secret of ours, or the legacy token Secret istioctl uses).
import { isDeepStrictEqual } from 'node:util';
import type { Clock } from '../../shared/context.js';
import { CliError } from '../../shared/errors.js';
import type { Kube } from '../../shared/kube/client.js';
import type { KubeObject, ServerDryRun } from '../../shared/kube/object.js';
import type { ConfigMap } from '../../shared/kube/types.js';
import { isManagedBy } from '../../shared/kube/ownership.js';
import type { Change } from '../../shared/kube/plan.js';
import { requestToken } from '../../shared/kube/tokens.js';
import { installValues, INJECTOR_CONFIGMAP, VALUES_CONFIGMAP, type InstallValues } from '../../shared/istio/install-values.js';
import { CONTROL_PLANE_CLUSTERS_ANNOTATION } from '../../shared/istio/multicluster.js';
import { linkSelector, PLUGIN, readerName } from './names.js';
import { readerObjects, tokenSecret, type ReaderSpec } from './reader.js';

export interface RemoteState {
  context: string;
  /** The API server as the kubeconfig names it. */
  server: string;
  /** kube-system's UID: the cluster's identity (what istioctl names a cluster by default). */
  uid: string;
  namespace: string;
  namespaceObject?: KubeObject | undefined;
  values?: InstallValues | undefined;
  /** The cluster's CA (kube-root-ca.crt), what pods and istioctl's remote secrets trust the API server with. */
  clusterCA?: string | undefined;
  serviceAccount?: KubeObject | undefined;
  clusterRole?: KubeObject | undefined;
  binding?: KubeObject | undefined;
  /** The link's token Secrets, oldest first. */
  tokenSecrets: KubeObject[];
}

/**
 * The remote's Istio install names the cluster (global.multiCluster.clusterName): its sidecars report that
 * name, so istiod must know the remote by it too. A refusal when `link` is another name (pure).
 */
export function declaredNameRefusal(r: RemoteState, link: string): string | undefined {
  const declared = r.values?.clusterName;
  if (!declared || declared === link) return undefined;
  return `the remote (context "${r.context}") calls itself "${declared}" (global.multiCluster.clusterName in its ${r.namespace}/istio-sidecar-injector): link it as "${declared}", or its sidecars and istiod would name the cluster differently`;
}

const get = <T extends KubeObject = KubeObject>(kube: Kube, apiVersion: string, kind: string, name: string, namespace?: string) =>
  kube.find<T>({ apiVersion, kind, name, namespace });

/** Everything a link needs from the remote, read at once (ten requests in parallel). */
export async function observeRemote(kube: Kube, link: string, namespace: string): Promise<RemoteState> {
  const name = readerName(link);
  const rbac = 'rbac.authorization.k8s.io/v1';
  const [system, ns, injector, values, rootCA, sa, role, binding, secrets] = await Promise.all([
    kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'kube-system' }),
    get(kube, 'v1', 'Namespace', namespace),
    get<ConfigMap>(kube, 'v1', 'ConfigMap', INJECTOR_CONFIGMAP, namespace),
    get<ConfigMap>(kube, 'v1', 'ConfigMap', VALUES_CONFIGMAP, namespace),
    get<ConfigMap>(kube, 'v1', 'ConfigMap', 'kube-root-ca.crt', 'kube-system'),
    get(kube, 'v1', 'ServiceAccount', name, namespace),
    get(kube, rbac, 'ClusterRole', name),
    get(kube, rbac, 'ClusterRoleBinding', name),
    kube.list('v1', 'Secret', { namespace, labelSelector: linkSelector(link) }),
  ]);
  return {
    context: kube.config.contextName,
    server: kube.config.server,
    uid: system.metadata?.uid ?? '',
    namespace,
    namespaceObject: ns,
    values: installValues(injector, values),
    clusterCA: rootCA?.data?.['ca.crt'],
    serviceAccount: sa,
    clusterRole: role,
    binding,
    tokenSecrets: secrets.sort(byAge),
  };
}

function byAge(a: KubeObject, b: KubeObject): number {
  const t = (o: KubeObject) => o.metadata?.creationTimestamp ?? '';
  return t(a).localeCompare(t(b)) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** The clusters whose istiod controls this one (primary-remote), from its istio-system annotation. */
export function controlPlaneClusters(s: RemoteState): string[] {
  const v = s.namespaceObject?.metadata?.annotations?.[CONTROL_PLANE_CLUSTERS_ANNOTATION];
  return v
    ? v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : [];
}

export const isLegacyTokenSecret = (s: KubeObject): boolean => s['type'] === 'kubernetes.io/service-account-token';

export interface ReaderPlan {
  changes: Change[];
  /** The token Secret to bind (or read) the token of: an existing one, or the one created by `changes`. */
  tokenSecret: KubeObject;
  created: boolean;
  /** What `changes` creates (not there before): what undoing a failed link removes. */
  fresh: KubeObject[];
}

// The fields of ours that must match; what the API server adds (defaults, managedFields) is not compared.
const shape = (o: KubeObject | undefined) =>
  o && { labels: o.metadata?.labels ?? {}, rules: o['rules'], roleRef: o['roleRef'], subjects: o['subjects'], namespace: o.metadata?.namespace };

/**
 * What the remote needs for a link's reader (pure): the Istio namespace if missing, the account and its
 * RBAC where they differ from what is there, and a token Secret of the kind asked for (the newest one
 * kept, or a new one with `newToken`, as rotation needs). Objects of the same names not made by
 * meshremote are refused, not taken over.
 */
export function planReader(s: RemoteState, spec: ReaderSpec, legacy: boolean, newSecretName: string, newToken = false): ReaderPlan {
  const changes: Change[] = [];
  const fresh: KubeObject[] = [];
  if (!s.namespaceObject) changes.push({ action: 'create', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: s.namespace } } });
  const observed = [s.serviceAccount, s.clusterRole, s.binding];
  readerObjects(spec).forEach((want, i) => {
    const have = observed[i];
    if (have && !isManagedBy(have, PLUGIN)) {
      throw new CliError(
        `${want.kind} ${want.metadata?.name} already exists in context "${s.context}" and was not created by kubectl meshremote; remove it or choose another link name`,
      );
    }
    const haveShape = shape(have);
    const wantShape = shape(want);
    if (!have || !isDeepStrictEqual({ ...haveShape, labels: { ...haveShape?.labels, ...wantShape?.labels } }, wantShape)) {
      changes.push({ action: 'apply', object: want, verb: have ? 'configured' : 'created' });
      if (!have) fresh.push(want);
    }
  });
  const current = newToken ? undefined : [...s.tokenSecrets].reverse().find((x) => isLegacyTokenSecret(x) === legacy);
  if (current) return { changes, tokenSecret: current, created: false, fresh };
  const secret = tokenSecret(spec.link, s.namespace, newSecretName, legacy);
  changes.push({ action: 'create', object: secret });
  return { changes, tokenSecret: secret, created: true, fresh: [...fresh, secret] };
}

export interface MintedToken {
  token: string;
  /** RFC 3339; undefined for a legacy token (it never expires). */
  expiresAt?: string | undefined;
}

/**
 * A token of the link's reader: a TokenRequest bound to the token Secret (revoked with it), or the
 * legacy token the token controller writes into a service-account-token Secret (polled, as istioctl does).
 */
export async function mintToken(
  kube: Kube,
  link: string,
  secret: KubeObject,
  durationSeconds: number,
  clock: Clock,
  dryRun: ServerDryRun = 'none',
): Promise<MintedToken> {
  const namespace = secret.metadata?.namespace ?? '';
  const name = secret.metadata?.name ?? '';
  if (!isLegacyTokenSecret(secret)) {
    const t = await requestToken(kube, {
      namespace,
      serviceAccount: readerName(link),
      expirationSeconds: durationSeconds,
      boundSecret: { name, uid: secret.metadata?.uid ?? '' },
      dryRun,
    });
    return { token: t.token, expiresAt: t.expirationTimestamp };
  }
  for (let i = 0; ; i++) {
    const data = (secret['data'] ?? {}) as Record<string, string>;
    if (data['token']) return { token: Buffer.from(data['token'], 'base64').toString('utf8') };
    if (i >= 20)
      throw new CliError(
        `the token controller did not fill secret ${namespace}/${name} in context "${kube.config.contextName}" within 10s; is kube-controller-manager running?`,
      );
    await clock.sleep(500);
    secret = await kube.get({ apiVersion: 'v1', kind: 'Secret', name, namespace });
  }
}

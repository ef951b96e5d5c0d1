// The primary cluster's side: its cluster ID (what istiod ignores a secret for), the remote secrets
// istiod reads, and the secret a link writes (a pure plan with the refusals istiod would otherwise
// apply silently).
import { isDeepStrictEqual } from 'node:util';
import { CliError } from '../../shared/errors.js';
import type { Kube } from '../../shared/kube/client.js';
import type { KubeObject } from '../../shared/kube/object.js';
import type { ConfigMap, Deployment } from '../../shared/kube/types.js';
import { isManagedBy } from '../../shared/kube/ownership.js';
import type { Change } from '../../shared/kube/plan.js';
import { installValues, INJECTOR_CONFIGMAP, VALUES_CONFIGMAP } from '../../shared/istio/install-values.js';
import { MULTICLUSTER_SECRET_LABEL, registeredClusters, remoteSecret, remoteSecretName } from '../../shared/istio/multicluster.js';
import { linkLabels, PLUGIN } from './names.js';

export interface PrimaryState {
  context: string;
  /** kube-system's UID (to tell the primary from a remote given as the same cluster). */
  uid: string;
  namespace: string;
  /** istiod's cluster ID (global.multiCluster.clusterName); undefined without an injector ConfigMap. */
  clusterID?: string | undefined;
  namespaceExists: boolean;
  /** Every Secret labelled istio/multiCluster=true in the Istio namespace. */
  secrets: KubeObject[];
}

export async function observePrimary(kube: Kube, namespace: string): Promise<PrimaryState> {
  const [system, ns, injector, values, secrets] = await Promise.all([
    kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'kube-system' }),
    kube.find({ apiVersion: 'v1', kind: 'Namespace', name: namespace }),
    kube.find<ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', name: INJECTOR_CONFIGMAP, namespace }),
    kube.find<ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', name: VALUES_CONFIGMAP, namespace }),
    kube.list('v1', 'Secret', { namespace, labelSelector: `${MULTICLUSTER_SECRET_LABEL}=true` }),
  ]);
  return {
    context: kube.config.contextName,
    uid: system.metadata?.uid ?? '',
    namespace,
    clusterID: installValues(injector, values)?.clusterName,
    namespaceExists: Boolean(ns),
    secrets,
  };
}

export function findSecret(p: PrimaryState, link: string): KubeObject | undefined {
  return p.secrets.find((s) => s.metadata?.name === remoteSecretName(link));
}

/** The stored kubeconfig of a link, if its secret holds one under the link's name. */
export function storedKubeconfig(p: PrimaryState, link: string): string | undefined {
  const s = findSecret(p, link);
  return s ? registeredClusters(s).find((c) => c.id === link)?.kubeconfig : undefined;
}

/**
 * Why istiod would not use a remote secret for `link` (pure): the primary's own cluster ID ("ignoring
 * cluster as it would overwrite the config cluster") or a name another secret registered first
 * ("cluster has already been registered"). Undefined when the name is free or already ours.
 */
export function nameRefusal(p: PrimaryState, link: string): string | undefined {
  if (p.clusterID !== undefined && link === p.clusterID) {
    return `"${link}" is the cluster ID of the primary (context "${p.context}") itself: istiod ignores a remote secret with its own name; give the remote another name`;
  }
  const other = p.secrets.find((s) => s.metadata?.name !== remoteSecretName(link) && registeredClusters(s).some((c) => c.id === link));
  if (other) {
    return `cluster "${link}" is already registered by secret ${p.namespace}/${other.metadata?.name} in context "${p.context}": istiod would ignore a second one; unlink that one first or choose another name`;
  }
  return undefined;
}

/**
 * The change to the primary's remote secret for a kubeconfig (pure): none when it already holds exactly
 * that; refused when the secret exists, was not made by meshremote and `overwrite` is not given.
 */
export function planSecret(
  p: PrimaryState,
  link: string,
  kubeconfig: string,
  annotations: Record<string, string>,
  overwrite: boolean,
): { changes: Change[]; secret: KubeObject } {
  const desired = remoteSecret(link, p.namespace, kubeconfig, { labels: linkLabels(link), annotations });
  const have = findSecret(p, link);
  if (have && !isManagedBy(have, PLUGIN) && !overwrite) {
    throw new CliError(
      `secret ${p.namespace}/${remoteSecretName(link)} already exists in context "${p.context}" and was not made by kubectl meshremote (istioctl create-remote-secret?); pass --overwrite to replace it`,
    );
  }
  const same =
    have &&
    isDeepStrictEqual(have['data'], desired['data']) &&
    Object.entries(desired.metadata?.labels ?? {}).every(([k, v]) => have.metadata?.labels?.[k] === v) &&
    Object.entries(desired.metadata?.annotations ?? {}).every(([k, v]) => have.metadata?.annotations?.[k] === v);
  return { changes: same ? [] : [{ action: 'apply', object: desired, verb: have ? 'configured' : 'created' }], secret: desired };
}

/**
 * The value istiod's Deployment gives an environment variable ('' when unset), or undefined when there
 * is no istiod Deployment to read (istiod installed otherwise, or not readable).
 */
export async function istiodEnv(kube: Kube, namespace: string, name: string): Promise<string | undefined> {
  const d = await kube.find<Deployment>({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'istiod', namespace }).catch(() => undefined);
  if (!d) return undefined;
  const c = d.spec?.template?.spec?.containers?.find((x) => x.name === 'discovery');
  return c?.env?.find((e) => e.name === name)?.value ?? '';
}

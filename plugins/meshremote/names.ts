// The names and marks of what meshremote creates. In the remote cluster, per link name: a reader
// ServiceAccount, its ClusterRole and ClusterRoleBinding, and the Secrets its tokens are bound to
// (deleting one revokes the tokens bound to it). In the primary: Istio's remote secret, marked as ours.
// One account per link name, so unlinking or rotating one link never touches another's credentials
// (nor Istio's own istio-reader-service-account, which other links may use).
import { annotationKey, MANAGED_BY, managerName } from '../../shared/kube/ownership.js';
import { outputApiVersion } from '../../shared/output/api.js';

export const PLUGIN = 'meshremote';
/** The apiVersion of meshremote's -o json|yaml documents. */
export const API_VERSION = outputApiVersion(PLUGIN);

/** Label on everything of one link: its name (the cluster ID istiod knows the remote by). */
export const LINK_LABEL = annotationKey('mesh-remote');
/** Annotation on the primary's secret: the remote cluster's identity (kube-system's UID). */
export const REMOTE_UID_ANNOTATION = annotationKey('remote-cluster-uid');
/** Annotation on the primary's secret: the kubeconfig context the remote was linked from (a hint). */
export const REMOTE_CONTEXT_ANNOTATION = annotationKey('remote-context');
/** Label on a link's ClusterRole: the reader kind it grants (istio or minimal). */
export const READER_LABEL = annotationKey('reader');
/** Annotation on a token-binding Secret: what it is for, said to whoever finds it. */
export const PURPOSE_ANNOTATION = annotationKey('purpose');

export function readerName(link: string): string {
  return `meshremote-reader-${link}`;
}

/** A new token-binding Secret's name: the account's name, "-token-", five random letters and digits. */
export function tokenSecretName(link: string, random: () => number = Math.random): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += alphabet[Math.floor(random() * alphabet.length)];
  return `${readerName(link)}-token-${suffix}`;
}

/** The labels of every object of one link. */
export function linkLabels(link: string): Record<string, string> {
  return { [MANAGED_BY]: managerName(PLUGIN), [LINK_LABEL]: link };
}

export function linkSelector(link: string): string {
  return `${MANAGED_BY}=${managerName(PLUGIN)},${LINK_LABEL}=${link}`;
}

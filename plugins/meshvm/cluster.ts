// What every meshvm command must know of the cluster before it writes: the namespace exists, Istio's
// CRDs are served, an istiod serves the namespace. Each is one read, and each absence is one line that
// says what to do.
import { CliError, KubeApiError } from '../../shared/errors.js';
import type { Kube } from '../../shared/kube/client.js';
import type { KubeObject, ObjectRef } from '../../shared/kube/object.js';
import type { ConfigMap } from '../../shared/kube/types.js';

export const ISTIO_NAMESPACE = 'istio-system';
/** The ConfigMap istiod publishes into every namespace it serves (its CA's root certificate). */
export const ROOT_CERT_CONFIGMAP = 'istio-ca-root-cert';
export const ROOT_CERT_KEY = 'root-cert.pem';

/** A read whose absence is an answer (undefined), with a kind the cluster may not serve told apart. */
export async function findObject<T extends KubeObject>(kube: Kube, ref: ObjectRef): Promise<T | undefined> {
  try {
    return await kube.find<T>(ref);
  } catch (err) {
    throw istioMissing(err, ref) ?? err;
  }
}

/** A 404 for an Istio kind that is not an object's absence: the CRDs are not installed. */
export function istioMissing(err: unknown, ref: { apiVersion: string; kind: string }): CliError | undefined {
  if (!(err instanceof KubeApiError) || err.status !== 404 || err.reason === 'NotFound' || !ref.apiVersion.includes('istio.io')) return undefined;
  return new CliError(
    `the cluster does not serve Istio's ${ref.kind} (${ref.apiVersion}): Istio's CRDs are not installed; install Istio first (istioctl install, or the base Helm chart)`,
    1,
    { cause: err },
  );
}

export async function requireNamespace(kube: Kube, namespace: string): Promise<void> {
  const found = await kube.find({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
  if (!found)
    throw new CliError(`namespace "${namespace}" not found (context "${kube.config.contextName}"); create it first: kubectl create namespace ${namespace}`);
}

/**
 * istiod's root certificate as published into the namespace. Its absence means no istiod serves the
 * namespace (none installed, not running, or the namespace outside its discoverySelectors).
 */
export async function requireIstiod(kube: Kube, namespace: string): Promise<string> {
  const cm = await kube.find<ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', name: ROOT_CERT_CONFIGMAP, namespace });
  const cert = cm?.data?.[ROOT_CERT_KEY];
  if (!cert)
    throw new CliError(
      `no istiod serves namespace "${namespace}": it has no ${ROOT_CERT_CONFIGMAP} ConfigMap, which istiod publishes into every namespace it serves; install Istio, or check istiod: kubectl -n ${ISTIO_NAMESPACE} get pods -l app=istiod`,
    );
  return cert;
}

/** Settle every read, then report the first failure in the order given (the namespace's first). */
export async function readAll<T extends readonly unknown[]>(reads: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(reads);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

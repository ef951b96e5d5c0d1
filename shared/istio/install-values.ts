// What an Istio install says about the cluster it is in, read the way istioctl reads it: the values
// the istio-sidecar-injector ConfigMap carries (global.multiCluster.clusterName is the cluster ID
// istiod and the sidecars use; global.network; global.meshID; the image tag of the release). A remote
// profile installs no injector ConfigMap; the chart's `values` ConfigMap (merged-values) has the same.
import type { ConfigMap } from '../kube/types.js';

export const INJECTOR_CONFIGMAP = 'istio-sidecar-injector';
export const VALUES_CONFIGMAP = 'values';

export function injectorConfigMapName(revision = ''): string {
  return revision && revision !== 'default' ? `${INJECTOR_CONFIGMAP}-${revision}` : INJECTOR_CONFIGMAP;
}

export interface InstallValues {
  clusterName?: string | undefined;
  network?: string | undefined;
  meshID?: string | undefined;
  /** The release's image tag (its version for a release build). */
  tag?: string | undefined;
  revision?: string | undefined;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

/**
 * The install's values: from the injector ConfigMap's `values`, else the `values` ConfigMap's
 * `merged-values`; undefined when neither has them as JSON.
 */
export function installValues(injector: ConfigMap | undefined, valuesConfigMap?: ConfigMap): InstallValues | undefined {
  const data = (o: ConfigMap | undefined, key: string) => o?.data?.[key];
  const raw = data(injector, 'values') ?? data(valuesConfigMap, 'merged-values');
  if (!raw) return undefined;
  let values: Obj;
  try {
    values = obj(JSON.parse(raw));
  } catch {
    return undefined;
  }
  const global = obj(values['global']);
  return {
    clusterName: str(obj(global['multiCluster'])['clusterName']),
    network: str(global['network']),
    meshID: str(global['meshID']),
    tag: str(global['tag']),
    revision: str(values['revision']),
  };
}

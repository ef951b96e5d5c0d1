// Every object a production ingress layer needs, from options alone (pure): what `deploy` applies
// and what --dry-run=client prints.
import type { KubeObject } from '../../shared/kube/object.js';
import { markManaged } from '../../shared/kube/ownership.js';
import { podSelector, type IngressOptions } from './options.js';
import { rbacObjects } from './rbac.js';
import { cloudAnnotations, loadBalancerService } from './service.js';
import { configMaps, daemonSet, ingressClass, podDisruptionBudget } from './workload.js';

export interface Manifests {
  /** In the order they are applied: identity and permissions before the pods that use them. */
  objects: KubeObject[];
  /** Said once on stderr (unsupported node selection, end-of-life controller). */
  warnings: string[];
}

export const NGINX_EOL_WARNING =
  'ingress-nginx is end-of-life since March 2026 (no further releases, security fixes included); it is deployed as asked, consider --controller istio-gateway';

export function buildManifests(o: IngressOptions): Manifests {
  const labels = podSelector(o);
  const objects = [
    ...rbacObjects(o, labels),
    ...configMaps(o, labels),
    ingressClass(o, labels),
    daemonSet(o, labels),
    podDisruptionBudget(o, labels),
    loadBalancerService(o, labels),
  ].map((obj) => markManaged(obj, o.plugin));
  const warnings: string[] = [];
  if (o.controller === 'ingress-nginx') warnings.push(NGINX_EOL_WARNING);
  const cloud = cloudAnnotations(o.cloud);
  if (cloud.warning) warnings.push(cloud.warning);
  return { objects, warnings };
}

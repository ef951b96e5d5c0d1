// Reading what the blue-green commands need from the cluster: the object named (an Ingress, HTTPRoute
// or VirtualService, found by name or kind/name), the namespace's Ingresses (canary companions),
// Services, EndpointSlices and the IngressClasses. One request per kind.
import { CliError, KubeApiError, UsageError } from '../../shared/errors.js';
import type { Kube } from '../../shared/kube/client.js';
import type { KubeObject } from '../../shared/kube/object.js';
import { optionalList } from '../../shared/kube/api-errors.js';
import { dnsSubdomain } from '../../shared/validate.js';
import { KINDS, type IngressClassLike, type TargetKind } from './detect.js';
import type { IngressLike, Observed } from './model.js';
import type { EndpointSlice, Service } from '../../shared/kube/types.js';

export interface Cluster extends Observed {
  classes: IngressClassLike[];
  slices: EndpointSlice[];
}

const ALIASES: Record<string, TargetKind> = {
  ingress: 'Ingress',
  ingresses: 'Ingress',
  ing: 'Ingress',
  httproute: 'HTTPRoute',
  httproutes: 'HTTPRoute',
  virtualservice: 'VirtualService',
  virtualservices: 'VirtualService',
  vs: 'VirtualService',
};
const PROVIDER_KIND: Record<string, TargetKind> = { aliyun: 'Ingress', nginx: 'Ingress', alb: 'Ingress', gateway: 'HTTPRoute', istio: 'VirtualService' };

/** "echo", "ingress/echo", "httproute.gateway.networking.k8s.io/echo" -> the kinds to look in and the name. */
export function parseTarget(ref: string): { kinds: TargetKind[]; name: string } {
  const i = ref.indexOf('/');
  if (i < 0) return { kinds: ['Ingress', 'HTTPRoute', 'VirtualService'], name: dnsSubdomain(ref, 'name') };
  const kind = ALIASES[ref.slice(0, i).split('.')[0].toLowerCase()];
  if (!kind) throw new UsageError(`"${ref.slice(0, i)}" is not a kind blue-green works on: use ingress/NAME, httproute/NAME or virtualservice/NAME`);
  return { kinds: [kind], name: dnsSubdomain(ref.slice(i + 1), 'name') };
}

export async function findTarget(kube: Kube, namespace: string, ref: string, provider?: string): Promise<KubeObject> {
  const parsed = parseTarget(ref);
  const kinds = provider && PROVIDER_KIND[provider] && !ref.includes('/') ? [PROVIDER_KIND[provider]] : parsed.kinds;
  const found = (
    await Promise.all(
      kinds.map((kind) =>
        kube.find({ apiVersion: KINDS[kind], kind, name: parsed.name, namespace }).catch((err: unknown) => {
          if (err instanceof KubeApiError && err.status === 404 && kinds.length > 1) return undefined; // kind not served
          throw err;
        }),
      ),
    )
  ).filter((x): x is KubeObject => x !== undefined);
  if (found.length === 0) {
    const where = kinds.length > 1 ? `${kinds.slice(0, -1).join(', ')} or ${kinds[kinds.length - 1]}` : kinds[0];
    throw new CliError(`no ${where} named "${parsed.name}" in namespace "${namespace}"`);
  }
  if (found.length > 1) {
    throw new UsageError(
      `${found.map((o) => `${o.kind?.toLowerCase()}/${parsed.name}`).join(' and ')} all exist in namespace "${namespace}"; say which, e.g. ${found[0].kind?.toLowerCase()}/${parsed.name}`,
    );
  }
  return found[0];
}

/** Everything a blue-green command on one object reads. */
export async function observe(kube: Kube, ref: string, provider?: string): Promise<Cluster> {
  const namespace = kube.namespace;
  const [target, ingresses, services, slices, classes] = await Promise.all([
    findTarget(kube, namespace, ref, provider),
    kube.list<IngressLike>('networking.k8s.io/v1', 'Ingress', { namespace }),
    kube.list<Service>('v1', 'Service', { namespace }),
    kube.list<EndpointSlice>('discovery.k8s.io/v1', 'EndpointSlice', { namespace }),
    optionalList(kube.list<IngressClassLike>('networking.k8s.io/v1', 'IngressClass'), true),
  ]);
  return { namespace, target, ingresses, services, slices, classes };
}

/** Ready endpoints of every Service, from the EndpointSlices (a pod listed in several slices counts once); keyed namespace/service. */
export function readyCounts(slices: EndpointSlice[], fallbackNamespace = ''): Map<string, number> {
  const ready = new Map<string, Set<string>>();
  for (const s of slices) {
    const svc = s.metadata?.labels?.['kubernetes.io/service-name'];
    if (!svc) continue;
    const key = `${s.metadata?.namespace ?? fallbackNamespace}/${svc}`;
    const set = ready.get(key) ?? new Set<string>();
    ready.set(key, set);
    for (const e of s.endpoints ?? []) if (e.conditions?.ready !== false) set.add(e.targetRef?.name ?? e.addresses?.[0] ?? '');
  }
  return new Map([...ready].map(([k, v]) => [k, v.size]));
}

export function readyEndpoints(slices: EndpointSlice[], namespace: string, service: string): number {
  return readyCounts(slices, namespace).get(`${namespace}/${service}`) ?? 0;
}

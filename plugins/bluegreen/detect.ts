// Which provider does an object's blue-green: from its kind (HTTPRoute, VirtualService), then for an
// Ingress from the annotations in use (Alibaba weights, canary companions), then from the controller
// its IngressClass names; --provider decides when given. Pure.
import { UsageError } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/kube/object.js';
import { PROVIDERS, type IngressLike, type Provider, type ProviderName } from './model.js';
import { ALIYUN_WEIGHT, SERVICE_WEIGHT, aliyunProvider } from './providers/aliyun.js';
import { canaryIngressProvider, isCanary } from './providers/canary-ingress.js';
import { gatewayProvider } from './providers/gateway.js';
import { istioProvider } from './providers/istio.js';
import { pathGroups } from './ingress-rules.js';

export const KINDS = {
  Ingress: 'networking.k8s.io/v1',
  HTTPRoute: 'gateway.networking.k8s.io/v1',
  VirtualService: 'networking.istio.io/v1',
} as const;
export type TargetKind = keyof typeof KINDS;

const BY_NAME: Record<ProviderName, Provider> = {
  aliyun: aliyunProvider,
  nginx: canaryIngressProvider('nginx'),
  alb: canaryIngressProvider('alb'),
  gateway: gatewayProvider,
  istio: istioProvider,
};

export function providerNamed(name: string): Provider {
  if (!(PROVIDERS as readonly string[]).includes(name)) throw new UsageError(`unknown provider "${name}": use one of ${PROVIDERS.join(', ')}`);
  return BY_NAME[name as ProviderName];
}

const KIND_OF: Record<ProviderName, TargetKind> = { aliyun: 'Ingress', nginx: 'Ingress', alb: 'Ingress', gateway: 'HTTPRoute', istio: 'VirtualService' };

/** IngressClass controllers we know; the legacy class annotation's usual values too. */
const CONTROLLERS: Record<string, ProviderName> = { 'k8s.io/ingress-nginx': 'nginx', 'ingress.k8s.alibabacloud/alb': 'alb' };
const CLASS_ANNOTATION: Record<string, ProviderName> = { nginx: 'nginx', alb: 'alb' };

export interface IngressClassLike extends KubeObject {
  spec?: { controller?: string };
}

export function detectProvider(target: KubeObject, o: { ingresses: IngressLike[]; classes: IngressClassLike[]; explicit?: string | undefined }): Provider {
  const kind = target.kind as TargetKind;
  const what = `${kind.toLowerCase()} "${target.metadata?.name}"`;
  if (o.explicit) {
    const p = providerNamed(o.explicit);
    if (KIND_OF[p.name] !== kind)
      throw new UsageError(`provider ${p.name} works on ${KIND_OF[p.name]} objects, and ${what} is ${kind === 'Ingress' ? 'an' : 'a'} ${kind}`);
    return p;
  }
  if (kind === 'HTTPRoute') return BY_NAME.gateway;
  if (kind === 'VirtualService') return BY_NAME.istio;
  const ing = target as IngressLike;
  const annotations = ing.metadata?.annotations ?? {};
  if (annotations[SERVICE_WEIGHT] !== undefined || Object.keys(annotations).some((k) => k.startsWith(ALIYUN_WEIGHT))) return BY_NAME.aliyun;
  const slots = pathGroups(ing).map((g) => `${g.host}${g.path}`);
  for (const flavor of ['nginx', 'alb'] as const) {
    const companion = o.ingresses.some(
      (i) => i.metadata?.name !== ing.metadata?.name && isCanary(i, flavor) && pathGroups(i).some((g) => slots.includes(`${g.host}${g.path}`)),
    );
    if (companion) return BY_NAME[flavor];
  }
  const className = ing.spec?.ingressClassName ?? annotations['kubernetes.io/ingress.class'];
  const cls =
    o.classes.find((c) => c.metadata?.name === className) ??
    (className === undefined ? o.classes.find((c) => c.metadata?.annotations?.['ingressclass.kubernetes.io/is-default-class'] === 'true') : undefined);
  const byController = cls?.spec?.controller ? CONTROLLERS[cls.spec.controller] : undefined;
  const found = byController ?? (className !== undefined && !cls ? CLASS_ANNOTATION[className] : undefined);
  if (found) return BY_NAME[found];
  const served = cls?.spec?.controller
    ? `its IngressClass "${cls.metadata?.name}" names controller "${cls.spec.controller}"`
    : className
      ? `IngressClass "${className}" is not found`
      : 'it names no IngressClass and none is the default';
  throw new UsageError(`cannot tell which controller serves ${what}: ${served}; pass --provider aliyun|nginx|alb`);
}

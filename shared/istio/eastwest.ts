// The east-west gateway Istio's multicluster and VM guides install (samples/multicluster/
// gen-eastwest-gateway.sh): an ingress gateway labelled istio=eastwestgateway, its Service named
// istio-eastwestgateway with ports 15021 (status), 15443 (tls), 15012 (tls-istiod), 15017 (tls-webhook).
import type { Service } from '../kube/types.js';

export const EASTWEST_SERVICE = 'istio-eastwestgateway';
export const EASTWEST_LABELS = { istio: 'eastwestgateway' } as const;
export const EASTWEST_INSTALL_HINT =
  'samples/multicluster/gen-eastwest-gateway.sh --single-cluster | istioctl install -y -f - (from the Istio release of your istiod)';

/** The east-west gateway's Service among a namespace's Services: by its usual name, else by its label. */
export function findEastWestService<S extends Service>(services: S[]): S | undefined {
  return (
    services.find((s) => s.metadata?.name === EASTWEST_SERVICE) ??
    services.find((s) => s.metadata?.labels?.['istio'] === EASTWEST_LABELS.istio || s.spec?.selector?.['istio'] === EASTWEST_LABELS.istio)
  );
}

/** Where clients outside the cluster reach a Service: its load balancer's IP or host name, else an external IP. */
export function externalAddress(svc: Service): { ip?: string; hostname?: string } | undefined {
  const lb = svc.status?.loadBalancer?.ingress?.[0];
  if (lb?.ip) return { ip: lb.ip };
  if (lb?.hostname) return { hostname: lb.hostname };
  const ext = svc.spec?.externalIPs?.[0];
  return ext ? { ip: ext } : undefined;
}

/** The pod labels a Gateway must select to run on this gateway (the Service's selector, as the sample's istio=eastwestgateway). */
export function gatewaySelector(svc: Service): Record<string, string> {
  const sel = svc.spec?.selector ?? {};
  return sel['istio'] ? { istio: sel['istio'] } : Object.keys(sel).length ? sel : { ...EASTWEST_LABELS };
}

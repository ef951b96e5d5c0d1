// Which Service a host in a VirtualService or DestinationRule names, by istiod's rule
// (ResolveShortnameToFQDN, pilot/pkg/model/config.go): a short name without a dot is completed with
// the namespace of the resource it is written in and `.svc.<domain>`; any name with a dot is taken
// as written, so `reviews.prod` is NOT `reviews.prod.svc.cluster.local` (istiod routes it to no
// Service). "*" and IP addresses stay as they are.
import { isIP } from 'node:net';

/** The cluster's DNS domain istiod assumes unless told otherwise. */
export const CLUSTER_DOMAIN = 'cluster.local';

export interface ServiceName {
  name: string;
  namespace: string;
}

/** A host as istiod reads it in a resource of `namespace`: the FQDN of a short name, else the host unchanged. */
export function resolveHost(host: string, namespace: string, domain = CLUSTER_DOMAIN): string {
  if (host === '' || host === '*' || isIP(host) || host.includes('.')) return host;
  return `${host}${namespace ? `.${namespace}` : ''}.svc.${domain}`;
}

/** The FQDN of a Service: name.namespace.svc.<domain>. */
export function serviceFqdn(s: ServiceName, domain = CLUSTER_DOMAIN): string {
  return `${s.name}.${s.namespace}.svc.${domain}`;
}

/** The Service a host written in a resource of `namespace` names, or undefined when it names none. */
export function serviceOfHost(host: string, namespace: string, domain = CLUSTER_DOMAIN): ServiceName | undefined {
  const fqdn = resolveHost(host, namespace, domain);
  const suffix = `.svc.${domain}`;
  if (!fqdn.endsWith(suffix)) return undefined;
  const labels = fqdn.slice(0, -suffix.length).split('.');
  return labels.length === 2 && labels[0] && labels[1] ? { name: labels[0], namespace: labels[1] } : undefined;
}

/** Does a host written in a resource of `namespace` name this Service? */
export function namesService(host: string | undefined, namespace: string, service: ServiceName, domain = CLUSTER_DOMAIN): boolean {
  return host !== undefined && resolveHost(host, namespace, domain) === serviceFqdn(service, domain);
}

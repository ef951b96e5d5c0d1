// `list` as a pure function: WorkloadEntries, Services and ServiceEntries in, one row per VM out: its
// address, what selects it (and with which ports), its network and identity, its health when istio-agent
// reports it, and the WorkloadGroup that auto-registered it.
import { portProtocol } from '../../shared/istio/protocol.js';
import { AUTO_REGISTRATION_GROUP, healthCondition, selectorMatches, type ServiceEntry, type WorkloadEntry } from '../../shared/istio/workload.js';
import type { Service } from '../../shared/kube/types.js';

export interface VMRow {
  namespace: string;
  name: string;
  address: string;
  /** service/<name> and serviceentry/<name> selecting the entry. */
  selectedBy: string[];
  /** <name>:<port> of the entry, with the protocol Istio takes from the name. */
  ports: { name: string; port: number; protocol?: string | undefined }[];
  network: string;
  serviceAccount: string;
  /** True/False from istio-agent's health checks; undefined when not reported. */
  healthy?: boolean | undefined;
  healthMessage?: string | undefined;
  /** The WorkloadGroup that registered it (auto-registration), else undefined. */
  group?: string | undefined;
}

export function vmRows(entries: WorkloadEntry[], services: Service[], serviceEntries: ServiceEntry[]): VMRow[] {
  const sameNs = (a: { metadata?: { namespace?: string } }, ns: string) => (a.metadata?.namespace ?? ns) === ns;
  return entries
    .map((we) => {
      const namespace = we.metadata?.namespace ?? '';
      const labels = we.spec?.labels ?? we.metadata?.labels ?? {};
      const selected = Object.keys(labels).length > 0;
      const svcs = selected ? services.filter((s) => sameNs(s, namespace) && selectorMatches(s.spec?.selector, labels)) : [];
      const ses = selected ? serviceEntries.filter((s) => sameNs(s, namespace) && selectorMatches(s.spec?.workloadSelector?.labels, labels)) : [];
      const health = healthCondition(we);
      return {
        namespace,
        name: we.metadata?.name ?? '',
        address: we.spec?.address ?? '',
        selectedBy: [...svcs.map((s) => `service/${s.metadata?.name}`), ...ses.map((s) => `serviceentry/${s.metadata?.name}`)],
        ports: Object.entries(we.spec?.ports ?? {})
          .map(([name, port]) => ({ name, port, protocol: portProtocol({ name, port }).protocol }))
          .sort((a, b) => a.port - b.port || a.name.localeCompare(b.name)),
        network: we.spec?.network ?? '',
        serviceAccount: we.spec?.serviceAccount || 'default',
        healthy: health ? health.status === 'True' : undefined,
        healthMessage: health?.message || undefined,
        group: we.metadata?.annotations?.[AUTO_REGISTRATION_GROUP],
      };
    })
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.address.localeCompare(b.address) || a.name.localeCompare(b.name));
}

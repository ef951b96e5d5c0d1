// `unregister` decided from what the cluster holds: the VM's own object goes (a WorkloadEntry, or the
// legacy EndpointSlice), and the service's object (Service or ServiceEntry) goes with it only when
// `register` created it and nothing else is behind it: no other WorkloadEntry or pod it selects, no
// other EndpointSlice of it. Objects that are not ours are never deleted. Pure.
import { CliError } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/kube/object.js';
import { isManagedBy } from '../../shared/kube/ownership.js';
import type { Change } from '../../shared/kube/plan.js';
import { NETWORKING_V1, selectorMatches, type ServiceEntry, type WorkloadEntry } from '../../shared/istio/workload.js';
import { PLUGIN, vmObjectName } from './register-plan.js';
import type { EndpointSlice, Service } from '../../shared/kube/types.js';

export interface UnregisterObserved {
  service?: Service | undefined;
  serviceEntry?: ServiceEntry | undefined;
  entry?: WorkloadEntry | undefined;
  slice?: EndpointSlice | undefined;
  /** Everything else that could be behind the service: entries and pods of the namespace, the service's slices. */
  otherEntries: WorkloadEntry[];
  pods: KubeObject[];
  slices: EndpointSlice[];
}

export interface UnregisterPlan {
  name: string;
  changes: Change[];
  /** Why the service's object stays, for people. */
  kept: string[];
}

const labelsOf = (x: KubeObject): Record<string, string> => x.metadata?.labels ?? {};

export function planUnregister(r: { service: string; namespace: string; address: string }, o: UnregisterObserved): UnregisterPlan {
  const name = vmObjectName(r.service, r.address);
  const ns = `-n ${r.namespace}`;
  const changes: Change[] = [];
  const kept: string[] = [];
  for (const x of [o.entry, o.slice]) {
    if (x && !isManagedBy(x, PLUGIN))
      throw new CliError(
        `${x.kind?.toLowerCase()} ${name} ${ns} was not written by kubectl meshvm; delete it yourself if it should go (kubectl ${ns} delete ${x.kind?.toLowerCase()} ${name})`,
      );
  }
  if (o.entry) changes.push({ action: 'delete', ref: { apiVersion: NETWORKING_V1, kind: 'WorkloadEntry', name, namespace: r.namespace } });
  if (o.slice) changes.push({ action: 'delete', ref: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', name, namespace: r.namespace } });
  if (changes.length === 0) return { name, changes, kept };

  const others = o.otherEntries.filter((e) => e.metadata?.name !== name);
  const behind = (selector: Record<string, string>): string[] => [
    ...others.filter((e) => selectorMatches(selector, e.spec?.labels ?? labelsOf(e))).map((e) => `workloadentry ${e.metadata?.name}`),
    ...o.pods.filter((p) => selectorMatches(selector, labelsOf(p))).map((p) => `pod ${p.metadata?.name}`),
  ];
  const consider = (x: KubeObject | undefined, apiVersion: string, kind: string, selector: Record<string, string> | undefined, legacy: boolean) => {
    if (!x) return;
    const what = `${kind.toLowerCase()}/${r.service}`;
    if (!isManagedBy(x, PLUGIN)) return void kept.push(`${what} stays: it was not created by kubectl meshvm`);
    const still = legacy
      ? o.slices.filter((s) => s.metadata?.name !== name && (s.endpoints ?? []).length > 0).map((s) => `endpointslice ${s.metadata?.name}`)
      : behind(selector ?? {});
    if (still.length)
      return void kept.push(`${what} stays: ${still.slice(0, 3).join(', ')}${still.length > 3 ? ` and ${still.length - 3} more` : ''} still behind it`);
    changes.push({ action: 'delete', ref: { apiVersion, kind, name: r.service, namespace: r.namespace } });
  };
  const selectorless = Object.keys(o.service?.spec?.selector ?? {}).length === 0;
  if (o.slice) consider(selectorless ? o.service : undefined, 'v1', 'Service', undefined, true);
  if (o.entry) {
    const labels = o.entry.spec?.labels ?? {};
    if (o.service && !selectorless && selectorMatches(o.service.spec?.selector, labels)) consider(o.service, 'v1', 'Service', o.service.spec?.selector, false);
    const seSelector = o.serviceEntry?.spec?.workloadSelector?.labels;
    if (o.serviceEntry && selectorMatches(seSelector, labels)) consider(o.serviceEntry, NETWORKING_V1, 'ServiceEntry', seSelector, false);
  }
  return { name, changes, kept };
}

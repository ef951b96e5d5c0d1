// What a probe should see, from the split read back: the host/path slot a request lands in, the share
// each backend is set to (all of it to the preview Service when the request carries its header or
// cookie), and the version each Service's pods report. Pure.
import type { PreviewRule, Slot } from './model.js';
import type { Pod, Service } from '../../shared/kube/types.js';

export interface ExpectedShare {
  service: string;
  percent: number;
  /** The one version the Service's pods carry; undefined when they carry none or several. */
  version?: string | undefined;
}

/** The slot a request for host and path lands in: its host, and the longest path that prefixes it. */
export function slotFor(slots: Slot[], host: string, path: string): Slot | undefined {
  return slots
    .filter((s) => (s.host === '*' || s.host === host || s.host.split(',').includes(host)) && path.startsWith(s.path))
    .sort((a, b) => b.path.length - a.path.length)[0];
}

export function previewMatches(p: PreviewRule, headers: Record<string, string>): boolean {
  if (p.cookie !== undefined) return (headers['cookie'] ?? '').split(';').some((c) => c.trim() === `${p.cookie}=always`);
  const v = headers[p.header!.name.toLowerCase()];
  if (v === undefined) return false;
  return p.header!.value !== undefined ? v === p.header!.value : new RegExp(p.header!.pattern ?? '').test(v);
}

/** The version label the pods a Service selects carry, when they agree on one. */
export function serviceVersion(svc: Service | undefined, pods: Pod[]): string | undefined {
  const selector = Object.entries(svc?.spec?.selector ?? {});
  if (!selector.length) return undefined;
  const versions = new Set(
    pods
      .filter((p) => !p.metadata?.deletionTimestamp && selector.every(([k, v]) => p.metadata?.labels?.[k] === v))
      .map((p) => p.metadata?.labels?.['version'] ?? p.metadata?.labels?.['app.kubernetes.io/version']),
  );
  return versions.size === 1 ? [...versions][0] : undefined;
}

export function expectedShares(slot: Slot, headers: Record<string, string>, services: Service[], pods: Pod[]): ExpectedShare[] {
  const version = (name: string) =>
    serviceVersion(
      services.find((s) => s.metadata?.name === name),
      pods,
    );
  if (slot.preview && previewMatches(slot.preview, headers)) return [{ service: slot.preview.service, percent: 100, version: version(slot.preview.service) }];
  return slot.backends.map((b) => ({ service: b.service, percent: b.percent, version: version(b.service) }));
}

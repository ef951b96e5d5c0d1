// What `kubectl bluegreen status` shows, as a view model built before anything is printed: for each
// object, its provider, and per host/path the backends with their share and ready endpoints, the
// preview, warnings, and errors (a backend given traffic without a ready endpoint). Pure.
import { readState } from '../../shared/kube/ownership.js';
import type { KubeObject } from '../../shared/kube/object.js';
import { detectProvider, type IngressClassLike } from './detect.js';
import { slotKey, type IngressLike, type PreviewRule } from './model.js';
import { readyCounts } from './observe.js';
import { isCanary } from './providers/canary-ingress.js';
import { pathGroups } from './ingress-rules.js';
import { RELEASED } from './operations.js';
import type { EndpointSlice, Service } from '../../shared/kube/types.js';

export interface BackendView {
  service: string;
  percent: number;
  ready: number;
}

export interface SlotView {
  host: string;
  path: string;
  backends: BackendView[];
  preview?: (PreviewRule & { ready: number }) | undefined;
}

export interface BlueGreenView {
  namespace: string;
  kind: string;
  name: string;
  provider: string;
  slots: SlotView[];
  warnings: string[];
  errors: string[];
}

export interface StatusInput {
  targets: KubeObject[];
  ingresses: IngressLike[];
  services: Service[];
  slices: EndpointSlice[];
  classes: IngressClassLike[];
  provider?: string | undefined;
}

/** One view per object; `all` keeps objects that have no blue-green in progress (a single backend). */
export function blueGreenViews(input: StatusInput, all: boolean): BlueGreenView[] {
  const views: BlueGreenView[] = [];
  const canary = (i: IngressLike) => isCanary(i, 'nginx') || isCanary(i, 'alb');
  const byNamespace = <T extends KubeObject>(xs: T[]) => {
    const m = new Map<string, T[]>();
    for (const x of xs) {
      const ns = x.metadata?.namespace ?? '';
      const list = m.get(ns);
      if (list) list.push(x);
      else m.set(ns, [x]);
    }
    return m;
  };
  // Canary Ingresses by namespace and host/path: a target is shown only those of its own slots (the only
  // ones detection and the providers use), not every canary Ingress of its namespace.
  const slot = (namespace: string, g: { host: string; path: string }) => `${namespace} ${slotKey(g)}`;
  const companions = new Map<string, IngressLike[]>();
  const order = new Map<IngressLike, number>();
  for (const c of input.ingresses.filter(canary)) {
    order.set(c, order.size);
    for (const g of pathGroups(c)) {
      const key = slot(c.metadata?.namespace ?? '', g);
      const list = companions.get(key);
      if (list) list.push(c);
      else companions.set(key, [c]);
    }
  }
  const services = byNamespace(input.services);
  const counts = readyCounts(input.slices);
  for (const target of input.targets) {
    const namespace = target.metadata?.namespace ?? '';
    if (target.kind === 'Ingress' && canary(target as IngressLike)) continue;
    const mine = new Set(target.kind === 'Ingress' ? pathGroups(target as IngressLike).flatMap((g) => companions.get(slot(namespace, g)) ?? []) : []);
    const ingresses = [...mine].sort((a, b) => order.get(a)! - order.get(b)!);
    let provider;
    try {
      provider = detectProvider(target, { ingresses, classes: input.classes, explicit: input.provider });
    } catch (err) {
      if (!all) continue;
      throw err;
    }
    const read = provider.read({ namespace, target, ingresses, services: services.get(namespace) ?? [] });
    const ready = (service: string) => counts.get(`${namespace}/${service}`) ?? 0;
    const slots: SlotView[] = read.slots.map((s) => ({
      host: s.host,
      path: s.path,
      backends: s.backends.map((b) => ({ service: b.service, percent: b.percent, ready: ready(b.service) })),
      ...(s.preview ? { preview: { ...s.preview, ready: ready(s.preview.service) } } : {}),
    }));
    const inProgress =
      slots.some((s) => s.backends.length > 1 || s.preview) || Object.keys(readState(target)).some((k) => k.startsWith('bluegreen.') && k !== RELEASED);
    if (!all && !inProgress) continue;
    const errors: string[] = [];
    const warnings = [...(provider.notice ? [provider.notice] : []), ...read.warnings];
    for (const s of slots) {
      for (const b of s.backends)
        if (b.percent > 0 && b.ready === 0) errors.push(`service "${b.service}" gets ${b.percent}% of ${s.host}${s.path} but has no ready endpoints`);
      if (s.preview && s.preview.ready === 0)
        warnings.push(`the preview of ${s.host}${s.path} goes to service "${s.preview.service}", which has no ready endpoints`);
    }
    views.push({ namespace, kind: target.kind ?? '', name: target.metadata?.name ?? '', provider: provider.name, slots, warnings, errors });
  }
  return views;
}

export function previewText(p: PreviewRule): string {
  if (p.cookie !== undefined) return `cookie ${p.cookie}=always`;
  return `header ${p.header!.name}${p.header!.value !== undefined ? `=${p.header!.value}` : `~${p.header!.pattern}`}`;
}

/** At most this many objects are named on one warning line; the rest are counted. */
const NAMED = 3;

/**
 * Warnings as a person reads them: one line per text, naming the objects it concerns. A provider's
 * notice is the same for each of its objects: 2,000 aliyun Ingresses make one line, not 2,000.
 */
export function warningLines(views: BlueGreenView[]): string[] {
  const byText = new Map<string, string[]>();
  for (const v of views)
    for (const w of v.warnings) {
      const names = byText.get(w);
      const name = `${v.kind.toLowerCase()}/${v.name}`;
      if (names) names.push(name);
      else byText.set(w, [name]);
    }
  return [...byText].map(([w, names]) => {
    const named = names.length > NAMED + 1 ? `${names.slice(0, NAMED).join(', ')} and ${names.length - NAMED} more` : names.join(', ');
    return `${named}: ${w}`;
  });
}

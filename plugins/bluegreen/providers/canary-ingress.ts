// Canary Ingresses (ingress-nginx, and Alibaba's ALB Ingress in the same shape): the main Ingress
// keeps the old Service; a companion Ingress for the same host and path, marked `<prefix>canary:
// "true"`, points at the new one with `canary-weight` (ingress-nginx also `canary-weight-total`)
// and/or `canary-by-header[-value|-pattern]` / `canary-by-cookie`. ingress-nginx takes one canary
// Ingress per rule, so weight and preview share it; ALB cannot put header and weight on one Ingress,
// so it gets one companion for each.
import { isDeepStrictEqual } from 'node:util';
import { CliError, UsageError } from '../../../shared/errors.js';
import { MANAGED_BY, managerName, stateAnnotations } from '../../../shared/kube/ownership.js';
import type { Change } from '../../../shared/kube/plan.js';
import {
  toPercents,
  slotKey,
  type IngressLike,
  type Observed,
  type PreviewRule,
  type Provider,
  type ReadResult,
  type ServicePort,
  type Slot,
} from '../model.js';
import { ingressPath, pathGroups, rewriteRules, type PathGroup } from '../ingress-rules.js';

export type CanaryFlavor = 'nginx' | 'alb';

export const CANARY_PREFIX: Record<CanaryFlavor, string> = { nginx: 'nginx.ingress.kubernetes.io/', alb: 'alb.ingress.kubernetes.io/' };
const KEYS = [
  'canary',
  'canary-weight',
  'canary-weight-total',
  'canary-by-header',
  'canary-by-header-value',
  'canary-by-header-pattern',
  'canary-by-cookie',
] as const;
type Key = (typeof KEYS)[number];

export const isCanary = (ing: IngressLike, flavor: CanaryFlavor): boolean => ing.metadata?.annotations?.[`${CANARY_PREFIX[flavor]}canary`] === 'true';

interface Companion {
  ing: IngressLike;
  service: string;
  port?: ServicePort | undefined;
  /** Percent of the rule's traffic, when the companion has a weight. */
  percent?: number | undefined;
  preview?: PreviewRule | undefined;
}

function companionOf(ing: IngressLike, flavor: CanaryFlavor, g: { host: string; path: string }): Companion | undefined {
  const e = pathGroups(ing).find((x) => x.host === g.host && x.path === g.path)?.entries[0];
  if (!e) return undefined;
  const a = (k: Key) => ing.metadata?.annotations?.[`${CANARY_PREFIX[flavor]}${k}`];
  const weight = a('canary-weight');
  let percent: number | undefined;
  if (weight !== undefined && /^\d+$/.test(weight.trim())) {
    const total = /^\d+$/.test(a('canary-weight-total') ?? '') ? Number(a('canary-weight-total')) : 100;
    percent = toPercents([Math.min(Number(weight), total), Math.max(total - Number(weight), 0)])[0];
  }
  const header = a('canary-by-header');
  const cookie = a('canary-by-cookie');
  const preview: PreviewRule | undefined = header
    ? {
        service: e.service,
        header: {
          name: header,
          ...(a('canary-by-header-value') ? { value: a('canary-by-header-value') } : {}),
          ...(a('canary-by-header-pattern') ? { pattern: a('canary-by-header-pattern') } : {}),
        },
      }
    : cookie
      ? { service: e.service, cookie }
      : undefined;
  return { ing, service: e.service, port: e.port, percent, preview };
}

function companionsFor(o: Observed, flavor: CanaryFlavor, g: { host: string; path: string }): Companion[] {
  return o.ingresses
    .filter((i) => i.metadata?.name !== o.target.metadata?.name && isCanary(i, flavor))
    .map((i) => companionOf(i, flavor, g))
    .filter((c): c is Companion => c !== undefined);
}

export function canaryIngressProvider(flavor: CanaryFlavor): Provider {
  const prefix = CANARY_PREFIX[flavor];
  const controller = flavor === 'nginx' ? 'ingress-nginx' : 'the ALB Ingress controller';
  return {
    name: flavor,
    previews: ['header', 'cookie'],
    ...(flavor === 'nginx'
      ? {
          notice:
            'ingress-nginx was retired in March 2026 and gets no more releases or security fixes; plan the move to Gateway API (--provider gateway) or Istio (--provider istio)',
        }
      : {}),

    read(o: Observed): ReadResult {
      const main = o.target as IngressLike;
      if (isCanary(main, flavor))
        throw new UsageError(`ingress "${main.metadata?.name}" is itself a canary Ingress; name the main Ingress of the host instead`);
      const warnings: string[] = [];
      let newService: string | undefined;
      const slots = pathGroups(main).map((g): Slot => {
        const primary = g.entries[0];
        if (g.entries.length > 1)
          warnings.push(`${slotKey(g)} lists ${g.entries.length} Services; ${controller} sends its traffic to the first, ${primary?.service}`);
        const comps = companionsFor(o, flavor, g);
        const weighted = comps.filter((c) => c.percent !== undefined);
        const previews = comps.filter((c) => c.preview);
        if (flavor === 'nginx' && comps.length > 1) {
          warnings.push(
            `${comps.length} canary Ingresses (${comps.map((c) => c.ing.metadata?.name).join(', ')}) route ${slotKey(g)}, but ingress-nginx uses only one canary Ingress per rule`,
          );
        }
        const w = weighted[0];
        newService ??= w?.service ?? previews[0]?.service;
        const backends = primary ? [{ service: primary.service, percent: 100 - (w?.percent ?? 0), port: primary.port }] : [];
        if (w && w.service !== primary?.service) backends.push({ service: w.service, percent: w.percent!, port: w.port });
        return { host: g.host, path: g.path, backends, ...(previews[0]?.preview ? { preview: previews[0].preview } : {}) };
      });
      return { slots, warnings, newService };
    },

    write(o: Observed, desired: Slot[], state: Record<string, string | null>): Change[] {
      const main = o.target as IngressLike;
      const name = main.metadata?.name ?? '';
      const groups = pathGroups(main);
      const changes: Change[] = [];
      const primaries = new Map<string, { service: string; port?: ServicePort | undefined }[]>();
      const wanted: {
        role: 'weight' | 'preview';
        group: PathGroup;
        index: number;
        service: string;
        port?: ServicePort | undefined;
        annotations: Partial<Record<Key, string>>;
      }[] = [];
      for (const s of desired) {
        const index = groups.findIndex((g) => slotKey(g) === slotKey(s));
        const g = groups[index];
        // Several canary Ingresses for one rule: which one the controller uses is not ours to guess.
        const comps = companionsFor(o, flavor, g);
        const extra =
          flavor === 'nginx' ? comps.length > 1 : comps.filter((c) => c.percent !== undefined).length > 1 || comps.filter((c) => c.preview).length > 1;
        if (extra) {
          throw new CliError(
            `${comps.map((c) => `ingress/${c.ing.metadata?.name}`).join(', ')} are all canary Ingresses of ${slotKey(g)}; ${flavor === 'nginx' ? 'ingress-nginx uses one per rule' : 'ALB takes one for weight and one for header or cookie'}: delete the extra ones first`,
          );
        }
        const current = g.entries[0]?.service;
        const primary = s.backends.find((b) => b.service === current) ?? s.backends[0];
        if (!primary) throw new CliError(`${slotKey(s)} would have no backend`);
        primaries.set(slotKey(s), [primary]);
        const others = s.backends.filter((b) => b !== primary);
        if (others.length > 1)
          throw new CliError(
            `${controller} splits ${slotKey(s)} between its Ingress and one canary Ingress: two Services at most, not ${s.backends.map((b) => b.service).join(', ')}`,
          );
        const other = others[0];
        const weight: Partial<Record<Key, string>> = other
          ? { 'canary-weight': String(other.percent), ...(flavor === 'nginx' ? { 'canary-weight-total': '100' } : {}) }
          : {};
        const p = s.preview;
        const match: Partial<Record<Key, string>> = !p
          ? {}
          : p.cookie !== undefined
            ? { 'canary-by-cookie': p.cookie }
            : {
                'canary-by-header': p.header!.name,
                ...(p.header!.value !== undefined ? { 'canary-by-header-value': p.header!.value } : {}),
                ...(p.header!.pattern !== undefined ? { 'canary-by-header-pattern': p.header!.pattern } : {}),
              };
        if (flavor === 'alb' && p?.header?.pattern !== undefined)
          throw new UsageError('ALB canary Ingresses match a header by exact value only; use --header K=V');
        if (p && primary.service === p.service)
          throw new CliError(`${slotKey(s)} already sends its traffic to "${p.service}"; a preview routes to a Service other than the main one`);
        if (flavor === 'nginx') {
          // One canary Ingress per rule: weight and preview on the same one, so the same Service.
          if (other && p && other.service !== p.service)
            throw new CliError(
              `ingress-nginx takes one canary Ingress per rule, so the preview and the weighted backend of ${slotKey(s)} must be the same Service (${other.service} is weighted, the preview asks for ${p.service})`,
            );
          const svc = other ?? (p ? { service: p.service, port: s.backends.find((b) => b.service === p.service)?.port ?? primary.port } : undefined);
          if (svc) wanted.push({ role: 'weight', group: g, index, service: svc.service, port: svc.port, annotations: { ...weight, ...match } });
        } else {
          if (other) wanted.push({ role: 'weight', group: g, index, service: other.service, port: other.port, annotations: weight });
          if (p)
            wanted.push({
              role: 'preview',
              group: g,
              index,
              service: p.service,
              port: s.backends.find((b) => b.service === p.service)?.port ?? primary.port,
              annotations: match,
            });
        }
      }
      // Companions: reuse the one that plays the role, create the missing, delete the unwanted.
      const kept = new Set<string>();
      for (const w of wanted) {
        const comps = companionsFor(o, flavor, w.group).filter((c) => !kept.has(c.ing.metadata?.name ?? ''));
        const existing =
          (w.role === 'weight' ? comps.find((c) => c.percent !== undefined) : comps.find((c) => c.preview)) ??
          comps.find((c) => c.percent === undefined && !c.preview) ??
          (flavor === 'nginx' ? comps[0] : undefined);
        const annotations: Record<string, string> = { [`${prefix}canary`]: 'true' };
        for (const [k, v] of Object.entries(w.annotations)) annotations[`${prefix}${k}`] = v;
        const rules = [
          { host: w.group.host === '*' ? undefined : w.group.host, http: { paths: [ingressPath(w.group.path, w.group.pathType, w.service, w.port)] } },
        ].map((r) => (r.host === undefined ? { http: r.http } : r));
        if (existing) {
          const cname = existing.ing.metadata?.name ?? '';
          kept.add(cname);
          const had = existing.ing.metadata?.annotations ?? {};
          const delta: Record<string, string | null> = {};
          for (const k of KEYS) {
            const key = `${prefix}${k}`;
            if (annotations[key] !== undefined && had[key] !== annotations[key]) delta[key] = annotations[key]!;
            if (annotations[key] === undefined && had[key] !== undefined) delta[key] = null;
          }
          const sameBackend = existing.service === w.service && isDeepStrictEqual(existing.port ?? {}, w.port ?? {});
          if (Object.keys(delta).length || !sameBackend) {
            const ref = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: cname, namespace: o.namespace };
            changes.push({
              action: 'patch',
              ref,
              patch: { metadata: { resourceVersion: existing.ing.metadata?.resourceVersion, annotations: delta }, ...(sameBackend ? {} : { spec: { rules } }) },
              verb: 'configured',
            });
          }
        } else {
          const cname = `${name}-${w.role === 'weight' ? 'canary' : 'preview'}${w.index ? `-${w.index}` : ''}`;
          kept.add(cname);
          changes.push({
            action: 'create',
            object: {
              apiVersion: 'networking.k8s.io/v1',
              kind: 'Ingress',
              metadata: { name: cname, namespace: o.namespace, labels: { [MANAGED_BY]: managerName('bluegreen') }, annotations },
              spec: { ...(main.spec?.ingressClassName ? { ingressClassName: main.spec.ingressClassName } : {}), rules },
            },
            undo: `kubectl delete ingress ${cname} -n ${o.namespace}`,
          });
        }
      }
      for (const s of desired) {
        for (const c of companionsFor(o, flavor, s)) {
          const cname = c.ing.metadata?.name ?? '';
          if (kept.has(cname)) continue;
          kept.add(cname);
          changes.push({ action: 'delete', ref: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: cname, namespace: o.namespace } });
        }
      }
      const rules = rewriteRules(main, primaries);
      const rulesChanged = !isDeepStrictEqual(rules, main.spec?.rules ?? []);
      if (rulesChanged || Object.keys(state).length) {
        const ref = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name, namespace: o.namespace };
        const patch = {
          metadata: { resourceVersion: main.metadata?.resourceVersion, ...stateAnnotations(state).metadata },
          ...(rulesChanged ? { spec: { rules } } : {}),
        };
        // The main Ingress first when its backend changes (finalize: all traffic to the new Service before the canary Ingress goes).
        const step: Change = { action: 'patch', ref, patch, verb: 'configured' };
        if (rulesChanged) changes.unshift(step);
        else changes.push(step);
      }
      return changes;
    },
  };
}

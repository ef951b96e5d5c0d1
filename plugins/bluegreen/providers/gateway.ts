// Gateway API: an HTTPRoute's rule for a path splits between its backendRefs by weight (proportional,
// default 1); we write weights that add up to 100 so they read as percentages. A preview is a rule of
// its own for the same path, named bluegreen-preview..., with a header match (a Cookie regex for
// --cookie), which Gateway API ranks above the plain rule. Other header rules are left as they are.
import { isDeepStrictEqual } from 'node:util';
import { stateAnnotations } from '../../../shared/kube/ownership.js';
import type { KubeObject } from '../../../shared/kube/object.js';
import type { Change } from '../../../shared/kube/plan.js';
import {
  cookieFromRegex,
  cookieRegex,
  isOurPreview,
  portFor,
  previewName,
  slotKey,
  toPercents,
  type Observed,
  type PreviewRule,
  type Provider,
  type ReadResult,
  type Slot,
} from '../model.js';

interface HeaderMatch {
  type?: string;
  name: string;
  value: string;
}
interface RouteMatch {
  path?: { type?: string; value?: string };
  headers?: HeaderMatch[];
  [k: string]: unknown;
}
interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  [k: string]: unknown;
}
interface RouteRule {
  matches?: RouteMatch[];
  backendRefs?: BackendRef[];
  [k: string]: unknown;
}
export interface HTTPRoute extends KubeObject {
  spec?: { hostnames?: string[]; parentRefs?: unknown[]; rules?: RouteRule[]; [k: string]: unknown };
}

const pathOf = (r: RouteRule): string => r.matches?.[0]?.path?.value ?? '/';
const isPlain = (r: RouteRule): boolean => !(r.matches ?? []).some((m) => (m.headers ?? []).length > 0 || m['queryParams'] || m['method']);
const hostOf = (route: HTTPRoute): string => (route.spec?.hostnames ?? []).join(',') || '*';

function previewOf(r: RouteRule): PreviewRule | undefined {
  if (!isOurPreview(r['name'])) return undefined;
  const refs = r.backendRefs ?? [];
  const h = r.matches?.[0]?.headers;
  if (refs.length !== 1 || !h || h.length !== 1 || (r.matches ?? []).length !== 1) return undefined;
  const m = h[0];
  const service = refs[0].name;
  if (m.type === 'RegularExpression') {
    const cookie = m.name.toLowerCase() === 'cookie' ? cookieFromRegex(m.value) : undefined;
    return cookie !== undefined ? { service, cookie } : { service, header: { name: m.name, pattern: m.value } };
  }
  return { service, header: { name: m.name, value: m.value } };
}

export const gatewayProvider: Provider = {
  name: 'gateway',
  previews: ['header', 'cookie'],

  read(o: Observed): ReadResult {
    const route = o.target as HTTPRoute;
    const host = hostOf(route);
    const rules = route.spec?.rules ?? [];
    const warnings: string[] = [];
    const slots: Slot[] = [];
    for (const r of rules.filter(isPlain)) {
      const path = pathOf(r);
      if (slots.some((s) => s.path === path)) {
        warnings.push(`several rules of httproute "${route.metadata?.name}" match path ${path}; only the first is managed`);
        continue;
      }
      const refs = (r.backendRefs ?? []).filter((b) => (b.kind ?? 'Service') === 'Service' && (b.group ?? '') === '');
      const percents = toPercents(refs.map((b) => b.weight ?? 1));
      const previewRule = rules.find((x) => !isPlain(x) && pathOf(x) === path && previewOf(x));
      slots.push({
        host,
        path,
        backends: refs.map((b, i) => ({ service: b.name, percent: percents[i], port: b.port !== undefined ? { number: b.port } : undefined })),
        ...(previewRule ? { preview: previewOf(previewRule) } : {}),
      });
    }
    return { slots, warnings };
  },

  write(o: Observed, desired: Slot[], state: Record<string, string | null>): Change[] {
    const route = o.target as HTTPRoute;
    const bySlot = new Map(desired.map((s) => [slotKey(s), s]));
    const host = hostOf(route);
    const old = route.spec?.rules ?? [];
    const rules: RouteRule[] = [];
    const handled = new Set<string>();
    for (const r of old) {
      const s = bySlot.get(`${host}${pathOf(r)}`);
      if (!s) {
        rules.push(r);
        continue;
      }
      if (!isPlain(r)) {
        if (previewOf(r)) continue; // rewritten beside its plain rule below
        rules.push(r);
        continue;
      }
      if (handled.has(slotKey(s))) {
        rules.push(r);
        continue;
      }
      handled.add(slotKey(s));
      const refs = r.backendRefs ?? [];
      // A lone backend gets no weight (it takes everything); otherwise the percentages.
      const refFor = (service: string, port: number | undefined, weight: number | undefined): BackendRef => {
        const { weight: _had, ...had } = refs.find((b) => b.name === service) ?? { name: service };
        return { ...had, name: service, ...(port !== undefined ? { port } : {}), ...(weight !== undefined ? { weight } : {}) };
      };
      const p = s.preview;
      if (p) {
        const match: RouteMatch = { ...(r.matches?.[0]?.path ? { path: r.matches[0].path } : {}) };
        match.headers = [
          p.cookie !== undefined
            ? { type: 'RegularExpression', name: 'Cookie', value: cookieRegex(p.cookie) }
            : p.header!.pattern !== undefined
              ? { type: 'RegularExpression', name: p.header!.name, value: p.header!.pattern }
              : { type: 'Exact', name: p.header!.name, value: p.header!.value ?? '' },
        ];
        const port = s.backends.find((b) => b.service === p.service)?.port ?? portFor(o.services, p.service, s.backends[0]?.port);
        rules.push({ name: previewName(s.path), matches: [match], backendRefs: [refFor(p.service, port?.number, undefined)] });
      }
      rules.push({ ...r, backendRefs: s.backends.map((b) => refFor(b.service, b.port?.number, s.backends.length > 1 ? b.percent : undefined)) });
    }
    const changed = !isDeepStrictEqual(rules, old);
    if (!changed && Object.keys(state).length === 0) return [];
    const ref = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', name: route.metadata?.name ?? '', namespace: o.namespace };
    const patch = {
      metadata: { resourceVersion: route.metadata?.resourceVersion, ...stateAnnotations(state).metadata },
      ...(changed ? { spec: { rules } } : {}),
    };
    return [{ action: 'patch', ref, patch, verb: 'configured' }];
  },
};

// Istio: a VirtualService bound to a Gateway routes the external host; an http route for a path
// splits between its destinations by weight (percent, adding up to 100). A preview is a route of its
// own, named bluegreen-preview..., placed before the plain one (Istio takes the first match), matching
// a header (the Cookie header by regex for --cookie). Header routes of anyone else are left as they are.
import { isDeepStrictEqual } from 'node:util';
import { stateAnnotations } from '../../../shared/kube/ownership.js';
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
import { serviceOfHost } from '../../../shared/istio/hosts.js';
import type { HttpRoute, RouteDestination, StringMatch, VirtualService } from '../../../shared/istio/types.js';

const pathOf = (r: HttpRoute): string => {
  const u = r.match?.[0]?.uri;
  return u?.prefix ?? u?.exact ?? (u?.regex !== undefined ? `~${u.regex}` : '/');
};
const isPlain = (r: HttpRoute): boolean =>
  !(r.match ?? []).some((m) => Object.keys(m.headers ?? {}).length > 0 || Object.keys(m).some((k) => k !== 'uri' && k !== 'headers' && k !== 'name'));
/** The Service a destination host names, within the VirtualService's namespace. */
const serviceOf = (host: string, ns: string): string => {
  const service = serviceOfHost(host, ns);
  return service?.namespace === ns ? service.name : host;
};

function previewOf(r: HttpRoute, ns: string): PreviewRule | undefined {
  if (!isOurPreview(r['name'])) return undefined;
  const h = Object.entries(r.match?.[0]?.headers ?? {});
  const dest = r.route ?? [];
  if (dest.length !== 1 || h.length !== 1 || (r.match ?? []).length !== 1) return undefined;
  const [name, m] = h[0];
  const service = serviceOf(dest[0].destination?.host ?? '', ns);
  if (m.regex !== undefined) {
    const cookie = name.toLowerCase() === 'cookie' ? cookieFromRegex(m.regex) : undefined;
    return cookie !== undefined ? { service, cookie } : { service, header: { name, pattern: m.regex } };
  }
  if (m.exact !== undefined) return { service, header: { name, value: m.exact } };
  return undefined;
}

export const istioProvider: Provider = {
  name: 'istio',
  previews: ['header', 'cookie'],

  read(o: Observed): ReadResult {
    const vs = o.target as VirtualService;
    const host = (vs.spec?.hosts ?? []).join(',') || '*';
    const http = vs.spec?.http ?? [];
    const warnings: string[] = [];
    if (!(vs.spec?.gateways ?? []).length)
      warnings.push(`virtualservice "${vs.metadata?.name}" is bound to no Gateway, so it routes mesh traffic only, not the ingress`);
    const slots: Slot[] = [];
    for (const r of http.filter(isPlain)) {
      const path = pathOf(r);
      if (slots.some((s) => s.path === path)) continue; // Istio takes the first matching route
      const dest = r.route ?? [];
      const percents = dest.length === 1 && dest[0].weight === undefined ? [100] : toPercents(dest.map((d) => d.weight ?? 0));
      const previewRoute = http.slice(0, http.indexOf(r)).find((x) => !isPlain(x) && pathOf(x) === path && previewOf(x, o.namespace));
      slots.push({
        host,
        path,
        backends: dest.map((d, i) => ({
          service: serviceOf(d.destination?.host ?? '', o.namespace),
          percent: percents[i],
          port: d.destination?.port?.number !== undefined ? { number: d.destination.port.number } : undefined,
        })),
        ...(previewRoute ? { preview: previewOf(previewRoute, o.namespace) } : {}),
      });
    }
    return { slots, warnings };
  },

  write(o: Observed, desired: Slot[], state: Record<string, string | null>): Change[] {
    const vs = o.target as VirtualService;
    const host = (vs.spec?.hosts ?? []).join(',') || '*';
    const bySlot = new Map(desired.map((s) => [slotKey(s), s]));
    const old = vs.spec?.http ?? [];
    const http: HttpRoute[] = [];
    const handled = new Set<string>();
    for (const r of old) {
      const s = bySlot.get(`${host}${pathOf(r)}`);
      if (!s || handled.has(slotKey(s)) || (!isPlain(r) && !previewOf(r, o.namespace))) {
        http.push(r);
        continue;
      }
      if (!isPlain(r)) continue; // a preview route: rewritten before its plain route below
      handled.add(slotKey(s));
      const dests = r.route ?? [];
      const dest = (service: string, port: number | undefined, weight: number | undefined): RouteDestination => {
        const had = dests.find((d) => serviceOf(d.destination?.host ?? '', o.namespace) === service)?.destination;
        return {
          destination: { ...(had ?? {}), host: had?.host ?? service, ...(port !== undefined ? { port: { number: port } } : {}) },
          ...(weight !== undefined ? { weight } : {}),
        };
      };
      const p = s.preview;
      if (p) {
        const headers: Record<string, StringMatch> = {};
        if (p.cookie !== undefined) headers['cookie'] = { regex: cookieRegex(p.cookie) };
        else headers[p.header!.name.toLowerCase()] = p.header!.pattern !== undefined ? { regex: p.header!.pattern } : { exact: p.header!.value ?? '' };
        const uri = r.match?.[0]?.uri;
        const port = s.backends.find((b) => b.service === p.service)?.port ?? portFor(o.services, p.service, s.backends[0]?.port);
        http.push({ name: previewName(s.path), match: [{ ...(uri ? { uri } : {}), headers }], route: [dest(p.service, port?.number, undefined)] });
      }
      const single = s.backends.length === 1;
      http.push({ ...r, route: s.backends.map((b) => dest(b.service, b.port?.number, single ? undefined : b.percent)) });
    }
    const changed = !isDeepStrictEqual(http, old);
    if (!changed && Object.keys(state).length === 0) return [];
    const ref = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', name: vs.metadata?.name ?? '', namespace: o.namespace };
    const patch = { metadata: { resourceVersion: vs.metadata?.resourceVersion, ...stateAnnotations(state).metadata }, ...(changed ? { spec: { http } } : {}) };
    return [{ action: 'patch', ref, patch, verb: 'configured' }];
  },
};

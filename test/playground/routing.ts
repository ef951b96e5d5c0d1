// The playground data plane's routing, pure: given what the cluster holds and a request, which pod
// answers. Services behave as kube-proxy (a random ready endpoint), Ingress rules pick a Service by
// host and path, and a VirtualService routing the host is followed as Envoy would: first matching
// route, weighted destinations, DestinationRule subsets by pod labels.
import { resolveHost } from '../../shared/istio/hosts.js';

export type Labels = Record<string, string>;

export interface ServiceInfo {
  namespace: string;
  name: string;
}

export interface EndpointInfo {
  namespace: string;
  service: string;
  podName: string;
  ip: string;
  /** The slice's first port: where the pod takes the Service's traffic. */
  port?: number;
  ready: boolean;
}

export interface PodInfo {
  namespace: string;
  name: string;
  labels: Labels;
}

export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

export interface VirtualServiceInfo {
  namespace: string;
  name: string;
  hosts: string[];
  http: {
    match?: { headers?: Record<string, StringMatch>; uri?: StringMatch }[];
    route?: { destination: { host: string; subset?: string }; weight?: number }[];
  }[];
}

export interface DestinationRuleInfo {
  namespace: string;
  host: string;
  subsets: { name: string; labels: Labels }[];
}

export interface IngressInfo {
  namespace: string;
  name: string;
  annotations?: Record<string, string>;
  rules: { host?: string; paths: { path: string; pathType: string; service: string }[] }[];
}

export interface HTTPRouteInfo {
  namespace: string;
  name: string;
  hostnames: string[];
  rules: {
    matches: { path?: { type?: string; value?: string }; headers?: { type?: string; name: string; value: string }[] }[];
    backendRefs: { name: string; weight?: number }[];
  }[];
}

export interface Snapshot {
  services: ServiceInfo[];
  endpoints: EndpointInfo[];
  pods: PodInfo[];
  virtualServices: VirtualServiceInfo[];
  destinationRules: DestinationRuleInfo[];
  ingresses: IngressInfo[];
  /** Gateway API routes (absent when the CRDs are not installed). */
  httpRoutes?: HTTPRouteInfo[];
}

export interface Request {
  host: string;
  path: string;
  headers: Record<string, string | undefined>;
}

export type Decision =
  | { status: 200; via: string; service: ServiceInfo; pod: PodInfo; version: string; address: { ip: string; port?: number } }
  | { status: 404 | 503; reason: string };

const SUFFIX = '.svc.cluster.local';

/** A host as Kubernetes DNS would expand it from namespace ns. */
export function fqdn(host: string, ns: string): string {
  const h = host.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  const parts = h.split('.');
  if (parts.length === 1) return `${h}.${ns}${SUFFIX}`;
  if (parts.length === 2) return `${h}${SUFFIX}`;
  if (parts.length === 3 && parts[2] === 'svc') return `${h}.cluster.local`;
  return h;
}

function serviceOf(name: string, s: Snapshot): ServiceInfo | undefined {
  if (!name.endsWith(SUFFIX)) return undefined;
  const [svc, ns] = name.slice(0, -SUFFIX.length).split('.');
  return s.services.find((x) => x.name === svc && x.namespace === ns);
}

export function matches(m: StringMatch, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (m.exact !== undefined) return value === m.exact;
  if (m.prefix !== undefined) return value.startsWith(m.prefix);
  if (m.regex !== undefined) return new RegExp(`^(?:${m.regex})$`).test(value);
  return true;
}

/** The version a pod reports: its version label, else app.kubernetes.io/version, else its name. */
export function versionOf(pod: PodInfo): string {
  return pod.labels['version'] ?? pod.labels['app.kubernetes.io/version'] ?? pod.name;
}

function pickEndpoint(s: Snapshot, svc: ServiceInfo, subset: Labels | undefined, rand: () => number): { pod: PodInfo; e: EndpointInfo } | undefined {
  const candidates = s.endpoints
    .filter((e) => e.ready && e.namespace === svc.namespace && e.service === svc.name)
    .map((e) => ({ e, pod: s.pods.find((p) => p.namespace === e.namespace && p.name === e.podName) }))
    .filter((c): c is { pod: PodInfo; e: EndpointInfo } => c.pod !== undefined && Object.entries(subset ?? {}).every(([k, v]) => c.pod!.labels[k] === v));
  // Several slices can list the same pod (one per port family); count each pod once.
  const unique = [...new Map(candidates.map((c) => [c.pod.name, c])).values()];
  return unique.length ? unique[Math.floor(rand() * unique.length)] : undefined;
}

function routeService(s: Snapshot, svc: ServiceInfo, via: string, subset: Labels | undefined, rand: () => number): Decision {
  const picked = pickEndpoint(s, svc, subset, rand);
  if (!picked) return { status: 503, reason: `no healthy upstream for ${svc.namespace}/${svc.name}${subset ? ` subset ${JSON.stringify(subset)}` : ''}` };
  const { pod, e } = picked;
  return { status: 200, via, service: svc, pod, version: versionOf(pod), address: { ip: e.ip, port: e.port } };
}

function viaVirtualService(s: Snapshot, vs: VirtualServiceInfo, req: Request, rand: () => number): Decision {
  for (const route of vs.http) {
    const ok =
      !route.match?.length ||
      route.match.some(
        (m) => Object.entries(m.headers ?? {}).every(([k, sm]) => matches(sm, req.headers[k.toLowerCase()])) && (!m.uri || matches(m.uri, req.path)),
      );
    if (!ok || !route.route?.length) continue;
    const total = route.route.reduce((a, d) => a + (d.weight ?? (route.route!.length === 1 ? 100 : 0)), 0);
    let r = rand() * total;
    const dest = route.route.find((d) => (r -= d.weight ?? (route.route!.length === 1 ? 100 : 0)) < 0) ?? route.route[route.route.length - 1];
    // Destination and DestinationRule hosts as istiod reads them (not as DNS would search them).
    const target = resolveHost(dest.destination.host, vs.namespace);
    const svc = serviceOf(target, s);
    if (!svc) return { status: 503, reason: `virtualservice ${vs.namespace}/${vs.name} routes to unknown host ${dest.destination.host}` };
    let labels: Labels | undefined;
    if (dest.destination.subset) {
      const dr = s.destinationRules.find((d) => resolveHost(d.host, d.namespace) === target);
      const subset = dr?.subsets.find((x) => x.name === dest.destination.subset);
      if (!subset) return { status: 503, reason: `subset ${dest.destination.subset} of ${target} is not defined by any DestinationRule` };
      labels = subset.labels;
    }
    return routeService(s, svc, `virtualservice/${vs.name}`, labels, rand);
  }
  return { status: 404, reason: `no route of virtualservice ${vs.namespace}/${vs.name} matches` };
}

export function route(s: Snapshot, req: Request, rand: () => number = Math.random): Decision {
  const host = req.host.toLowerCase().replace(/:\d+$/, '');
  // 1. Ingress rules for external hosts (longest matching path wins, as controllers do).
  const ingressPaths = s.ingresses.flatMap((ing) => ing.rules.filter((r) => r.host === host).flatMap((r) => r.paths.map((p) => ({ ing, p }))));
  const matching = ingressPaths.filter(({ p }) => (p.pathType === 'Exact' ? req.path === p.path : req.path.startsWith(p.path)));
  const hit = matching.filter(({ ing }) => !canaryPrefix(ing)).sort((a, b) => b.p.path.length - a.p.path.length)[0];
  if (hit) {
    // The main Ingress's backends for the path (several: Alibaba's weights), then a canary Ingress for the same host and path.
    const listed = matching.filter(({ ing, p }) => ing === hit.ing && p.path === hit.p.path).map(({ p }) => p.service);
    let chosen = { ing: hit.ing, service: weightedService(hit.ing, listed, rand) };
    const canary = matching.find(({ ing, p }) => canaryPrefix(ing) && p.path === hit.p.path && ing.namespace === hit.ing.namespace);
    if (canary && canaryTakes(canary.ing, req, rand)) chosen = { ing: canary.ing, service: canary.p.service };
    const svc = s.services.find((x) => x.namespace === chosen.ing.namespace && x.name === chosen.service);
    if (!svc) return { status: 503, reason: `ingress ${chosen.ing.namespace}/${chosen.ing.name} routes to missing service ${chosen.service}` };
    return routeService(s, svc, `ingress/${chosen.ing.name}`, undefined, rand);
  }
  // 2. An HTTPRoute for the host, 3. a VirtualService for the host, 4. the Service itself.
  const hr = viaHTTPRoute(s, host, req, rand);
  if (hr) return hr;
  const target = fqdn(host, 'default');
  const vs = s.virtualServices.find((v) => v.hosts.some((h) => fqdn(h, v.namespace) === target));
  if (vs) return viaVirtualService(s, vs, req, rand);
  const svc = serviceOf(target, s);
  if (svc) return routeService(s, svc, `service/${svc.name}`, undefined, rand);
  return { status: 404, reason: `no ingress rule, virtualservice or service for host ${host}` };
}

// Ingress splits as the controllers do them. Alibaba: several Services under one path, weighted by
// ingress.aliyun.weight/<service> (unannotated ones share the rest) or service-weight ("a: 20, b: 80",
// relative). ingress-nginx and ALB: a canary Ingress for the same host and path, tried by header,
// then cookie, then weight.
const CANARY_PREFIXES = ['nginx.ingress.kubernetes.io/', 'alb.ingress.kubernetes.io/'];

export function canaryPrefix(ing: IngressInfo): string | undefined {
  return CANARY_PREFIXES.find((p) => ing.annotations?.[`${p}canary`] === 'true');
}

export function weightedService(ing: IngressInfo, services: string[], rand: () => number): string {
  if (services.length <= 1) return services[0] ?? '';
  const a = ing.annotations ?? {};
  const relative = a['nginx.ingress.kubernetes.io/service-weight'];
  let weights: number[];
  if (relative !== undefined) {
    const table = new Map(
      relative
        .split(/[,\n]/)
        .map((part) => part.split(':').map((x) => x.trim()))
        .filter((kv) => kv.length === 2)
        .map(([k, v]) => [k, Number(v)]),
    );
    weights = services.map((x) => table.get(x) ?? 0);
  } else {
    const given = services.map((x) => a[`ingress.aliyun.weight/${x}`]);
    const sum = given.reduce((t, g) => t + (g !== undefined ? Number(g) : 0), 0);
    const free = given.filter((g) => g === undefined).length;
    weights = given.map((g) => (g !== undefined ? Number(g) : free ? Math.max(0, 100 - sum) / free : 0));
  }
  const total = weights.reduce((t, w) => t + w, 0);
  if (total <= 0) return services[0];
  let r = rand() * total;
  return services.find((_, i) => (r -= weights[i]) < 0) ?? services[services.length - 1];
}

export function canaryTakes(ing: IngressInfo, req: Request, rand: () => number): boolean {
  const prefix = canaryPrefix(ing)!;
  const a = (k: string) => ing.annotations?.[`${prefix}${k}`];
  const header = a('canary-by-header');
  if (header) {
    const v = req.headers[header.toLowerCase()];
    const value = a('canary-by-header-value');
    const pattern = a('canary-by-header-pattern');
    if (value !== undefined ? v === value : pattern !== undefined ? v !== undefined && new RegExp(pattern).test(v) : v === 'always') return true;
    if (v === 'never') return false;
  }
  const cookie = a('canary-by-cookie');
  if (cookie) {
    const jar = new Map((req.headers['cookie'] ?? '').split(';').map((c) => c.trim().split('=') as [string, string]));
    if (jar.get(cookie) === 'always') return true;
    if (jar.get(cookie) === 'never') return false;
  }
  const weight = a('canary-weight');
  if (weight === undefined) return false;
  return rand() * Number(a('canary-weight-total') ?? 100) < Number(weight);
}

// Gateway API: among the rules of the routes for the host, the most specific match wins (an Exact
// path, then the longest prefix, then the most header matches); its backendRefs split by weight
// (default 1).
function viaHTTPRoute(s: Snapshot, host: string, req: Request, rand: () => number): Decision | undefined {
  const candidates = (s.httpRoutes ?? [])
    .filter((r) => r.hostnames.length === 0 || r.hostnames.includes(host))
    .flatMap((r) => r.rules.flatMap((rule) => (rule.matches.length ? rule.matches : [{}]).map((m) => ({ r, rule, m }))))
    .filter(({ m }) => {
      const type = m.path?.type ?? 'PathPrefix';
      const value = m.path?.value ?? '/';
      const pathOk =
        type === 'Exact' ? req.path === value : type === 'RegularExpression' ? new RegExp(`^(?:${value})$`).test(req.path) : req.path.startsWith(value);
      const headersOk = (m.headers ?? []).every((h) => {
        const v = req.headers[h.name.toLowerCase()];
        return v !== undefined && (h.type === 'RegularExpression' ? new RegExp(h.value).test(v) : v === h.value);
      });
      return pathOk && headersOk;
    })
    .sort(
      (a, b) =>
        Number(b.m.path?.type === 'Exact') - Number(a.m.path?.type === 'Exact') ||
        (b.m.path?.value ?? '/').length - (a.m.path?.value ?? '/').length ||
        (b.m.headers?.length ?? 0) - (a.m.headers?.length ?? 0),
    );
  const hit = candidates[0];
  if (!hit) return undefined;
  const refs = hit.rule.backendRefs;
  const total = refs.reduce((t, b) => t + (b.weight ?? 1), 0);
  if (total <= 0) return { status: 503, reason: `httproute ${hit.r.namespace}/${hit.r.name}: every backend has weight 0` };
  let x = rand() * total;
  const ref = refs.find((b) => (x -= b.weight ?? 1) < 0) ?? refs[refs.length - 1];
  const svc = s.services.find((v) => v.namespace === hit.r.namespace && v.name === ref.name);
  if (!svc) return { status: 503, reason: `httproute ${hit.r.namespace}/${hit.r.name} routes to missing service ${ref.name}` };
  return routeService(s, svc, `httproute/${hit.r.name}`, undefined, rand);
}

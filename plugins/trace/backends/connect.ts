// Reaching the backend: through the API server's service proxy by default (no port-forward; any
// kubeconfig allowed to `get services/proxy` works), or at --url with --header. The Service is found
// in the Istio namespace unless --backend names it; the base path (Jaeger's addon serves under
// /jaeger) is found by the first request, without an extra round trip when the first guess is right.
import type { CommandContext } from '../../../shared/context.js';
import { KubeApiError } from '../../../shared/errors.js';
import type { Kube } from '../../../shared/kube/client.js';
import type { KubeObject } from '../../../shared/kube/object.js';
import { BackendError, type Backend, type BackendType, type Fetch } from './backend.js';
import { candidateFor, describeCandidate, detectCandidates, distinctBackends, type Candidate } from './detect.js';
import { urlClient } from './http.js';
import { JaegerBackend } from './jaeger.js';
import { ZipkinBackend } from './zipkin.js';
import type { Service } from '../../../shared/kube/types.js';

export interface BackendOptions {
  url?: URL | undefined;
  headers: Record<string, string>;
  insecure: boolean;
  /** --backend, parsed. */
  backend?: { namespace: string; service: string; port?: string } | undefined;
  /** --backend-type: skip guessing what answers. */
  type?: BackendType | undefined;
  istioNamespace: string;
  timeoutMs: number;
}

interface Raw {
  status: number;
  body: string;
}

type RawGet = (path: string, query: Record<string, string>) => Promise<Raw>;

interface ApiStatus {
  kind: 'Status';
  code?: number;
  reason?: string;
  message?: string;
}

function apiStatus(body: string): ApiStatus | undefined {
  if (!body.startsWith('{') || !body.includes('"Status"')) return undefined;
  try {
    const s = JSON.parse(body) as { kind?: string };
    return s.kind === 'Status' ? (s as ApiStatus) : undefined;
  } catch {
    return undefined;
  }
}

const isJson = (body: string) => /^\s*[{[]/.test(body);
const wrongBase = (r: Raw) => (r.status === 404 && !isJson(r.body)) || (r.status >= 200 && r.status < 300 && /^\s*</.test(r.body));

const firstLine = (body: string) => body.trim().split('\n')[0].slice(0, 200);

/** What the API server said when proxying failed, as one line a person can act on. */
function proxyError(kube: Kube, c: Candidate, st: ApiStatus, status: number): BackendError {
  const svc = `${c.namespace}/${c.service}`;
  const where = `(context "${kube.config.contextName}")`;
  if (status === 403) {
    return new BackendError(
      `forbidden: ${st.message ?? `cannot get services/proxy for ${svc}`} ${where}; reading traces through the API server needs RBAC permission to get services/proxy ` +
        `(kubectl create role trace-reader -n ${c.namespace} --verb=get --resource=services/proxy --resource-name=${c.service}:${c.port}; RBAC names the Service and port), or read through a port-forward with --url`,
      'forbidden',
    );
  }
  if (status === 401)
    return new BackendError(`unauthorized: the cluster rejected the credentials of user "${kube.config.userName}" ${where}; refresh them`, 'forbidden');
  if (status === 404 && st.reason === 'NotFound')
    return new BackendError(`service ${svc} not found ${where}; name the tracing Service with --backend NAMESPACE/SERVICE:PORT`, 'unreachable');
  if (status === 503 || status === 502) {
    return new BackendError(
      `the API server could not reach ${describeCandidate(c)}: ${st.message ?? status}; is its pod running and ready? (kubectl get endpointslices -n ${c.namespace} -l kubernetes.io/service-name=${c.service})`,
      'unreachable',
    );
  }
  return new BackendError(`the API server answered ${status} when proxying to ${svc}: ${st.message ?? ''} ${where}`.trim(), 'backend');
}

/** A Fetch over raw GETs that tries the candidate's base paths on the first request and keeps the one that answers. */
function resolvingFetch(c: Candidate, raw: RawGet, mapStatus: (st: ApiStatus, status: number) => BackendError | undefined, onBase: (b: string) => void): Fetch {
  let base: string | undefined = c.basePaths.length === 1 ? c.basePaths[0] : undefined;
  return async (path, query = {}, accept = []) => {
    const bases = base !== undefined ? [base] : c.basePaths;
    let last: Raw | undefined;
    for (const b of bases) {
      const r = await raw(`${b}${path}`, query);
      const st = r.status >= 400 ? apiStatus(r.body) : undefined;
      const mapped = st ? mapStatus(st, r.status) : undefined;
      if (mapped) throw mapped;
      last = r;
      // Not an answer of the API at this base path: a 404 page, or Jaeger UI's HTML (it serves its page for any unknown path).
      if (base === undefined && wrongBase(r)) continue;
      if (base === undefined) onBase((base = b));
      if (r.status >= 200 && r.status < 300) return r;
      if (accept.includes(r.status)) return r;
      throw new BackendError(`${describeCandidate(c, b)} answered ${r.status} to GET ${b}${path}: ${firstLine(r.body) || '(empty body)'}`);
    }
    if (c.writeOnly || (last?.status === 404 && c.port === '9411')) throw writeOnlyError(c);
    throw new BackendError(
      `no ${c.type === 'zipkin' ? 'Zipkin' : c.type === 'jaeger' ? 'Jaeger' : 'Jaeger or Zipkin'} query API answered at ${describeCandidate(c)} (tried base path${c.basePaths.length > 1 ? 's' : ''} ${c.basePaths.map((b) => b || '/').join(', ')}); is it the query Service?`,
    );
  };
}

export function writeOnlyError(c: Candidate, better?: Candidate): BackendError {
  return new BackendError(
    `${c.namespace ? `${c.namespace}/${c.service}:${c.port}` : c.service} only receives spans: it is a span receiver (in Istio's Jaeger addon, Jaeger's Zipkin receiver), which has no query API; read from ${better ? `${better.namespace}/${better.service}:${better.port}` : "Jaeger's query Service (tracing in Istio's addon)"} instead${better ? ' (the default when --backend is not given)' : ''}`,
    'write-only',
  );
}

function make(c: Candidate, fetch: Fetch, where: () => string): Backend {
  const type = c.type ?? 'jaeger';
  return type === 'zipkin' ? new ZipkinBackend(fetch, where) : new JaegerBackend(fetch, where);
}

/** An unknown Service: ask Jaeger's and then Zipkin's service list, and keep whichever answers. */
async function guessType(c: Candidate, raw: RawGet, mapStatus: (st: ApiStatus, status: number) => BackendError | undefined): Promise<Candidate> {
  let receiverLike = false;
  for (const [type, base, path] of [
    ['jaeger', '', '/api/services'],
    ['jaeger', '/jaeger', '/api/services'],
    ['zipkin', '', '/api/v2/services'],
  ] as const) {
    const r = await raw(`${base}${path}`, {});
    const st = r.status >= 400 ? apiStatus(r.body) : undefined;
    const mapped = st ? mapStatus(st, r.status) : undefined;
    if (mapped) throw mapped;
    if (r.status === 200 && isJson(r.body)) return { ...c, type, basePaths: [base] };
    // A span receiver reads any request as spans: a GET gets 400 (Jaeger's Zipkin receiver) or 405.
    if (r.status === 400 || r.status === 405) receiverLike = true;
  }
  if (c.port === '9411' || receiverLike) throw writeOnlyError(c);
  throw new BackendError(
    `neither a Jaeger nor a Zipkin query API answered at service ${c.namespace}/${c.service}:${c.port}; is it the tracing query Service and port?`,
  );
}

export async function connectBackend(ctx: CommandContext, o: BackendOptions): Promise<Backend> {
  if (o.url) return connectUrl(ctx, o, o.url);
  const kube = ctx.kube();
  const candidate = await chooseService(ctx, kube, o);
  const prefix = `/api/v1/namespaces/${encodeURIComponent(candidate.namespace)}/services/${encodeURIComponent(candidate.service)}:${encodeURIComponent(candidate.port)}/proxy`;
  const raw: RawGet = (path, query) =>
    kube.getRaw({ verb: 'get', resource: 'services/proxy', name: candidate.service, namespace: candidate.namespace }, `${prefix}${path}`, query);
  const mapStatus = (st: ApiStatus, status: number) => proxyError(kube, candidate, st, status);
  const c = o.type ? { ...candidate, type: o.type } : candidate.type ? candidate : await guessType(candidate, raw, mapStatus);
  let base: string | undefined;
  const fetch = resolvingFetch(c, raw, mapStatus, (b) => (base = b));
  const backend = make(c, fetch, () => describeCandidate(c, base));
  if (ctx.verbosity > 0) ctx.stderr.write(`I: reading traces from ${describeCandidate(c)} through the API server's service proxy\n`);
  return backend;
}

async function chooseService(ctx: CommandContext, kube: Kube, o: BackendOptions): Promise<Candidate> {
  if (o.backend) {
    const { namespace, service, port } = o.backend;
    // Read the Service to know what it is (and refuse the write-only receiver); without permission, guess from its answers.
    let svc: Service | undefined;
    try {
      svc = await kube.get<KubeObject & Service>({ apiVersion: 'v1', kind: 'Service', name: service, namespace });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 403)) throw err;
    }
    const known = svc ? candidateFor({ ...svc, metadata: { ...svc.metadata, namespace } }) : undefined;
    const ports = svc?.spec?.ports ?? [];
    if (port && svc && !ports.some((p) => String(p.port) === port || p.name === port)) {
      throw new BackendError(
        `service ${namespace}/${service} has no port ${port} (it has ${ports.map((p) => (p.name ? `${p.name}:${p.port}` : String(p.port))).join(', ') || 'no ports'})`,
        'unreachable',
      );
    }
    const chosenPort = port ?? known?.port ?? (ports[0] ? String(ports[0].port) : undefined);
    if (!chosenPort)
      throw new BackendError(`service ${namespace}/${service} has no ports; name one with --backend ${namespace}/${service}:PORT`, 'unreachable');
    const samePort = known && (known.port === chosenPort || ports.some((p) => p.name === chosenPort && String(p.port) === known.port));
    if (known?.writeOnly && samePort) {
      const others = await kube.list<KubeObject & Service>('v1', 'Service', { namespace }).catch(() => []);
      throw writeOnlyError(
        known,
        detectCandidates(others.map((s) => ({ ...s, metadata: { ...s.metadata, namespace } }))).find((x) => !x.writeOnly),
      );
    }
    return samePort ? { ...known, port: chosenPort } : { namespace, service, port: chosenPort, basePaths: [''] };
  }
  let services: Service[];
  try {
    services = await kube.list<KubeObject & Service>('v1', 'Service', { namespace: o.istioNamespace });
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 403) {
      throw new BackendError(
        `${err.message.replace(/; ask for RBAC.*$/, '')}: cannot look for the tracing Service in ${o.istioNamespace}; name it with --backend ${o.istioNamespace}/tracing:80, or use --url`,
        'forbidden',
      );
    }
    throw err;
  }
  const found = detectCandidates(services.map((s) => ({ ...s, metadata: { ...s.metadata, namespace: o.istioNamespace } })));
  const usable = found.filter((c) => !c.writeOnly);
  if (usable.length === 0) {
    const receivers = found.filter((c) => c.writeOnly).map((c) => `${c.service}:${c.port}`);
    throw new BackendError(
      `no Jaeger or Zipkin query Service found in namespace ${o.istioNamespace} (context "${kube.config.contextName}")` +
        (receivers.length ? `; ${receivers.join(', ')} only receive${receivers.length === 1 ? 's' : ''} spans (Jaeger's Zipkin receiver)` : '') +
        `; install Istio's Jaeger or Zipkin addon, name the query Service with --backend NAMESPACE/SERVICE:PORT, or use --url`,
      'unreachable',
    );
  }
  const distinct = distinctBackends(services, usable);
  if (distinct.length > 1) {
    ctx.warn(
      `several tracing backends in ${o.istioNamespace} (${distinct.map((c) => `${c.service}:${c.port}`).join(', ')}); reading from ${usable[0].service} (choose with --backend)`,
    );
  }
  return usable[0];
}

function connectUrl(ctx: CommandContext, o: BackendOptions, url: URL): Backend {
  const client = urlClient(url, o.headers, o.timeoutMs, o.insecure);
  const where = url.origin + url.pathname.replace(/\/+$/, '');
  const c: Candidate = { namespace: '', service: where, port: '', basePaths: [''], ...(o.type ? { type: o.type } : {}) };
  const mapStatus = (_st: ApiStatus, _status: number) => undefined;
  const auth = (r: Raw): Raw => {
    if (r.status === 401 || r.status === 403) {
      throw new BackendError(
        `the tracing backend at ${where} refused the request (${r.status}${firstLine(r.body) ? `: ${firstLine(r.body)}` : ''}); pass what its gateway needs with --header, e.g. --header "Authorization: Bearer $TOKEN"`,
        'forbidden',
      );
    }
    return r;
  };
  const raw: RawGet = async (path, query) => auth(await client.get(path, query));
  const describe = (type: BackendType) => `${where} (${type === 'zipkin' ? 'Zipkin' : 'Jaeger'})`;
  let backend: Backend | undefined;
  // The type is known only once something answered: guess lazily on the first request.
  const lazy = async (): Promise<Backend> => {
    if (backend) return backend;
    const typed = c.type ? c : await guessType(c, raw, mapStatus);
    const fetch = resolvingFetch(typed, raw, mapStatus, () => {});
    backend = make(typed, fetch, () => describe(typed.type ?? 'jaeger'));
    if (ctx.verbosity > 0) ctx.stderr.write(`I: reading traces from ${backend.where}\n`);
    return backend;
  };
  return {
    get type() {
      return backend?.type ?? o.type ?? 'jaeger';
    },
    get where() {
      return backend?.where ?? where;
    },
    services: async () => (await lazy()).services(),
    operations: async (s) => (await lazy()).operations(s),
    search: async (q) => (await lazy()).search(q),
    trace: async (id) => (await lazy()).trace(id),
    dependencies: async (e, l) => (await lazy()).dependencies(e, l),
  };
}

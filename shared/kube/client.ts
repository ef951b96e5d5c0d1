// Cluster access for commands: a thin REST client over node:https (connecting costs nothing to load,
// where @kubernetes/client-node's generated API costs ~0.7 s and 100 MB per run). Every call is mapped
// to a person-readable error and counted, so tests can assert round trips. Connections, credentials,
// proxies, retries and compression live in transport.ts.
import type { ResolvedConfig } from './kubeconfig.js';
import { mapApiError, type ApiOperation, type ApiTarget } from './api-errors.js';
import type { ApiTransport, HttpRequest, StreamOptions, StreamResponse, TransportOptions } from './api-transport.js';
import { KNOWN, fromDiscovery, resourceName, resourcePath, type ResourceInfo } from './resources.js';
import { KubeApiError } from '../errors.js';
import { openWebSocket, type WebSocketConnection, type WebSocketHandlers } from './websocket.js';
import { keepYoungGenerationSmall, pick, slim } from './lean.js';
import { readListItems, readWatchLines } from './body-readers.js';
import {
  ALL_NAMESPACES,
  type DryRun,
  type KubeObject,
  type ListOptions,
  type ListSnapshot,
  type ObjectRef,
  type ServerDryRun,
  type WatchEvent,
} from './object.js';

const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** One API request: method, path, query and body (a string body is sent as is, anything else as JSON). */
interface RequestSpec extends Omit<HttpRequest, 'body'> {
  body?: unknown;
}

/**
 * Kube's options: the HTTP transport's (the User-Agent is the field manager's name), or a transport of
 * the caller's (tests: an in-memory API server), which then answers every request instead.
 */
export type KubeOptions = Omit<TransportOptions, 'userAgent'> & { transport?: ApiTransport | undefined };

/**
 * Where list() and get() read from instead of the server: a watch cache (status -w) serves every
 * render from objects kept current by watches, so a render sends no request.
 */
export interface ListSource {
  list<T extends KubeObject>(kube: Kube, apiVersion: string, kind: string, opts: ListOptions): Promise<T[]>;
}

export class Kube {
  readonly config: ResolvedConfig;
  readonly fieldManager: string;
  /** Requests sent so far, and by verb (get, list, patch, ...); -v prints them, tests assert them. */
  requests = 0;
  readonly requestsByVerb: Record<string, number> = {};
  private readonly resources = new Map<string, Promise<ResourceInfo>>();
  private readonly opts: KubeOptions;
  private loading?: Promise<ApiTransport>;
  private loaded?: ApiTransport;
  /** While set, list() and get() read from it (status -w's watch cache). */
  source: ListSource | undefined;

  constructor(config: ResolvedConfig, fieldManager: string, opts: KubeOptions = {}) {
    this.config = config;
    this.fieldManager = fieldManager;
    this.opts = opts;
  }

  /**
   * Connections, credentials, proxies, retries: shared by buffered requests and streams (watches).
   * Loaded on the first request: node:tls and node:http cost start-up, and the single executables'
   * startup snapshot cannot hold them. An injected transport (KubeOptions.transport) is used as it is.
   */
  transport(): Promise<ApiTransport> {
    const { transport, ...opts } = this.opts;
    if (transport) return (this.loading ??= Promise.resolve((this.loaded = transport)));
    return (this.loading ??= import('./transport.js').then(
      ({ Transport }) => (this.loaded = new Transport(this.config, { userAgent: `${this.fieldManager} (node ${process.version})`, ...opts })),
    ));
  }

  get namespace(): string {
    return this.config.namespace;
  }

  get target(): ApiTarget {
    return { context: this.config.contextName, server: this.config.server, user: this.config.userName };
  }

  /** One HTTP request; resolves to the parsed JSON body, rejects with HttpError or a network error. */
  private async send<T>(spec: RequestSpec): Promise<T> {
    const { body, ...rest } = spec;
    const transport = await this.transport();
    const res = await transport.request({ ...rest, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
    const text = res.body.toString('utf8');
    try {
      return (text ? JSON.parse(text) : {}) as T;
    } catch {
      throw notJson(transport, spec, res.status);
    }
  }

  /** A GET of a list whose items go to `each` one by one as its text arrives; resolves to the list's other fields. */
  private async readList<T>(spec: HttpRequest, each: (item: unknown) => void): Promise<T> {
    const transport = await this.transport();
    return transport.read(spec, (body) => readListItems<T>(body, each, () => notJson(transport, spec, 200)));
  }

  /** Count one API call and map its failure to a KubeApiError. */
  private async counted<T>(op: ApiOperation, run: () => Promise<T>): Promise<T> {
    this.requests++;
    this.requestsByVerb[op.verb] = (this.requestsByVerb[op.verb] ?? 0) + 1;
    try {
      return await run();
    } catch (err) {
      throw mapApiError(err, op, this.target);
    }
  }

  /**
   * A streaming request (a watch: GET ...?watch=1, read line by line), counted like any call, with the
   * same connection, credentials, proxy, refresh and gzip handling as buffered requests.
   */
  async stream(op: ApiOperation, spec: HttpRequest, opts: StreamOptions = {}): Promise<StreamResponse> {
    return this.counted(op, async () => (await this.transport()).stream(spec, opts));
  }

  /** Run one API call, counting it and mapping its failure to a KubeApiError. */
  async call<T>(op: ApiOperation, spec: RequestSpec): Promise<T> {
    return this.counted(op, () => this.send<T>(spec));
  }

  /** Plural and scope of a kind: known kinds need no request; others use discovery once per group-version. */
  async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const key = `${apiVersion}/${kind}`;
    const known = KNOWN[key];
    if (known) return known;
    let found = this.resources.get(key);
    if (!found) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      found = this.call<{ resources?: { name: string; kind: string; namespaced: boolean }[] }>(
        { verb: 'get', resource: resourceName(apiVersion, kind) },
        { method: 'GET', path },
      ).then((doc) => {
        const info = fromDiscovery(doc, kind);
        if (!info)
          throw new KubeApiError(
            `the server at ${this.config.server} does not serve kind ${kind} in ${apiVersion} (context "${this.config.contextName}"); is its CRD installed?`,
            404,
          );
        return info;
      });
      this.resources.set(key, found);
    }
    return found;
  }

  /** A namespaced kind without a namespace means the context's namespace, as in kubectl; '*' means all. */
  private async path(ref: { apiVersion: string; kind: string; namespace?: string | undefined; name?: string | undefined }): Promise<string> {
    const info = await this.resource(ref.apiVersion, ref.kind);
    const ns = !info.namespaced || ref.namespace === ALL_NAMESPACES ? undefined : (ref.namespace ?? this.config.namespace);
    return resourcePath(ref.apiVersion, info, ns, ref.name);
  }

  private op(verb: string, ref: { apiVersion: string; kind: string; name?: string | undefined; namespace?: string | undefined }): ApiOperation {
    return { verb, resource: resourceName(ref.apiVersion, ref.kind), name: ref.name, namespace: ref.namespace };
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T> {
    if (this.source) {
      // One object, kept current by a watch on its name (a field selector), as kubectl get -w does.
      const [found] = await this.source.list<T>(this, ref.apiVersion, ref.kind, { namespace: ref.namespace, fieldSelector: `metadata.name=${ref.name}` });
      if (found) return found;
      // The server's answer to a GET of a missing object, so callers (find) read it the same way.
      throw mapApiError({ code: 404, body: { reason: 'NotFound' } }, this.op('get', ref), this.target);
    }
    return this.call(this.op('get', ref), { method: 'GET', path: await this.path(ref) });
  }

  /** Like get, but undefined when the object does not exist. */
  async find<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    try {
      return await this.get<T>(ref);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404 && err.reason === 'NotFound') return undefined;
      throw err;
    }
  }

  /**
   * List every object of a kind, following pagination (500 a page) so large namespaces stay bounded.
   * namespace: the context's by default, ALL_NAMESPACES for every namespace. lean: slim each item as its
   * page arrives (read-only views only, see lean.ts).
   */
  async list<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, opts: ListOptions = {}): Promise<T[]> {
    if (this.source) return this.source.list<T>(this, apiVersion, kind, opts);
    return (await this.listSnapshot<T>(apiVersion, kind, opts)).items;
  }

  /**
   * A list from the server with the resourceVersion it was read at (a watch's starting point). When a
   * continue token expires (410: the list took longer than etcd keeps history) the list starts again
   * from the first page; if that expires too, one unpaginated list, as client-go's pager falls back to.
   */
  async listSnapshot<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, opts: ListOptions = {}): Promise<ListSnapshot<T>> {
    const path = await this.path({ apiVersion, kind, namespace: opts.namespace });
    const op = this.op('list', { apiVersion, kind, namespace: opts.namespace });
    let items: T[] = [];
    let token: string | undefined;
    let restarts = 0;
    const lean = opts.lean || opts.fields !== undefined;
    if (lean) keepYoungGenerationSmall();
    // The list endpoint leaves apiVersion/kind off items; put them back so printers and patches can use them.
    // In place (each item is a fresh parse): a copy by spread gives each item a V8 hidden class of its own.
    const typed = (it: T): T => Object.assign(it, { apiVersion: it.apiVersion ?? apiVersion, kind: it.kind ?? kind });
    const keep = (it: T): T => slim(typed(opts.fields ? (pick(it, opts.fields) as T) : it));
    for (;;) {
      let page: { items?: T[]; metadata?: { continue?: string; resourceVersion?: string } };
      const spec: HttpRequest = {
        method: 'GET',
        path,
        query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: restarts > 1 ? undefined : 500, continue: token },
      };
      const got: T[] = [];
      try {
        // Lean: each item is parsed as its text arrives and cut down before the next (a page of full objects never exists).
        page = await this.counted(op, () => (lean ? this.readList(spec, (it) => got.push(keep(it as T))) : this.send(spec)));
      } catch (err) {
        if (token === undefined || !(err instanceof KubeApiError) || err.status !== 410) throw err;
        items = [];
        token = undefined;
        restarts++;
        continue;
      }
      if (lean) items.push(...got);
      else for (const it of page.items ?? []) items.push(typed(it));
      token = page.metadata?.continue || undefined;
      // Every page of a paginated list is read at the first page's resourceVersion; the last one says it too.
      if (!token) return { items, resourceVersion: page.metadata?.resourceVersion ?? '' };
    }
  }

  /**
   * Watch a kind from a resourceVersion (GET ...?watch=1, one JSON event a line), with bookmarks; each
   * event goes to `onEvent`. Resolves when the server ends the watch (after timeoutSeconds) or the
   * signal stops it; rejects on a failed request or a broken connection. An expired resourceVersion
   * arrives as an ERROR event with code 410, which the caller handles (re-list).
   */
  async watch<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    opts: ListOptions & { resourceVersion: string; timeoutSeconds: number; signal?: AbortSignal },
    onEvent: (e: WatchEvent<T>) => void,
  ): Promise<void> {
    const path = await this.path({ apiVersion, kind, namespace: opts.namespace });
    const res = await this.stream(
      this.op('watch', { apiVersion, kind, namespace: opts.namespace }),
      {
        method: 'GET',
        path,
        query: {
          watch: 1,
          resourceVersion: opts.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: opts.timeoutSeconds,
          labelSelector: opts.labelSelector,
          fieldSelector: opts.fieldSelector,
        },
      },
      // A connection that went quiet well past the server's own timeout is dead (no FIN ever came).
      { ...(opts.signal ? { signal: opts.signal } : {}), idleTimeoutMs: (opts.timeoutSeconds + 30) * 1000 },
    );
    await readWatchLines(res.body, onEvent, () => opts.signal?.aborted === true);
  }

  /** Server-side apply with this plugin's field manager. */
  async apply<T extends KubeObject>(obj: T, opts: { dryRun?: ServerDryRun; force?: boolean } = {}): Promise<T> {
    const ref = refOf(obj);
    return this.call(this.op('patch', ref), {
      method: 'PATCH',
      path: await this.path(ref),
      query: { fieldManager: this.fieldManager, force: opts.force ?? false, dryRun: dryRunParam(opts.dryRun) },
      body: obj,
      contentType: PATCH_TYPES.apply,
    });
  }

  /** A merge or strategic-merge patch of one object. */
  async patch<T extends KubeObject>(
    ref: ObjectRef,
    patch: Record<string, unknown>,
    strategy: 'merge' | 'strategic' = 'merge',
    opts: { dryRun?: ServerDryRun } = {},
  ): Promise<T> {
    return this.call(this.op('patch', ref), {
      method: 'PATCH',
      path: await this.path(ref),
      query: { fieldManager: this.fieldManager, dryRun: dryRunParam(opts.dryRun) },
      body: patch,
      contentType: PATCH_TYPES[strategy],
    });
  }

  async create<T extends KubeObject>(obj: T, opts: { dryRun?: ServerDryRun } = {}): Promise<T> {
    const ref = refOf(obj);
    return this.call(this.op('create', ref), {
      method: 'POST',
      path: await this.path({ ...ref, name: undefined }),
      query: { fieldManager: this.fieldManager, dryRun: dryRunParam(opts.dryRun) },
      body: obj,
    });
  }

  async replace<T extends KubeObject>(obj: T, opts: { dryRun?: ServerDryRun } = {}): Promise<T> {
    const ref = refOf(obj);
    return this.call(this.op('update', ref), {
      method: 'PUT',
      path: await this.path(ref),
      query: { fieldManager: this.fieldManager, dryRun: dryRunParam(opts.dryRun) },
      body: obj,
    });
  }

  /** Delete; returns false when the object was already gone. */
  async delete(
    ref: ObjectRef,
    opts: { dryRun?: ServerDryRun; propagation?: 'Foreground' | 'Background' | 'Orphan'; preconditionVersion?: string | undefined } = {},
  ): Promise<boolean> {
    try {
      await this.call(this.op('delete', ref), {
        method: 'DELETE',
        path: await this.path(ref),
        // DeleteOptions in the body override the query string, so dryRun goes in the body.
        body: {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          propagationPolicy: opts.propagation ?? 'Background',
          ...(dryRunParam(opts.dryRun) ? { dryRun: ['All'] } : {}),
          ...(opts.preconditionVersion ? { preconditions: { resourceVersion: opts.preconditionVersion } } : {}),
        },
      });
      return true;
    } catch (err) {
      // Only "this object is gone"; a 404 for the kind itself (CRD not installed) is an error.
      if (err instanceof KubeApiError && err.status === 404 && err.reason === 'NotFound') return false;
      throw err;
    }
  }

  /** A GET answered with its status and text, whatever they are: for the service proxy, where the body is the backend's. */
  async getRaw(op: ApiOperation, path: string, query?: RequestSpec['query']): Promise<{ status: number; body: string }> {
    return this.counted(op, async () => {
      const transport = await this.transport();
      try {
        const res = await transport.request({ method: 'GET', path, ...(query ? { query } : {}) });
        return { status: res.status, body: res.body.toString('utf8') };
      } catch (err) {
        // A non-2xx answer (transport.ts's HttpError, loaded lazily) is an answer here: the backend's, or the API server's Status.
        const e = err as { code?: unknown; body?: unknown };
        if (typeof e.code === 'number' && typeof e.body === 'string') return { status: e.code, body: e.body };
        throw err;
      }
    });
  }

  /**
   * Open a WebSocket on an API path (pods/portforward, exec), with this client's server, TLS and
   * credentials; counted as one request. Resolves once the server has switched protocols.
   */
  async websocket(op: ApiOperation, path: string, query: [string, string][], protocol: string, handlers: WebSocketHandlers): Promise<WebSocketConnection> {
    return this.counted(op, async () => openWebSocket(await this.transport(), path, query, protocol, handlers));
  }

  /** The server's version (one GET /version); also the cheapest reachability check. */
  async serverVersion(): Promise<string> {
    const info = await this.call<{ gitVersion: string }>({ verb: 'get', resource: 'version' }, { method: 'GET', path: '/version' });
    return info.gitVersion;
  }

  /** Close idle keep-alive connections (long-running callers; a CLI just exits). */
  close(): void {
    this.loaded?.close();
  }
}

function notJson(transport: ApiTransport, spec: { method: string; path: string }, status: number): KubeApiError {
  return new KubeApiError(
    `the server at ${transport.server()} answered ${spec.method} ${spec.path} with something that is not JSON; is it a Kubernetes API server?`,
    status,
  );
}

function refOf(obj: KubeObject): ObjectRef {
  return { apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '', name: obj.metadata?.name ?? '', namespace: obj.metadata?.namespace };
}

function dryRunParam(d: DryRun | undefined): string | undefined {
  // A client dry run must never be sent as a real write.
  if (d === 'client') throw new Error('internal: a client dry run reached the API client');
  return d === 'server' ? 'All' : undefined;
}

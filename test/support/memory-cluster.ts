// An in-memory Kubernetes API server behind the client's ApiTransport, for in-process command tests:
// exactly what our client sends (shared/kube/client.ts), answered as kube-apiserver answers it.
// - GET of an object; LIST with label/field selectors and pagination (limit/continue, read at the first
//   page's version); WATCH from a resourceVersion with its history, bookmarks, compaction -> 410 Gone.
// - POST (409 AlreadyExists), PUT and merge-patch (409 Conflict on a stale resourceVersion), DELETE
//   (with a resourceVersion precondition), ?dryRun=All; server-side apply handled as a merge patch that
//   creates; strategic-merge and JSON patches answered 415, as for a custom resource (we never rely on them).
// - Status is not written through the main resource (as with a status subresource); spec changes
//   bump metadata.generation.
// Every request is counted by verb and logged; tests seed and change objects directly (not counted),
// plug reactors in (answer a request with an error, react to writes), and make Deployments "roll out".
import { Readable } from 'node:stream';
import { HttpError, type ApiTransport, type HttpRequest, type HttpResponse, type StreamOptions, type StreamResponse } from '../../shared/kube/api-transport.js';
import type { KubeObject } from '../../shared/kube/object.js';
import type { Clock } from '../../shared/context.js';
import { mergePatch } from './objects.js';
import { selector, SelectorError } from './memory-selectors.js';
import { parsePath, statusBody, type ApiCall, type Resource, type Verb } from './memory-api.js';
import { clone, keyOf, MemoryStore, type Json } from './memory-store.js';

export type { ApiCall } from './memory-api.js';
export { refOf, type WriteReactor } from './memory-store.js';

/** An answer other than 2xx: status, reason and message, as a Status object. */
export class ApiStatus extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Answers a request with an error instead of the server (first one returning one wins). */
export type Reactor = (call: ApiCall, body: KubeObject | undefined) => ApiStatus | undefined;

export interface MemoryClusterOptions {
  /** API groups not served (their paths answer 404 page not found), e.g. ['networking.istio.io']. */
  notServed?: string[];
  /** For creationTimestamp. */
  clock?: Clock;
}

export class MemoryCluster extends MemoryStore {
  private readonly reactors: Reactor[] = [];
  private readonly pages = new Map<string, { rv: number; rest: KubeObject[] }>();
  /** Requests answered, and by verb (get, list, watch, create, update, patch, delete). */
  requests = 0;
  readonly requestsByVerb: Record<string, number> = {};
  /** Every request, in order. */
  readonly calls: ApiCall[] = [];

  constructor(private readonly opts: MemoryClusterOptions = {}) {
    super(opts.clock);
  }

  /** Answer requests with an error where `reactor` says so (e.g. a 403 on one list, a 409 on a write). */
  react(reactor: Reactor): void {
    this.reactors.push(reactor);
  }

  /** The writes that reached the store (not dry runs, not refused), as "verb resource/name". */
  writes(): string[] {
    return this.calls.filter((c) => !['get', 'list', 'watch'].includes(c.verb) && !c.dryRun && !c.failed).map((c) => `${c.verb} ${c.resource}/${c.name ?? ''}`);
  }

  /** The API client's transport to this server. */
  transport(server = 'https://memory.cluster.test'): ApiTransport {
    return {
      server: () => server,
      request: (req) => Promise.resolve().then(() => this.answer(req)),
      read: (req, consume) =>
        Promise.resolve().then(() => {
          const res = this.answer(req);
          if (res.status >= 300) throw new HttpError(res.status, res.body.toString('utf8'));
          return consume(Readable.from([res.body.toString('utf8')], { objectMode: false }));
        }),
      stream: (req, opts) => Promise.resolve().then(() => this.watch(req, opts)),
      close: () => {},
    };
  }

  // ---- the API ----

  private answer(req: HttpRequest): HttpResponse {
    const body = req.body === undefined || req.body === '' ? undefined : (JSON.parse(req.body) as KubeObject);
    const respond = (status: number, doc: unknown): HttpResponse => ({ status, headers: {}, body: Buffer.from(JSON.stringify(doc)) });
    if (req.path === '/version')
      return this.counted({ verb: 'get', resource: 'version', path: req.path, dryRun: false }, () => respond(200, { gitVersion: 'v1.31.0-memory' }));
    const target = parsePath(req.path, this.opts.notServed ?? []);
    if (target === 'not-found') {
      this.count({ verb: req.method === 'GET' ? 'get' : 'unknown', resource: req.path, path: req.path, dryRun: false, failed: true });
      throw new HttpError(404, '404 page not found');
    }
    if ('discovery' in target) {
      return this.counted({ verb: 'get', resource: req.path, path: req.path, dryRun: false }, () => respond(200, target.discovery));
    }
    const { resource: r, namespace, name } = target;
    const q = req.query ?? {};
    const verb: Verb = { GET: name ? 'get' : 'list', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[req.method] as Verb;
    const dryRun = q['dryRun'] === 'All' || (req.method === 'DELETE' && Array.isArray((body as { dryRun?: unknown } | undefined)?.dryRun));
    // A create names its object in the body.
    const named = name ?? (verb === 'create' ? body?.metadata?.name : undefined);
    const call: ApiCall = {
      verb,
      resource: r.group ? `${r.plural}.${r.group}` : r.plural,
      namespace,
      name: named,
      path: req.path,
      dryRun,
      contentType: req.contentType,
    };
    return this.counted(call, () => {
      for (const react of this.reactors) {
        const refusal = react(call, body);
        if (refusal) throw refusal;
      }
      switch (verb) {
        case 'get':
          return respond(200, this.read(r, namespace, name!));
        case 'list':
          return respond(200, this.listPage(r, namespace, q));
        case 'create':
          return respond(201, this.create(r, namespace, body, dryRun));
        case 'update':
          return respond(200, this.replace(r, namespace, name!, body, dryRun));
        case 'patch':
          return respond(200, this.patch(r, namespace, name!, body, req.contentType ?? '', dryRun));
        default:
          return respond(200, this.delete(r, namespace, name!, body, dryRun));
      }
    });
  }

  private count(call: ApiCall): void {
    this.requests++;
    this.requestsByVerb[call.verb] = (this.requestsByVerb[call.verb] ?? 0) + 1;
    this.calls.push(call);
  }

  /** Count a request and turn an ApiStatus into the HTTP error the transport rejects with. */
  private counted(call: ApiCall, run: () => HttpResponse): HttpResponse {
    this.count(call);
    try {
      return run();
    } catch (err) {
      call.failed = true;
      if (err instanceof ApiStatus) throw new HttpError(err.code, JSON.stringify(statusBody(err.code, err.reason, err.message, err.details)));
      if (err instanceof SelectorError) throw new HttpError(400, JSON.stringify(statusBody(400, 'BadRequest', err.message)));
      throw err;
    }
  }

  private watch(req: HttpRequest, opts: StreamOptions = {}): StreamResponse {
    const target = parsePath(req.path, this.opts.notServed ?? []);
    if (target === 'not-found' || 'discovery' in target || target.name) throw new HttpError(404, '404 page not found');
    const { resource: r, namespace } = target;
    const q = req.query ?? {};
    const call: ApiCall = { verb: 'watch', resource: r.group ? `${r.plural}.${r.group}` : r.plural, namespace, path: req.path, dryRun: false };
    let body: StreamResponse['body'] | undefined;
    this.counted(call, () => {
      for (const react of this.reactors) {
        const refusal = react(call, undefined);
        if (refusal) throw refusal;
      }
      const matches = selector(str(q['labelSelector']), str(q['fieldSelector']));
      const filter = { resource: `${r.group}/${r.plural}`, namespace, matches, bookmarks: q['allowWatchBookmarks'] === true, apiVersion: r.apiVersion };
      body = this.log.open(filter, str(q['resourceVersion']) ?? '', () => this.select(r, namespace, matches), opts.signal);
      return { status: 200, headers: {}, body: Buffer.alloc(0) };
    });
    return { status: 200, headers: {}, body: body! };
  }

  private read(r: Resource, ns: string | undefined, name: string): KubeObject {
    const o = this.objects.get(keyOf(r, ns, name));
    if (!o) throw notFound(r, name);
    return { ...clone(o), apiVersion: r.apiVersion };
  }

  private listPage(r: Resource, ns: string | undefined, q: NonNullable<HttpRequest['query']>): Json {
    const limit = typeof q['limit'] === 'number' && q['limit'] > 0 ? q['limit'] : undefined;
    const token = str(q['continue']);
    let rv: number;
    let items: KubeObject[];
    if (token) {
      const page = this.pages.get(token);
      if (!page) throw new ApiStatus(400, 'BadRequest', 'continue key is not valid');
      if (page.rv < this.log.compacted) {
        throw new ApiStatus(
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      this.pages.delete(token);
      ({ rv, rest: items } = page);
    } else {
      rv = this.rv;
      items = this.select(r, ns, selector(str(q['labelSelector']), str(q['fieldSelector']))).map(clone);
    }
    const shown = limit === undefined ? items : items.slice(0, limit);
    const rest = items.slice(shown.length);
    const metadata: Json = { resourceVersion: String(rv) };
    if (rest.length) {
      const next = `page-${this.pages.size}-${rv}-${this.rv}-${this.calls.length}`;
      this.pages.set(next, { rv, rest });
      Object.assign(metadata, { continue: next, remainingItemCount: rest.length });
    }
    // As the API server lists built-in kinds: items without apiVersion and kind.
    const bare = shown.map(({ apiVersion: _a, kind: _k, ...o }) => o);
    return { apiVersion: r.apiVersion, kind: `${r.kind}List`, metadata, items: bare };
  }

  private create(r: Resource, ns: string | undefined, body: KubeObject | undefined, dryRun: boolean): KubeObject {
    if (!body?.metadata?.name) throw invalid(r, '', 'metadata.name', 'name or generateName is required');
    if (r.namespaced && body.metadata.namespace && body.metadata.namespace !== ns)
      throw new ApiStatus(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    const name = body.metadata.name;
    if (this.objects.has(keyOf(r, ns, name))) {
      throw new ApiStatus(409, 'AlreadyExists', `${r.group ? `${r.plural}.${r.group}` : r.plural} "${name}" already exists`, {
        name,
        group: r.group,
        kind: r.plural,
      });
    }
    const { status: _ignored, ...obj } = clone(body);
    obj.apiVersion = r.apiVersion;
    obj.kind = r.kind;
    obj.metadata = { ...obj.metadata, namespace: ns, resourceVersion: undefined };
    this.stamp(obj);
    return dryRun ? obj : clone(this.commit('ADDED', r, obj, undefined));
  }

  private replace(r: Resource, ns: string | undefined, name: string, body: KubeObject | undefined, dryRun: boolean): KubeObject {
    const old = this.objects.get(keyOf(r, ns, name));
    if (!old) throw notFound(r, name);
    if (!body || body.metadata?.name !== name) throw new ApiStatus(400, 'BadRequest', 'the name of the object does not match the name on the URL');
    const next = { ...clone(body), apiVersion: r.apiVersion, kind: r.kind };
    return this.write(r, old, next, body.metadata?.resourceVersion, dryRun);
  }

  private patch(r: Resource, ns: string | undefined, name: string, body: KubeObject | undefined, contentType: string, dryRun: boolean): KubeObject {
    const old = this.objects.get(keyOf(r, ns, name));
    if (contentType === 'application/apply-patch+yaml') {
      // Server-side apply, as a merge: it creates what is missing (the field managers are not modelled).
      if (!old) return this.create(r, ns, body, dryRun);
    } else if (contentType !== 'application/merge-patch+json') {
      throw new ApiStatus(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/apply-patch+yaml`,
      );
    }
    if (!old) throw notFound(r, name);
    const next = mergePatch(clone(old), body ?? {}) as KubeObject;
    return this.write(r, old, next, body?.metadata?.resourceVersion, dryRun);
  }

  private delete(r: Resource, ns: string | undefined, name: string, body: KubeObject | undefined, dryRun: boolean): Json {
    const old = this.objects.get(keyOf(r, ns, name));
    if (!old) throw notFound(r, name);
    const want = (body as { preconditions?: { resourceVersion?: string } } | undefined)?.preconditions?.resourceVersion;
    if (want !== undefined && want !== old.metadata?.resourceVersion) {
      throw new ApiStatus(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${r.plural} "${name}": the ResourceVersion in the precondition (${want}) does not match the ResourceVersion in record (${old.metadata?.resourceVersion}). The object might have been modified`,
      );
    }
    if (!dryRun) this.commit('DELETED', r, clone(old), old);
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: r.group, kind: r.plural, uid: old.metadata?.uid } };
  }

  /** An update or patch: the version it carries must be current; status stays; generation follows spec. */
  private write(r: Resource, old: KubeObject, next: KubeObject, expect: string | undefined, dryRun: boolean): KubeObject {
    if (expect !== undefined && expect !== old.metadata?.resourceVersion) {
      const name = old.metadata?.name ?? '';
      throw new ApiStatus(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${r.group ? `${r.plural}.${r.group}` : r.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, group: r.group, kind: r.plural },
      );
    }
    next.metadata = { ...next.metadata, uid: old.metadata?.uid, creationTimestamp: old.metadata?.creationTimestamp, namespace: old.metadata?.namespace };
    if (old.status === undefined) delete next.status;
    else next.status = clone(old.status);
    if (JSON.stringify(next.spec) !== JSON.stringify(old.spec) && old.metadata?.generation !== undefined) {
      next.metadata.generation = old.metadata.generation + 1;
    }
    if (
      JSON.stringify({ ...next, metadata: { ...next.metadata, resourceVersion: '' } }) ===
      JSON.stringify({ ...old, metadata: { ...old.metadata, resourceVersion: '' } })
    ) {
      return clone(old); // nothing changed: no new version, no event (as the API server)
    }
    return dryRun ? next : clone(this.commit('MODIFIED', r, next, old));
  }
}

function str(v: string | number | boolean | undefined): string | undefined {
  return v === undefined ? undefined : String(v);
}

function notFound(r: Resource, name: string): ApiStatus {
  return new ApiStatus(404, 'NotFound', `${r.group ? `${r.plural}.${r.group}` : r.plural} "${name}" not found`, { name, group: r.group, kind: r.plural });
}

function invalid(r: Resource, name: string, field: string, message: string): ApiStatus {
  return new ApiStatus(422, 'Invalid', `${r.kind} "${name}" is invalid: ${field}: ${message}`, {
    name,
    group: r.group,
    kind: r.kind,
    causes: [{ reason: 'FieldValueRequired', message, field }],
  });
}

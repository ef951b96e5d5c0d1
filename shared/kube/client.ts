// Cluster access for commands: built lazily (importing the API client costs start-up time, and
// --help or a usage error must not pay it), every call mapped to a person-readable error and counted.
import type * as K8s from '@kubernetes/client-node';
import type { ResolvedConfig } from './kubeconfig.js';
import { mapApiError, isConflict, type ApiOperation, type ApiTarget } from './api-errors.js';
import { KubeApiError } from '../errors.js';
import yaml from 'js-yaml';

export type KubeObject = K8s.KubernetesObject & { spec?: unknown; status?: unknown; [key: string]: unknown };

/** --dry-run as the API takes it. */
export type DryRun = 'none' | 'client' | 'server';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string | undefined;
}

/** The plural resource name kubectl prints for a kind (for messages only; discovery decides requests). */
export function resourceName(apiVersion: string, kind: string): string {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  const lower = kind.toLowerCase();
  const plural = lower.endsWith('s') ? `${lower}es` : lower.endsWith('y') ? `${lower.slice(0, -1)}ies` : `${lower}s`;
  return group ? `${plural}.${group}` : plural;
}

export class Kube {
  readonly config: ResolvedConfig;
  readonly fieldManager: string;
  /** Requests sent so far; tests assert round trips with it. */
  requests = 0;
  private lib?: typeof K8s;
  private kc?: K8s.KubeConfig;
  private objectApi?: K8s.KubernetesObjectApi;

  constructor(config: ResolvedConfig, fieldManager: string) {
    this.config = config;
    this.fieldManager = fieldManager;
  }

  get namespace(): string {
    return this.config.namespace;
  }

  get target(): ApiTarget {
    return { context: this.config.contextName, server: this.config.server, user: this.config.userName };
  }

  async k8s(): Promise<typeof K8s> {
    this.lib ??= await import('@kubernetes/client-node');
    return this.lib;
  }

  async kubeConfig(): Promise<K8s.KubeConfig> {
    if (!this.kc) {
      const k8s = await this.k8s();
      const kc = new k8s.KubeConfig();
      kc.loadFromString(yaml.dump(this.config.minified));
      this.kc = kc;
    }
    return this.kc;
  }

  /** A typed API client, e.g. `await kube.api(k8s => k8s.AppsV1Api)`. */
  async api<T extends K8s.ApiType>(pick: (k8s: typeof K8s) => new (config: K8s.Configuration) => T): Promise<T> {
    const k8s = await this.k8s();
    return (await this.kubeConfig()).makeApiClient(pick(k8s));
  }

  async objects(): Promise<K8s.KubernetesObjectApi> {
    if (!this.objectApi) {
      const k8s = await this.k8s();
      this.objectApi = k8s.KubernetesObjectApi.makeApiClient(await this.kubeConfig());
    }
    return this.objectApi;
  }

  /** Run one API call, counting it and mapping its failure to a KubeApiError. */
  async call<T>(op: ApiOperation, fn: () => Promise<T>): Promise<T> {
    this.requests++;
    try {
      return await fn();
    } catch (err) {
      throw mapApiError(err, op, this.target);
    }
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T> {
    const api = await this.objects();
    const namespace = ref.namespace;
    return this.call({ verb: 'get', resource: resourceName(ref.apiVersion, ref.kind), name: ref.name, namespace }, () =>
      api.read<T>({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(namespace ? { namespace } : {}) } }),
    );
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

  /** List every object of a kind, following pagination (500 a page) so large namespaces stay bounded. */
  async list<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    opts: { namespace?: string | undefined; labelSelector?: string; fieldSelector?: string } = {},
  ): Promise<T[]> {
    const api = await this.objects();
    const items: T[] = [];
    let token: string | undefined;
    do {
      const page = await this.call({ verb: 'list', resource: resourceName(apiVersion, kind), namespace: opts.namespace }, () =>
        api.list<T>(apiVersion, kind, opts.namespace, undefined, undefined, undefined, opts.fieldSelector, opts.labelSelector, 500, token),
      );
      // The list endpoint leaves apiVersion/kind off items; put them back so printers and patches can use them.
      for (const it of page.items) items.push({ ...it, apiVersion: it.apiVersion ?? apiVersion, kind: it.kind ?? kind });
      token = page.metadata?._continue || undefined;
    } while (token);
    return items;
  }

  /** Server-side apply with this plugin's field manager. */
  async apply<T extends KubeObject>(obj: T, opts: { dryRun?: DryRun; force?: boolean } = {}): Promise<T> {
    const api = await this.objects();
    const k8s = await this.k8s();
    const md = obj.metadata ?? {};
    return this.call(
      { verb: 'patch', resource: resourceName(obj.apiVersion ?? '', obj.kind ?? ''), name: md.name, namespace: md.namespace },
      () => api.patch<T>(obj, undefined, dryRunParam(opts.dryRun), this.fieldManager, opts.force ?? false, k8s.PatchStrategy.ServerSideApply),
    );
  }

  /** A merge or strategic-merge patch of one object. */
  async patch<T extends KubeObject>(
    ref: ObjectRef,
    patch: Record<string, unknown>,
    strategy: 'merge' | 'strategic' = 'merge',
    opts: { dryRun?: DryRun } = {},
  ): Promise<T> {
    const api = await this.objects();
    const k8s = await this.k8s();
    const ct = strategy === 'strategic' ? k8s.PatchStrategy.StrategicMergePatch : k8s.PatchStrategy.MergePatch;
    // KubernetesObjectApi finds the target from the body's apiVersion, kind and metadata.
    const meta = (patch['metadata'] ?? {}) as Record<string, unknown>;
    const body = { ...patch, apiVersion: ref.apiVersion, kind: ref.kind, metadata: { ...meta, name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } };
    return this.call({ verb: 'patch', resource: resourceName(ref.apiVersion, ref.kind), name: ref.name, namespace: ref.namespace }, () =>
      api.patch<T>(body as unknown as T, undefined, dryRunParam(opts.dryRun), this.fieldManager, undefined, ct),
    );
  }

  async create<T extends KubeObject>(obj: T, opts: { dryRun?: DryRun } = {}): Promise<T> {
    const api = await this.objects();
    const md = obj.metadata ?? {};
    return this.call({ verb: 'create', resource: resourceName(obj.apiVersion ?? '', obj.kind ?? ''), name: md.name, namespace: md.namespace }, () =>
      api.create<T>(obj, undefined, dryRunParam(opts.dryRun), this.fieldManager),
    );
  }

  async replace<T extends KubeObject>(obj: T, opts: { dryRun?: DryRun } = {}): Promise<T> {
    const api = await this.objects();
    const md = obj.metadata ?? {};
    return this.call({ verb: 'update', resource: resourceName(obj.apiVersion ?? '', obj.kind ?? ''), name: md.name, namespace: md.namespace }, () =>
      api.replace<T>(obj, undefined, dryRunParam(opts.dryRun), this.fieldManager),
    );
  }

  /** Delete; returns false when the object was already gone. */
  async delete(ref: ObjectRef, opts: { dryRun?: DryRun; propagation?: 'Foreground' | 'Background' | 'Orphan' } = {}): Promise<boolean> {
    const api = await this.objects();
    try {
      await this.call({ verb: 'delete', resource: resourceName(ref.apiVersion, ref.kind), name: ref.name, namespace: ref.namespace }, () =>
        api.delete(
          { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } },
          undefined,
          dryRunParam(opts.dryRun),
          undefined,
          undefined,
          opts.propagation ?? 'Background',
        ),
      );
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return false;
      throw err;
    }
  }

  /** The server's version (one GET /version); also the cheapest reachability check. */
  async serverVersion(): Promise<string> {
    const api = await this.api((k) => k.VersionApi);
    const info = await this.call({ verb: 'get', resource: 'version' }, () => api.getCode());
    return info.gitVersion;
  }
}

function dryRunParam(d: DryRun | undefined): string | undefined {
  return d === 'server' ? 'All' : undefined;
}

/**
 * Re-read and re-plan on 409 Conflict: `attempt` must read what it needs afresh each time.
 * After the last attempt the conflict is rethrown with how many attempts were made.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, attempts = 5, backoffMs = 50): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isConflict(err) || i >= attempts) {
        if (isConflict(err)) {
          const e = err as KubeApiError;
          throw new KubeApiError(`${e.message.replace(/; run the command again$/, '')} (gave up after ${i} attempts); run the command again`, e.status, e.reason, { cause: e });
        }
        throw err;
      }
      await new Promise((r) => setTimeout(r, backoffMs * i));
    }
  }
}

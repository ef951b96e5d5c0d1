// The in-memory API server's routing: which resource a path names (the kinds the client knows,
// shared/kube/resources.ts), discovery documents for them, and Status bodies as kube-apiserver words them.
import { KNOWN } from '../../shared/kube/resources.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'unknown';

/** One request as the server saw it. */
export interface ApiCall {
  verb: Verb;
  /** As kubectl prints it: deployments.apps, configmaps, leases.coordination.k8s.io. */
  resource: string;
  namespace?: string | undefined;
  name?: string | undefined;
  path: string;
  dryRun: boolean;
  contentType?: string | undefined;
  /** Answered with an error. */
  failed?: boolean;
}

export interface Resource {
  apiVersion: string;
  group: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

const RESOURCES: Resource[] = Object.entries(KNOWN).map(([key, info]) => {
  const kind = key.slice(key.lastIndexOf('/') + 1);
  const apiVersion = key.slice(0, key.lastIndexOf('/'));
  return { apiVersion, group: apiVersion.includes('/') ? apiVersion.split('/')[0] : '', kind, ...info };
});

/** The resource of a kind (every kind the client knows without discovery). */
export function resourceFor(apiVersion: string, kind: string): Resource {
  const r = RESOURCES.find((x) => x.apiVersion === apiVersion && x.kind === kind);
  if (!r) throw new Error(`memory cluster: kind ${kind} in ${apiVersion} is not served`);
  return r;
}

export type Target = { resource: Resource; namespace?: string | undefined; name?: string | undefined } | { discovery: Record<string, unknown> };

/**
 * What a path names: /api/v1[/namespaces/<ns>]/<plural>[/<name>] or /apis/<group>/<version>/...; the
 * group-version itself is its discovery document. Subresources and unserved groups are not found.
 */
export function parsePath(path: string, notServed: string[]): Target | 'not-found' {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let apiVersion: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') [apiVersion, rest] = ['v1', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 3) [apiVersion, rest] = [`${parts[1]}/${parts[2]}`, parts.slice(3)];
  else return 'not-found';
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  if (notServed.includes(group)) return 'not-found';
  const served = RESOURCES.filter((r) => r.apiVersion === apiVersion);
  if (!served.length) return 'not-found';
  if (!rest.length) {
    return {
      discovery: {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: apiVersion,
        resources: served.map((r) => ({
          name: r.plural,
          kind: r.kind,
          namespaced: r.namespaced,
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        })),
      },
    };
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
  if (rest.length > 2) return 'not-found'; // a subresource
  const resource = served.find((r) => r.plural === rest[0]);
  if (!resource || (namespace !== undefined && !resource.namespaced)) return 'not-found';
  return { resource, namespace, name: rest[1] };
}

/** A Status object, the body of every error answer. */
export function statusBody(code: number, reason: string, message: string, details: Record<string, unknown> = {}): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
}

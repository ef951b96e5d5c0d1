// Service account tokens: TokenRequest (expiring, optionally bound to an object whose deletion revokes
// them), what a token says about itself (its JWT claims, read without verifying: the API server is the
// judge of validity), and asking the API server who a token is and what it may do.
import type { Kube } from './client.js';
import type { KubeObject } from './object.js';
import type { ServerDryRun } from './object.js';

export interface TokenRequestOptions {
  namespace: string;
  serviceAccount: string;
  expirationSeconds: number;
  /** A Secret the token is bound to: deleting it (or a change of its UID) makes the token invalid. */
  boundSecret?: { name: string; uid: string } | undefined;
  audiences?: string[];
  dryRun?: ServerDryRun;
}

export interface IssuedToken {
  token: string;
  /** RFC 3339, as the API server set it (it may shorten what was asked for). */
  expirationTimestamp: string;
}

/** POST serviceaccounts/<name>/token. */
export async function requestToken(kube: Kube, o: TokenRequestOptions): Promise<IssuedToken> {
  const r = await kube.call<{ status?: { token?: string; expirationTimestamp?: string } }>(
    { verb: 'create', resource: 'serviceaccounts/token', name: o.serviceAccount, namespace: o.namespace },
    {
      method: 'POST',
      path: `/api/v1/namespaces/${encodeURIComponent(o.namespace)}/serviceaccounts/${encodeURIComponent(o.serviceAccount)}/token`,
      query: { dryRun: o.dryRun === 'server' ? 'All' : undefined },
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: o.audiences ?? [],
          expirationSeconds: o.expirationSeconds,
          ...(o.boundSecret ? { boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: o.boundSecret.name, uid: o.boundSecret.uid } } : {}),
        },
      },
    },
  );
  return { token: r.status?.token ?? '', expirationTimestamp: r.status?.expirationTimestamp ?? '' };
}

/** What a service account token says about itself. */
export interface TokenClaims {
  /** system:serviceaccount:<ns>:<name> */
  subject?: string | undefined;
  namespace?: string | undefined;
  serviceAccount?: string | undefined;
  serviceAccountUID?: string | undefined;
  /** The Secret a bound token depends on, or the Secret a legacy token lives in. */
  secret?: { name: string; uid?: string | undefined } | undefined;
  /** Seconds since the epoch; undefined for a token that never expires (legacy). */
  expiresAt?: number | undefined;
  issuedAt?: number | undefined;
  legacy: boolean;
}

type Obj = Record<string, unknown>;
const o = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});
const s = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const n = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** The claims of a JWT service account token; undefined when it is not a JWT. */
export function tokenClaims(token: string): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  let c: Obj;
  try {
    c = o(JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')));
  } catch {
    return undefined;
  }
  const k8s = o(c['kubernetes.io']);
  if (Object.keys(k8s).length) {
    const sa = o(k8s['serviceaccount']);
    const secret = o(k8s['secret']);
    return {
      subject: s(c['sub']),
      namespace: s(k8s['namespace']),
      serviceAccount: s(sa['name']),
      serviceAccountUID: s(sa['uid']),
      secret: s(secret['name']) ? { name: s(secret['name'])!, uid: s(secret['uid']) } : undefined,
      expiresAt: n(c['exp']),
      issuedAt: n(c['iat']),
      legacy: false,
    };
  }
  // A token from a kubernetes.io/service-account-token Secret (kubernetes/serviceaccount issuer).
  const ns = s(c['kubernetes.io/serviceaccount/namespace']);
  const name = s(c['kubernetes.io/serviceaccount/service-account.name']);
  const secretName = s(c['kubernetes.io/serviceaccount/secret.name']);
  return {
    subject: s(c['sub']),
    namespace: ns,
    serviceAccount: name,
    serviceAccountUID: s(c['kubernetes.io/serviceaccount/service-account.uid']),
    secret: secretName ? { name: secretName } : undefined,
    expiresAt: n(c['exp']),
    issuedAt: n(c['iat']),
    legacy: true,
  };
}

/** Who the client's credentials are (SelfSubjectReview): the user name, e.g. system:serviceaccount:ns:sa. */
export async function whoAmI(kube: Kube): Promise<{ username: string; groups: string[] }> {
  const r = await kube.call<{ status?: { userInfo?: { username?: string; groups?: string[] } } }>(
    { verb: 'create', resource: 'selfsubjectreviews.authentication.k8s.io' },
    { method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } },
  );
  return { username: r.status?.userInfo?.username ?? '', groups: r.status?.userInfo?.groups ?? [] };
}

export interface AccessQuestion {
  verb: string;
  group: string;
  resource: string;
  namespace?: string | undefined;
  name?: string | undefined;
}

/** May the client's credentials do this (SelfSubjectAccessReview, what `kubectl auth can-i` asks)? */
export async function canI(kube: Kube, q: AccessQuestion): Promise<boolean> {
  const r = await kube.call<KubeObject & { status?: { allowed?: boolean } }>(
    { verb: 'create', resource: 'selfsubjectaccessreviews.authorization.k8s.io' },
    {
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { verb: q.verb, group: q.group, resource: q.resource, namespace: q.namespace, name: q.name } },
      },
    },
  );
  return r.status?.allowed === true;
}

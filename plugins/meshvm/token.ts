// Service account tokens for VMs: a TokenRequest with audience istio-ca (what istioctl asks for), and
// reading a token's claims back (audience, subject, expiry) without trusting it.
import { CliError } from '../../shared/errors.js';
import type { Kube } from '../../shared/kube/client.js';
import type { DryRun } from '../../shared/kube/object.js';

export const ISTIO_CA_AUDIENCE = 'istio-ca';

export interface TokenClaims {
  aud: string[];
  sub: string;
  exp?: number | undefined;
  iat?: number | undefined;
  iss?: string | undefined;
}

/** The claims of a JWT, or undefined when it is not one. */
export function decodeToken(token: string): TokenClaims | undefined {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return undefined;
  try {
    const c = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
    const aud = typeof c['aud'] === 'string' ? [c['aud']] : Array.isArray(c['aud']) ? c['aud'].filter((x): x is string => typeof x === 'string') : [];
    const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
    return {
      aud,
      sub: typeof c['sub'] === 'string' ? c['sub'] : '',
      exp: num(c['exp']),
      iat: num(c['iat']),
      iss: typeof c['iss'] === 'string' ? c['iss'] : undefined,
    };
  } catch {
    return undefined;
  }
}

interface TokenRequest {
  status?: { token?: string; expirationTimestamp?: string };
}

/** POST serviceaccounts/<sa>/token: a token for the VM, audience istio-ca, valid for the given seconds. */
export async function requestToken(
  kube: Kube,
  o: { namespace: string; serviceAccount: string; seconds: number; dryRun?: DryRun },
): Promise<{ token: string; expires: string }> {
  const body = {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    metadata: { name: o.serviceAccount, namespace: o.namespace },
    spec: { audiences: [ISTIO_CA_AUDIENCE], expirationSeconds: o.seconds },
  };
  const r = await kube.call<TokenRequest>(
    { verb: 'create', resource: 'serviceaccounts/token', name: o.serviceAccount, namespace: o.namespace },
    {
      method: 'POST',
      path: `/api/v1/namespaces/${encodeURIComponent(o.namespace)}/serviceaccounts/${encodeURIComponent(o.serviceAccount)}/token`,
      query: { dryRun: o.dryRun === 'server' ? 'All' : undefined },
      body,
    },
  );
  const token = r.status?.token;
  if (!token && o.dryRun !== 'server')
    throw new CliError(`the API server issued no token for serviceaccount ${o.serviceAccount} in namespace ${o.namespace}; is the TokenRequest API enabled?`);
  return { token: token ?? '', expires: r.status?.expirationTimestamp ?? '' };
}

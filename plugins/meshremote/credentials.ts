// The reader's kubeconfig: built from the token and the cluster's CA, then tried from here with its
// own credentials, so a server istiod cannot use is said before anyone relies on it.
import { isIP } from 'node:net';
import type { CommandContext } from '../../shared/context.js';
import { KubeApiError, errorText } from '../../shared/errors.js';
import type { ResolvedConfig } from '../../shared/kube/kubeconfig.js';
import { tokenClaims, whoAmI } from '../../shared/kube/tokens.js';
import { checkKubeconfig, remoteKubeconfig, type RemoteCredentials } from '../../shared/istio/multicluster.js';
import { readFileSync } from 'node:fs';

/** Is the server's host a loopback address (as istioctl warns, only reachable from this machine)? */
export function isLoopbackServer(server: string): boolean {
  let host: string;
  try {
    host = new URL(server.includes('://') ? server : `https://${server}`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/** The CA the user's own kubeconfig trusts for this context (inline data or a file), if any. */
export function kubeconfigCA(config: ResolvedConfig): string | undefined {
  const cluster = (config.minified.clusters[0]?.['cluster'] ?? {}) as Record<string, unknown>;
  const data = cluster['certificate-authority-data'];
  if (typeof data === 'string' && data) return Buffer.from(data, 'base64').toString('utf8');
  const file = cluster['certificate-authority'];
  return typeof file === 'string' && file ? readFileSync(file, 'utf8') : undefined;
}

const TLS_TRUST = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']);

export interface Tried {
  kubeconfig: string;
  credentials: RemoteCredentials;
  /** Who the API server says the token is, when it answered. */
  user?: string | undefined;
  warnings: string[];
}

/**
 * Try a reader kubeconfig from here (SelfSubjectReview with its own token). A loopback server, or one
 * that does not answer, is a warning naming --api-server (the link may still work from where istiod
 * runs); a certificate the cluster CA does not verify is retried with the CA of the user's kubeconfig
 * (a proxy in front of the API server), which is kept when it works.
 */
export async function tryCredentials(
  ctx: CommandContext,
  link: string,
  c: RemoteCredentials,
  o: { serverFromFlag: boolean; userCA?: string | undefined; expectUser: string },
): Promise<Tried> {
  const warnings: string[] = [];
  if (!o.serverFromFlag && isLoopbackServer(c.server)) {
    warnings.push(
      `the API server address ${c.server} is a loopback address: istiod in another cluster cannot reach it there; pass --api-server with an address the primary's pods can reach`,
    );
  }
  const attempt = async (creds: RemoteCredentials) => {
    const kubeconfig = remoteKubeconfig(link, creds);
    const who = await whoAmI(ctx.kubeForKubeconfig(kubeconfig, `the kubeconfig for ${link}`));
    return { kubeconfig, credentials: creds, user: who.username };
  };
  try {
    const r = await attempt(c);
    if (r.user !== o.expectUser) warnings.push(`the API server at ${c.server} says the token is "${r.user}", not ${o.expectUser}`);
    return { ...r, warnings };
  } catch (err) {
    const code = err instanceof KubeApiError ? err.reason : (err as { code?: string }).code;
    if (!(err instanceof KubeApiError) && !TLS_TRUST.has(code ?? '')) throw err;
    if (TLS_TRUST.has(code ?? '') && o.userCA && o.userCA.trim() !== c.certificateAuthority.trim()) {
      try {
        const r = await attempt({ ...c, certificateAuthority: o.userCA });
        warnings.push(
          `the certificate of ${c.server} is not signed by the cluster's CA (kube-root-ca.crt), so the CA of your kubeconfig is written instead (a proxy in front of the API server?)`,
        );
        return { ...r, warnings };
      } catch {
        /* reported below, with the first error */
      }
    }
    if (err instanceof KubeApiError && err.status === 401) throw err;
    warnings.push(
      `${errorText(err).replace(/; is the cluster running and is this the right context\?$/, '')}; pass --api-server with an address istiod in the primary can reach`,
    );
    return { kubeconfig: remoteKubeconfig(link, c), credentials: c, warnings };
  }
}

/** When a token expires (RFC 3339, seconds), null for a legacy token that never does. */
export function tokenExpiry(token: string): string | null {
  const exp = tokenClaims(token)?.expiresAt;
  return exp === undefined ? null : new Date(exp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "2027-12-01T10:00:00Z (in 364d)", "never (legacy token)", or "expired 2d ago". */
export function describeExpiry(token: string, now: Date): string {
  const exp = tokenClaims(token)?.expiresAt;
  const when = tokenExpiry(token);
  if (exp === undefined || when === null) return 'never (a legacy token)';
  const ms = exp * 1000 - now.getTime();
  return ms >= 0 ? `${when} (in ${humanDuration(ms)})` : `${when} (expired ${humanDuration(-ms)} ago)`;
}

/** 364d, 5h, 12m, 30s: the largest unit, as kubectl's AGE column. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/**
 * The token of a stored kubeconfig, if it is the link's reader's, of the kind asked for, with more than
 * half of `durationSeconds` ahead (legacy: any), and the API server still accepts it: then a second
 * run keeps it instead of minting another.
 */
export async function reusableToken(
  ctx: CommandContext,
  stored: { kubeconfig: string; source: string },
  want: { namespace: string; serviceAccount: string; legacy: boolean; durationSeconds: number },
): Promise<string | undefined> {
  let token: string | undefined;
  try {
    token = checkKubeconfig(stored.kubeconfig, stored.source, undefined, () => '').token;
  } catch {
    return undefined;
  }
  const claims = token ? tokenClaims(token) : undefined;
  if (!token || !claims || claims.namespace !== want.namespace || claims.serviceAccount !== want.serviceAccount || claims.legacy !== want.legacy)
    return undefined;
  if (!claims.legacy && (claims.expiresAt ?? 0) * 1000 - ctx.clock.now().getTime() < (want.durationSeconds * 1000) / 2) return undefined;
  try {
    const who = await whoAmI(ctx.kubeForKubeconfig(stored.kubeconfig, stored.source));
    return who.username === claims.subject ? token : undefined;
  } catch {
    return undefined;
  }
}

// kubectl's connection flags (its ConfigFlags) applied to the kubeconfig entries a context names, with
// clientcmd's merge rules: a flag replaces the field it names when it is set (an empty string or false
// changes nothing), and a few fields travel together:
// - --insecure-skip-tls-verify or --certificate-authority replaces the cluster's whole trust setting
//   (insecure flag, CA file and CA data), so a kubeconfig CA does not fight the flag;
// - --server or --tls-server-name replaces tls-server-name (a new --server drops the kubeconfig's);
// - --client-certificate / --client-key replace both the file and the inline data.
// --token does NOT clear a kubeconfig tokenFile: client-go reads the file first, as kubectl does.
import { resolve } from 'node:path';
import type { Obj } from './fields.js';

export interface ConfigOverrides {
  /** --cluster, --user: other kubeconfig entries than the context names. */
  cluster?: string | undefined;
  user?: string | undefined;
  /** -s/--server, --tls-server-name, --insecure-skip-tls-verify, --certificate-authority, --disable-compression */
  server?: string | undefined;
  tlsServerName?: string | undefined;
  insecureSkipTlsVerify?: boolean | undefined;
  certificateAuthority?: string | undefined;
  disableCompression?: boolean | undefined;
  /** --token, --client-certificate, --client-key */
  token?: string | undefined;
  clientCertificate?: string | undefined;
  clientKey?: string | undefined;
  /** --as, --as-group (repeatable), --as-uid */
  as?: string | undefined;
  asGroups?: string[] | undefined;
  asUid?: string | undefined;
  /** --request-timeout in milliseconds (0: none). */
  requestTimeoutMs?: number | undefined;
}

const set = (v: string | undefined): v is string => v !== undefined && v !== '';

/** The cluster entry (its `cluster` mapping) with the flags applied. */
export function overrideCluster(cluster: Obj, o: ConfigOverrides): Obj {
  const c: Obj = { ...cluster };
  if (set(o.server)) c['server'] = o.server;
  if (o.disableCompression) c['disable-compression'] = 'true';
  const ca = set(o.certificateAuthority) ? resolve(o.certificateAuthority) : undefined;
  if (o.insecureSkipTlsVerify || ca) {
    delete c['certificate-authority-data'];
    delete c['certificate-authority'];
    delete c['insecure-skip-tls-verify'];
    if (o.insecureSkipTlsVerify) c['insecure-skip-tls-verify'] = 'true';
    if (ca) c['certificate-authority'] = ca;
  }
  if (set(o.tlsServerName) || set(o.server)) {
    delete c['tls-server-name'];
    if (set(o.tlsServerName)) c['tls-server-name'] = o.tlsServerName;
  }
  return c;
}

/** The user entry (its `user` mapping) with the flags applied. */
export function overrideUser(user: Obj, o: ConfigOverrides): Obj {
  const u: Obj = { ...user };
  if (set(o.token)) u['token'] = o.token;
  if (set(o.clientCertificate)) {
    delete u['client-certificate-data'];
    u['client-certificate'] = resolve(o.clientCertificate);
  }
  if (set(o.clientKey)) {
    delete u['client-key-data'];
    u['client-key'] = resolve(o.clientKey);
  }
  if (set(o.as)) u['as'] = o.as;
  if (set(o.asUid)) u['as-uid'] = o.asUid;
  if (o.asGroups && o.asGroups.length > 0) u['as-groups'] = [...o.asGroups];
  return u;
}

/** A duration as Go prints it (client-go sends --request-timeout to the server as ?timeout=<this>). */
export function goDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = `${(ms % 60_000) / 1000}s`;
  return h ? `${h}h${m}m${s}` : m ? `${m}m${s}` : s;
}

// How to reach and authenticate to the resolved context, as client-go reads the kubeconfig: the
// checks clientcmd makes before any request (one clear line each), TLS trust and the client
// certificate, impersonation, and which authenticator supplies credentials (auth.ts,
// exec-credential.ts). Nothing here sends a request; transport.ts does.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { AuthProviderAuth, NO_CREDENTIALS, StaticAuth, TokenFileAuth, type Authenticator } from './auth.js';
import { EXEC_API_VERSIONS, ExecAuthenticator, type ExecCluster, type ExecDeps } from './exec-credential.js';
import { field, flag, mapping, strings, type Obj } from './fields.js';
import type { ResolvedConfig } from './kubeconfig.js';
import { parseProxyUrl } from './proxy.js';
import { systemTrust, type Trust } from './trust.js';

export type { ExecRunner } from './exec-credential.js';

export interface TlsSettings {
  ca?: string[] | undefined;
  rejectUnauthorized: boolean;
  servername?: string | undefined;
  /** The kubeconfig's client certificate (an exec plugin's comes with each credential instead). */
  cert?: string | undefined;
  key?: string | undefined;
}

export interface Connection {
  /** Server URL without a trailing slash. */
  server: string;
  /** https: credentials and TLS apply (client-go sends no credentials to a plain http:// server). */
  secure: boolean;
  tls: TlsSettings;
  trust: Trust;
  /** Impersonate-* headers (array values are sent as repeated header lines). */
  impersonation: Record<string, string | string[]>;
  auth: Authenticator;
  /** The cluster's proxy-url, if any (else the environment's proxy settings apply). */
  proxyUrl?: string | undefined;
  /** disable-compression: do not ask for gzip. */
  disableCompression: boolean;
}

export interface ConnectionDeps extends ExecDeps {
  env: NodeJS.ProcessEnv;
}

/**
 * A server without a scheme is plain http, as client-go treats it (it then sends no credentials):
 * kubectl --server=10.0.0.1:6443 talks http to that port.
 */
export function withScheme(server: string): string {
  const s = server.replace(/\/+$/, '');
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `http://${s}`;
}

function readPem(data: string | undefined, file: string | undefined, what: string): string | undefined {
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the ${what} ${file} named in the kubeconfig: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

const entries = (config: ResolvedConfig) => ({
  cluster: mapping(config.minified.clusters[0]?.['cluster']),
  user: mapping(config.minified.users[0]?.['user']),
});

/** The checks clientcmd makes on the chosen cluster and user before any request. */
export function validateConnection(config: ResolvedConfig): void {
  const { cluster, user } = entries(config);
  const c = `cluster "${config.clusterName || 'cluster'}"`;
  const u = `user "${config.userName || 'anonymous'}"`;
  const fail = (m: string) => {
    throw new ConfigError(m);
  };
  const proxyUrl = field(cluster, 'proxy-url');
  if (proxyUrl) parseProxyUrl(proxyUrl, config.clusterName);
  if (field(cluster, 'certificate-authority') && field(cluster, 'certificate-authority-data'))
    fail(`${c} has both certificate-authority and certificate-authority-data; keep one (kubectl refuses both)`);
  if (flag(cluster, 'insecure-skip-tls-verify', c) && (field(cluster, 'certificate-authority') || field(cluster, 'certificate-authority-data')))
    fail(`${c} sets insecure-skip-tls-verify and a certificate authority; remove one (kubectl refuses both)`);
  flag(cluster, 'disable-compression', c);

  const cert = field(user, 'client-certificate') ?? field(user, 'client-certificate-data');
  const key = field(user, 'client-key') ?? field(user, 'client-key-data');
  if (field(user, 'client-certificate') && field(user, 'client-certificate-data'))
    fail(`${u} has both client-certificate and client-certificate-data; keep one (kubectl refuses both)`);
  if (field(user, 'client-key') && field(user, 'client-key-data')) fail(`${u} has both client-key and client-key-data; keep one (kubectl refuses both)`);
  if (cert && !key) fail(`${u} has a client certificate but no client-key or client-key-data; add the key (or pass --client-key)`);
  if (key && !cert) fail(`${u} has a client key but no client-certificate or client-certificate-data; add the certificate (or pass --client-certificate)`);
  if (field(user, 'token') && (field(user, 'username') || field(user, 'password')))
    fail(`${u} has more than one authentication method (token and username/password); keep one (kubectl refuses both)`);
  if (!field(user, 'as') && (field(user, 'as-uid') || strings(user['as-groups']).length || Object.keys(mapping(user['as-user-extra'])).length))
    fail(`${u} asks for impersonated groups, uid or extras without a user to impersonate; add --as (or "as" in the kubeconfig)`);

  if (user['exec'] !== undefined) {
    const exec = mapping(user['exec']);
    if (user['auth-provider'] !== undefined) fail(`${u} has both an exec plugin and an auth-provider; keep one (kubectl refuses both)`);
    if (!field(exec, 'command')) fail(`the exec credential plugin of ${u} has no command`);
    const apiVersion = field(exec, 'apiVersion');
    if (!apiVersion) fail(`the exec credential plugin of ${u} has no apiVersion; use ${EXEC_API_VERSIONS[0]}`);
    if (!EXEC_API_VERSIONS.includes(apiVersion!))
      fail(`the exec credential plugin of ${u} has apiVersion "${apiVersion}"; use one of ${EXEC_API_VERSIONS.join(', ')}`);
    for (const e of Array.isArray(exec['env']) ? (exec['env'] as unknown[]).map(mapping) : []) {
      if (!field(e, 'name')) fail(`the exec credential plugin of ${u} has an env entry without a name`);
    }
    const mode = field(exec, 'interactiveMode');
    if (mode === undefined && apiVersion === EXEC_API_VERSIONS[0])
      fail(`the exec credential plugin of ${u} has no interactiveMode; set it to Never, IfAvailable or Always (${apiVersion} requires it)`);
    if (mode !== undefined && !['Never', 'IfAvailable', 'Always'].includes(mode))
      fail(`the exec credential plugin of ${u} has interactiveMode "${mode}"; use Never, IfAvailable or Always`);
  }
}

/** kubeconfig `as`, `as-groups`, `as-uid`, `as-user-extra`: act as another user, as kubectl --as does. */
function impersonation(user: Obj): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = {};
  const as = field(user, 'as');
  if (!as) return h;
  h['Impersonate-User'] = as;
  const uid = field(user, 'as-uid');
  if (uid) h['Impersonate-Uid'] = uid;
  const groups = strings(user['as-groups']);
  if (groups.length) h['Impersonate-Group'] = groups;
  for (const [k, v] of Object.entries(mapping(user['as-user-extra']))) {
    const values = Array.isArray(v) ? strings(v) : typeof v === 'string' ? [v] : [];
    if (values.length) h[`Impersonate-Extra-${encodeURIComponent(k)}`] = values;
  }
  return h;
}

/** The cluster as an exec plugin with provideClusterInfo sees it. */
function execCluster(config: ResolvedConfig, cluster: Obj): ExecCluster {
  const ca = readPem(field(cluster, 'certificate-authority-data'), field(cluster, 'certificate-authority'), 'certificate authority');
  const extension = (Array.isArray(cluster['extensions']) ? (cluster['extensions'] as unknown[]) : [])
    .map(mapping)
    .find((e) => e['name'] === 'client.authentication.k8s.io/exec');
  const where = `cluster "${config.clusterName}"`;
  return {
    server: config.server,
    ...(field(cluster, 'tls-server-name') ? { 'tls-server-name': field(cluster, 'tls-server-name') } : {}),
    ...(flag(cluster, 'insecure-skip-tls-verify', where) ? { 'insecure-skip-tls-verify': true } : {}),
    ...(ca ? { 'certificate-authority-data': Buffer.from(ca).toString('base64') } : {}),
    ...(field(cluster, 'proxy-url') ? { 'proxy-url': field(cluster, 'proxy-url') } : {}),
    ...(flag(cluster, 'disable-compression', where) ? { 'disable-compression': true } : {}),
    ...(extension && extension['extension'] !== undefined ? { config: extension['extension'] } : {}),
  };
}

function authenticator(config: ResolvedConfig, user: Obj, cluster: Obj, staticCert: boolean, deps: ConnectionDeps): Authenticator {
  const name = config.userName || 'anonymous';
  const token = field(user, 'token');
  const tokenFile = field(user, 'tokenFile');
  if (tokenFile) return new TokenFileAuth(tokenFile, token, name, deps.now);
  if (token) return new StaticAuth({ headers: { Authorization: `Bearer ${token}` } });
  const username = field(user, 'username');
  const password = field(user, 'password');
  if (username || password)
    return new StaticAuth({ headers: { Authorization: `Basic ${Buffer.from(`${username ?? ''}:${password ?? ''}`).toString('base64')}` } });
  // client-go skips the exec plugin when the kubeconfig already authenticates (a token, basic auth or a client certificate).
  if (user['exec'] !== undefined && !staticCert) return new ExecAuthenticator(mapping(user['exec']), execCluster(config, cluster), name, deps);
  if (user['auth-provider'] !== undefined) return new AuthProviderAuth(mapping(user['auth-provider']), name, config.server);
  return new StaticAuth(NO_CREDENTIALS);
}

/** Everything needed to reach and authenticate to the resolved context (files it names are read now). */
export function connectionFor(config: ResolvedConfig, deps: ConnectionDeps): Connection {
  validateConnection(config);
  const { cluster, user } = entries(config);
  const server = withScheme(config.server);
  const secure = server.startsWith('https://');
  const where = `cluster "${config.clusterName}"`;
  const insecure = flag(cluster, 'insecure-skip-tls-verify', where);
  const kubeconfigCa = readPem(field(cluster, 'certificate-authority-data'), field(cluster, 'certificate-authority'), 'certificate authority');
  const trust: Trust = kubeconfigCa
    ? { ca: [kubeconfigCa], source: 'kubeconfig', where: `the kubeconfig's certificate authority for ${where}` }
    : insecure || !secure
      ? { source: 'node', where: 'none (insecure-skip-tls-verify)' }
      : systemTrust(deps.env);
  const cert = secure ? readPem(field(user, 'client-certificate-data'), field(user, 'client-certificate'), 'client certificate') : undefined;
  const key = secure ? readPem(field(user, 'client-key-data'), field(user, 'client-key'), 'client key') : undefined;
  const tls: TlsSettings = {
    ...(trust.ca ? { ca: trust.ca } : {}),
    rejectUnauthorized: !insecure,
    ...(field(cluster, 'tls-server-name') ? { servername: field(cluster, 'tls-server-name') } : {}),
    ...(cert && key ? { cert, key } : {}),
  };
  return {
    server,
    secure,
    tls,
    trust,
    impersonation: impersonation(user),
    auth: secure ? authenticator(config, user, cluster, Boolean(cert && key), deps) : new StaticAuth(NO_CREDENTIALS),
    proxyUrl: field(cluster, 'proxy-url'),
    disableCompression: flag(cluster, 'disable-compression', where),
  };
}

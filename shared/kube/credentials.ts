// TLS settings and credentials for one kubeconfig context, as client-go reads them: CA and client
// certificates (inline data or files), bearer tokens (inline or tokenFile, re-read each run), basic
// auth, and exec credential plugins (aws eks get-token, gke-gcloud-auth-plugin, kubelogin, ...).
// The rarer cases (legacy auth-provider entries, proxy-url) are handed to @kubernetes/client-node,
// loaded only then, because loading it costs more than half a second.
import { readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import yaml from 'js-yaml';
import { ConfigError } from '../errors.js';
import type { ResolvedConfig } from './kubeconfig.js';

type Obj = Record<string, unknown>;

export interface Connection {
  /** Server URL without a trailing slash. */
  server: string;
  tls: Pick<RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>;
  /** Array values are sent as repeated header lines. */
  headers: Record<string, string | string[]>;
  /** Set when the connection came from client-node (it may supply its own agent, e.g. for a proxy). */
  agent?: RequestOptions['agent'];
}

/** Runs a credential plugin: its stderr goes to the user (login prompts), stdout is returned. */
export interface ExecRunner {
  (command: string, args: string[], env: Record<string, string>, interactive: boolean): Promise<string>;
}

const str = (o: Obj, k: string): string | undefined => (typeof o[k] === 'string' && o[k] !== '' ? o[k] : undefined);

function readPem(data: string | undefined, file: string | undefined, what: string): string | undefined {
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the ${what} ${file} named in the kubeconfig: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Does this context need client-node's credential handling? */
export function needsClientNode(config: ResolvedConfig): boolean {
  const user = (config.minified.users[0]?.['user'] ?? {}) as Obj;
  const cluster = (config.minified.clusters[0]?.['cluster'] ?? {}) as Obj;
  return user['auth-provider'] !== undefined || str(cluster, 'proxy-url') !== undefined;
}

interface ExecStatus {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
}

/** Run an exec credential plugin (client.authentication.k8s.io) and read its ExecCredential status. */
async function execCredential(exec: Obj, config: ResolvedConfig, run: ExecRunner, interactive: boolean): Promise<ExecStatus> {
  const command = str(exec, 'command');
  if (!command) throw new ConfigError(`user "${config.userName}" has an exec credential plugin without a command`);
  const apiVersion = str(exec, 'apiVersion') ?? 'client.authentication.k8s.io/v1';
  const args = Array.isArray(exec['args']) ? (exec['args'] as unknown[]).map(String) : [];
  const env: Record<string, string> = {};
  for (const e of Array.isArray(exec['env']) ? (exec['env'] as Obj[]) : [])
    if (str(e, 'name')) env[e['name'] as string] = typeof e['value'] === 'string' ? e['value'] : '';
  const mode = str(exec, 'interactiveMode') ?? 'IfAvailable';
  const canAsk = mode === 'Always' || (mode === 'IfAvailable' && interactive);
  env['KUBERNETES_EXEC_INFO'] = JSON.stringify({ apiVersion, kind: 'ExecCredential', spec: { interactive: canAsk } });
  let out: string;
  try {
    out = await run(command, args, env, canAsk);
  } catch (err) {
    // Only the command's name and why it failed: its arguments may hold secrets.
    const hint = str(exec, 'installHint');
    const why =
      (err as { shortMessage?: string; code?: string }).code === 'ENOENT'
        ? 'not found on PATH'
        : ((err as Error).message.split('\n')[0] ?? '').replace(/^Command (failed|was killed|timed out)[^:]*: .*$/, (m) =>
            m.split(':')[0].replace(/^Command /, ''),
          );
    throw new ConfigError(`the credential plugin "${command}" for user "${config.userName}" failed: ${why}${hint ? `; ${hint.trim().split('\n')[0]}` : ''}`);
  }
  let status: ExecStatus | undefined;
  try {
    status = (JSON.parse(out) as { status?: ExecStatus }).status;
  } catch {
    /* reported below */
  }
  if (!status || (!status.token && !status.clientCertificateData)) {
    throw new ConfigError(`the credential plugin "${command}" for user "${config.userName}" did not print an ExecCredential with a token or certificate`);
  }
  return status;
}

/** The connection for the resolved context (pure over the kubeconfig but for files and plugins it names). */
export async function connectionFor(config: ResolvedConfig, run: ExecRunner, interactive = false): Promise<Connection> {
  if (needsClientNode(config)) return clientNodeConnection(config);
  const cluster = (config.minified.clusters[0]?.['cluster'] ?? {}) as Obj;
  const user = (config.minified.users[0]?.['user'] ?? {}) as Obj;
  const server = withScheme(config.server);
  const insecure = String(cluster['insecure-skip-tls-verify']) === 'true';
  const ca = readPem(str(cluster, 'certificate-authority-data'), str(cluster, 'certificate-authority'), 'certificate authority');
  const tls: Connection['tls'] = {
    ...(ca ? { ca } : {}),
    rejectUnauthorized: !insecure,
    ...(str(cluster, 'tls-server-name') ? { servername: str(cluster, 'tls-server-name') } : {}),
  };
  const cert = readPem(str(user, 'client-certificate-data'), str(user, 'client-certificate'), 'client certificate');
  const key = readPem(str(user, 'client-key-data'), str(user, 'client-key'), 'client key');
  if (cert && key) Object.assign(tls, { cert, key });
  const headers: Record<string, string | string[]> = {};
  const token = str(user, 'token') ?? (str(user, 'tokenFile') ? readPem(undefined, str(user, 'tokenFile'), 'token file')?.trim() : undefined);
  if (token) headers['Authorization'] = `Bearer ${token}`;
  else if (str(user, 'username'))
    headers['Authorization'] = `Basic ${Buffer.from(`${str(user, 'username')}:${str(user, 'password') ?? ''}`).toString('base64')}`;
  if (typeof user['exec'] === 'object' && user['exec'] !== null && !headers['Authorization'] && !tls.cert) {
    const s = await execCredential(user['exec'] as Obj, config, run, interactive);
    if (s.token) headers['Authorization'] = `Bearer ${s.token}`;
    if (s.clientCertificateData && s.clientKeyData) Object.assign(tls, { cert: s.clientCertificateData, key: s.clientKeyData });
  }
  Object.assign(headers, impersonation(user));
  return { server, tls, headers };
}

/** A server without a scheme is https, as client-go assumes. */
export function withScheme(server: string): string {
  const s = server.replace(/\/+$/, '');
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `https://${s}`;
}

/** kubeconfig `as`, `as-groups`, `as-uid`: act as another user, as kubectl --as does. */
function impersonation(user: Obj): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = {};
  if (str(user, 'as')) h['Impersonate-User'] = str(user, 'as')!;
  if (str(user, 'as-uid')) h['Impersonate-Uid'] = str(user, 'as-uid')!;
  const groups = Array.isArray(user['as-groups']) ? (user['as-groups'] as unknown[]).map(String) : [];
  if (groups.length) h['Impersonate-Group'] = groups;
  return h;
}

async function clientNodeConnection(config: ResolvedConfig): Promise<Connection> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromString(yaml.dump(config.minified));
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = Array.isArray(v) ? v.map(String) : String(v);
  return {
    server: withScheme(config.server),
    tls: {
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      rejectUnauthorized: opts.rejectUnauthorized ?? true,
      ...(opts.servername ? { servername: opts.servername } : {}),
    },
    headers,
    ...(opts.agent ? { agent: opts.agent } : {}),
  };
}

// Exec credential plugins (aws eks get-token, gke-gcloud-auth-plugin, kubelogin, ...) as client-go runs
// them: the ExecCredential the plugin prints is kept until its expirationTimestamp, the plugin runs again
// when it has expired or when the server answers 401 to the credential it gave, and only one run is in
// flight at a time (a plugin may prompt). KUBERNETES_EXEC_INFO carries spec.interactive (stdin is a
// terminal and the mode allows it) and, with provideClusterInfo, the cluster as client-go builds it.
import { ConfigError } from '../errors.js';
import { field, flag, mapping, strings, type Obj } from './fields.js';
import type { Authenticator, Credentials } from './auth.js';

/** Runs a credential plugin: its stderr goes to the user (login prompts), stdout is returned. */
export interface ExecRunner {
  (command: string, args: string[], env: Record<string, string>, interactive: boolean): Promise<string>;
}

export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];

/** The cluster as an exec plugin sees it (client-go's clientauthentication Cluster, JSON names). */
export interface ExecCluster {
  server: string;
  'tls-server-name'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'certificate-authority-data'?: string;
  'proxy-url'?: string;
  'disable-compression'?: boolean;
  config?: unknown;
}

interface ExecStatus {
  expirationTimestamp?: string;
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
}

export interface ExecDeps {
  run: ExecRunner;
  /** Standard input is a terminal (client-go's test for whether a plugin may prompt). */
  stdinTerminal: boolean;
  now: () => number;
}

/** interactiveMode as client-go decides it; Always without a terminal is refused. */
export function execInteractive(exec: Obj, user: string, stdinTerminal: boolean): boolean {
  const mode = field(exec, 'interactiveMode');
  if (mode === 'Never') return false;
  // v1beta1 defaults to IfAvailable; v1 requires the field (checked with the rest of the kubeconfig).
  if (mode === 'IfAvailable' || mode === undefined) return stdinTerminal;
  if (!stdinTerminal) {
    throw new ConfigError(
      `the credential plugin "${field(exec, 'command') ?? ''}" for user "${user}" must ask on a terminal (interactiveMode: Always), but standard input is not a terminal; run the command from a terminal, or log in with the plugin first`,
    );
  }
  return true;
}

export class ExecAuthenticator implements Authenticator {
  private cached: { creds: Credentials; expiresAt: number | undefined } | undefined;
  private running: Promise<Credentials> | undefined;

  constructor(
    private readonly exec: Obj,
    private readonly cluster: ExecCluster,
    private readonly user: string,
    private readonly deps: ExecDeps,
  ) {}

  private get command(): string {
    return field(this.exec, 'command') ?? '';
  }

  async current(): Promise<Credentials> {
    const c = this.cached;
    if (c && (c.expiresAt === undefined || this.deps.now() < c.expiresAt)) return c.creds;
    return this.runOnce();
  }

  async refresh(used: Credentials): Promise<boolean> {
    // Another request already rotated the credential: retry with that one.
    if (this.cached && this.cached.creds !== used) return true;
    this.cached = undefined;
    await this.runOnce();
    return true;
  }

  private runOnce(): Promise<Credentials> {
    this.running ??= this.runPlugin().finally(() => (this.running = undefined));
    return this.running;
  }

  private async runPlugin(): Promise<Credentials> {
    const apiVersion = field(this.exec, 'apiVersion') ?? '';
    const interactive = execInteractive(this.exec, this.user, this.deps.stdinTerminal);
    const env: Record<string, string> = {};
    for (const e of Array.isArray(this.exec['env']) ? (this.exec['env'] as unknown[]).map(mapping) : []) {
      const name = field(e, 'name');
      if (name) env[name] = typeof e['value'] === 'string' ? e['value'] : '';
    }
    const provide = flag(this.exec, 'provideClusterInfo', `the exec plugin of user "${this.user}"`);
    env['KUBERNETES_EXEC_INFO'] = JSON.stringify({
      kind: 'ExecCredential',
      apiVersion,
      spec: { ...(provide ? { cluster: this.cluster } : {}), interactive },
    });
    let out: string;
    try {
      out = await this.deps.run(this.command, strings(this.exec['args']), env, interactive);
    } catch (err) {
      throw this.failure(err);
    }
    const status = this.parse(out, apiVersion);
    const expiresAt = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : undefined;
    if (expiresAt !== undefined && Number.isNaN(expiresAt)) {
      throw this.problem(`printed an expirationTimestamp that is not a time: ${JSON.stringify(status.expirationTimestamp)}`);
    }
    const creds: Credentials = {
      headers: status.token ? { Authorization: `Bearer ${status.token}` } : {},
      ...(status.clientCertificateData && status.clientKeyData ? { cert: { cert: status.clientCertificateData, key: status.clientKeyData } } : {}),
    };
    this.cached = { creds, expiresAt };
    return creds;
  }

  private parse(out: string, apiVersion: string): ExecStatus {
    let doc: { apiVersion?: unknown; kind?: unknown; status?: unknown };
    try {
      doc = JSON.parse(out) as typeof doc;
    } catch {
      throw this.problem('did not print an ExecCredential (its output is not JSON)');
    }
    if (doc.apiVersion !== apiVersion) {
      throw this.problem(`printed apiVersion ${JSON.stringify(doc.apiVersion ?? '')}, but the kubeconfig says ${apiVersion}`);
    }
    if (doc.kind !== undefined && doc.kind !== 'ExecCredential') throw this.problem(`printed a ${JSON.stringify(doc.kind)}, not an ExecCredential`);
    const status = typeof doc.status === 'object' && doc.status !== null ? (doc.status as ExecStatus) : undefined;
    if (!status) throw this.problem('did not print an ExecCredential with a status');
    if (!status.token && !status.clientCertificateData && !status.clientKeyData)
      throw this.problem('did not print an ExecCredential with a token or certificate');
    if (!status.clientCertificateData !== !status.clientKeyData) throw this.problem('printed only a client certificate or only its key, not both');
    return status;
  }

  private problem(what: string): ConfigError {
    return new ConfigError(`the credential plugin "${this.command}" for user "${this.user}" ${what}`);
  }

  /** Only the command's name and why it failed: its arguments may hold secrets. */
  private failure(err: unknown): ConfigError {
    if (err instanceof ConfigError) return err;
    const hint = field(this.exec, 'installHint');
    const why =
      (err as { code?: string }).code === 'ENOENT'
        ? 'not found on PATH'
        : ((err as Error).message.split('\n')[0] ?? '').replace(/^Command (failed|was killed|timed out)[^:]*: .*$/, (m) =>
            m.split(':')[0].replace(/^Command /, ''),
          );
    return new ConfigError(`the credential plugin "${this.command}" for user "${this.user}" failed: ${why}${hint ? `; ${hint.trim().split('\n')[0]}` : ''}`);
  }
}

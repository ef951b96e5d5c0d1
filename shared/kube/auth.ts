// Where a request's credentials come from, each as client-go gets them: a static bearer token or basic
// auth; a token file, re-read about once a minute and at once after a 401 (rotated service-account
// tokens), falling back to `token` while the file cannot be read; an exec plugin (exec-credential.ts);
// or a legacy auth-provider entry (only oidc still exists in kubectl; client-node does that one).
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { field, type Obj } from './fields.js';

/** What a request carries to authenticate: headers, and a client certificate for the TLS handshake. */
export interface Credentials {
  headers: Record<string, string>;
  cert?: { cert: string; key: string } | undefined;
}

export interface Authenticator {
  /** The credentials for the next request. */
  current(): Promise<Credentials>;
  /** The server answered 401 to `used`: refresh; true when a retry with new credentials is worthwhile. */
  refresh(used: Credentials): Promise<boolean>;
}

export const NO_CREDENTIALS: Credentials = { headers: {} };

/** Token, basic auth, or nothing: fixed for the process. */
export class StaticAuth implements Authenticator {
  constructor(private readonly creds: Credentials) {}
  current(): Promise<Credentials> {
    return Promise.resolve(this.creds);
  }
  refresh(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

/** client-go's cached file token source: a one-minute period with ten seconds' leeway. */
const TOKEN_FILE_MAX_AGE_MS = 50_000;

export class TokenFileAuth implements Authenticator {
  private token: string | undefined;
  private readAt = -Infinity;
  private creds: Credentials | undefined;

  constructor(
    private readonly file: string,
    private readonly fallback: string | undefined,
    private readonly user: string,
    private readonly now: () => number,
  ) {}

  private read(): void {
    try {
      const t = readFileSync(this.file, 'utf8').trim();
      if (t === '') throw Object.assign(new Error('the file is empty'), { code: 'empty' });
      if (t !== this.token) this.creds = undefined;
      this.token = t;
      this.readAt = this.now();
    } catch (err) {
      // Keep the last token read; without one, fall back to `token`; without that, fail as kubectl does.
      if (this.token === undefined && this.fallback === undefined) {
        throw new ConfigError(
          `cannot read the tokenFile ${this.file} of user "${this.user}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
    }
  }

  current(): Promise<Credentials> {
    if (this.now() - this.readAt >= TOKEN_FILE_MAX_AGE_MS) this.read();
    const token = this.token ?? this.fallback ?? '';
    this.creds ??= { headers: { Authorization: `Bearer ${token}` } };
    return Promise.resolve(this.creds);
  }

  async refresh(used: Credentials): Promise<boolean> {
    this.read();
    return (await this.current()).headers['Authorization'] !== used.headers['Authorization'];
  }
}

const REMOVED_PROVIDERS: Record<string, string> = {
  gcp: 'the gcp auth-provider was removed from kubectl; use the gke-gcloud-auth-plugin exec plugin instead',
  azure: 'the azure auth-provider was removed from kubectl; use the kubelogin exec plugin instead',
};

/**
 * A legacy auth-provider entry: oidc through @kubernetes/client-node (loaded only for it), which uses
 * the id-token until its exp claim passes and then refreshes it with the refresh-token at the issuer.
 * (kubectl also writes refreshed tokens back to the kubeconfig; client-node keeps them in memory.)
 */
export class AuthProviderAuth implements Authenticator {
  private kc: Promise<{ applyToHTTPSOptions(o: { headers?: Record<string, unknown> }): Promise<void> }> | undefined;
  private creds: Credentials | undefined;

  constructor(
    private readonly provider: Obj,
    private readonly user: string,
    private readonly server: string,
  ) {
    const name = field(provider, 'name') ?? '';
    if (REMOVED_PROVIDERS[name]) throw new ConfigError(`user "${user}": ${REMOVED_PROVIDERS[name]}`);
    if (name !== 'oidc') throw new ConfigError(`user "${user}" names auth-provider "${name}", which kubectl does not know; use an exec credential plugin`);
  }

  private async load() {
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    const config = typeof this.provider['config'] === 'object' && this.provider['config'] !== null ? { ...(this.provider['config'] as Obj) } : {};
    kc.loadFromClusterAndUser({ name: 'cluster', server: this.server, skipTLSVerify: false }, { name: this.user, authProvider: { name: 'oidc', config } });
    return kc;
  }

  async current(): Promise<Credentials> {
    const kc = await (this.kc ??= this.load());
    const opts: { headers?: Record<string, unknown> } = {};
    await kc.applyToHTTPSOptions(opts);
    const auth = opts.headers?.['Authorization'];
    const header = typeof auth === 'string' ? auth : undefined;
    if (!this.creds || this.creds.headers['Authorization'] !== header) this.creds = { headers: header ? { Authorization: header } : {} };
    return this.creds;
  }

  async refresh(used: Credentials): Promise<boolean> {
    return (await this.current()).headers['Authorization'] !== used.headers['Authorization'];
  }
}

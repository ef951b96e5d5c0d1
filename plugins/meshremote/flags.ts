// meshremote's flags, declared and read in one place so every command spells and checks them alike.
import type { Argv } from 'yargs';
import { bool, requiredStr, str, strList, type Args } from '../../shared/cli/command.js';
import { readTimeout } from '../../shared/cli/flags.js';
import { ConfigError, UsageError, ValidationError } from '../../shared/errors.js';
import type { CommandContext } from '../../shared/context.js';
import { DEFAULT_ISTIO_NAMESPACE } from '../../shared/istio/multicluster.js';
import { dnsLabel, duration } from '../../shared/validate.js';
import { READERS, type Reader } from './reader.js';

/** The link's name: the cluster ID istiod will know the remote by (a DNS-1123 label, as istioctl requires). */
export function linkArg(args: Args): string {
  return dnsLabel(requiredStr(args, 'name'), 'cluster name');
}

export function istioNamespaceFlag(y: Argv): Argv {
  return y.option('istio-namespace', {
    alias: 'i',
    type: 'string',
    default: DEFAULT_ISTIO_NAMESPACE,
    describe: 'The namespace Istio runs in (remote secrets and the reader account live there)',
  });
}

/**
 * --istio-namespace. The remote secret always goes there, since istiod reads it nowhere else: -n naming
 * another namespace is a usage error rather than a secret istiod never sees (istioctl's gotcha).
 */
export function readIstioNamespace(args: Args): string {
  const ns = dnsLabel(str(args, 'istio-namespace') ?? DEFAULT_ISTIO_NAMESPACE, '--istio-namespace');
  const n = str(args, 'namespace');
  if (n !== undefined && n !== '' && n !== ns) {
    throw new UsageError(
      `-n ${n}: meshremote works in the Istio namespace (${ns}), where istiod reads remote secrets; use --istio-namespace if Istio runs elsewhere`,
    );
  }
  return ns;
}

export function remoteContextFlag(y: Argv, describe: string, array = false): Argv {
  return y.option('remote-context', { type: 'string', array, describe });
}

export function readRemoteContext(args: Args, required: boolean): string | undefined {
  const v = str(args, 'remote-context');
  if (required && !v) throw new UsageError('--remote-context is required: the kubeconfig context of the remote cluster');
  return v || undefined;
}

/**
 * Before any request: the remote context must exist in the kubeconfig and differ from the primary's
 * (a usage error otherwise). Returns the primary's context name.
 */
export function checkRemoteContext(ctx: CommandContext, remote: string): string {
  const primary = ctx.config().contextName;
  if (primary === remote) throw new UsageError(`--remote-context ${remote} is the primary's context too (--context): name the remote cluster's context`);
  try {
    ctx.kubeFor(remote);
  } catch (err) {
    if (err instanceof ConfigError && /not found/.test(err.message)) throw new UsageError(`--remote-context: ${err.message}`);
    throw err;
  }
  return primary;
}

export function readRemoteContexts(args: Args): string[] {
  const list = strList(args, 'remote-context').filter(Boolean);
  const dup = list.find((c, i) => list.indexOf(c) !== i);
  if (dup) throw new UsageError(`--remote-context ${dup} is given twice`);
  return list;
}

const MIN_TOKEN_SECONDS = 600; // the API server's minimum for a TokenRequest
export const DEFAULT_TOKEN_DURATION = '8760h';

export function tokenFlags(y: Argv): Argv {
  return y
    .option('token-duration', {
      type: 'string',
      describe: `How long the reader's token is valid (TokenRequest; at least 10m; default ${DEFAULT_TOKEN_DURATION}); renew it with 'rotate'`,
    })
    .option('legacy-token', {
      type: 'boolean',
      default: false,
      describe: 'A non-expiring token from a service-account-token Secret, as istioctl create-remote-secret makes (revoked by deleting that Secret)',
    });
}

export interface TokenChoice {
  legacy: boolean;
  durationSeconds: number;
  /** --token-duration or --legacy-token was given (rotate keeps the link's kind otherwise). */
  explicit: boolean;
}

export function readTokenChoice(args: Args): TokenChoice {
  const legacy = bool(args, 'legacy-token');
  const given = str(args, 'token-duration');
  if (legacy && given !== undefined) throw new UsageError('--legacy-token and --token-duration do not go together: a legacy token never expires');
  const ms = duration(given ?? DEFAULT_TOKEN_DURATION, '--token-duration');
  if (ms < MIN_TOKEN_SECONDS * 1000) throw new ValidationError(`--token-duration ${given} is shorter than the API server's minimum of 10m`);
  return { legacy, durationSeconds: Math.round(ms / 1000), explicit: legacy || given !== undefined };
}

export function readerFlags(y: Argv): Argv {
  return y.option('reader', {
    type: 'string',
    default: 'istio',
    describe:
      "The reader's rights: istio (Istio's reader role) or minimal (what service discovery reads: no Secrets or ConfigMaps; what that costs is printed)",
  });
}

export function readReader(args: Args): { reader: Reader } {
  const r = str(args, 'reader') ?? 'istio';
  if (!(READERS as readonly string[]).includes(r)) throw new UsageError(`--reader ${r}: use ${READERS.join(' or ')}`);
  return { reader: r as Reader };
}

export function apiServerFlags(y: Argv): Argv {
  return y
    .option('api-server', {
      type: 'string',
      describe:
        "The remote API server's address as istiod in the primary reaches it (default: the context's server); -s/--server is where this command connects",
    })
    .option('api-server-tls-name', {
      type: 'string',
      describe: "The name istiod checks the remote API server's certificate against, when --api-server is an address it does not name",
    });
}

export function readApiServer(args: Args): { apiServer?: string | undefined; tlsServerName?: string | undefined } {
  const v = str(args, 'api-server');
  const tlsServerName = str(args, 'api-server-tls-name') || undefined;
  if (tlsServerName !== undefined) dnsName(tlsServerName);
  if (v === undefined || v === '') return { tlsServerName };
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new ValidationError(`--api-server "${v}" is not a URL: use https://<host>:<port>`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ValidationError(`--api-server "${v}" must be an https:// URL`);
  if (url.search || url.hash || url.username) throw new ValidationError(`--api-server "${v}" must have no query, fragment or credentials`);
  return { apiServer: v.replace(/\/+$/, ''), tlsServerName };
}

function dnsName(v: string): void {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/i.test(v) || v.length > 253) throw new ValidationError(`--api-server-tls-name "${v}" is not a DNS name`);
}

export function waitFlags(y: Argv, fallback = '2m'): Argv {
  return y
    .option('wait', { type: 'boolean', default: true, describe: 'Wait until istiod in the primary reflects the change (its /debug/clusterz)' })
    .option('timeout', { type: 'string', default: fallback, describe: 'How long to wait for istiod' });
}

export function readWait(args: Args): { wait: boolean; timeoutMs: number } {
  return { wait: args['wait'] !== false, timeoutMs: readTimeout(args) };
}

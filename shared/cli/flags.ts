// Flags shared across commands, named and shaped as kubectl's.
import type { Argv } from 'yargs';
import type { Args } from './command.js';
import { scalarText, str, strList } from './command.js';
import { UsageError } from '../errors.js';
import { dnsLabel, integer, waitDuration } from '../validate.js';
import { describeFormats, OUTPUT_FORMATS, parseOutputFormat, type FormatName } from '../output/format.js';
import type { OutputFormat } from '../output/format.js';
import type { DryRun } from '../kube/object.js';
import type { ConnectionFlags } from '../kube/kubeconfig.js';

/** kubectl's connection flags (its ConfigFlags), accepted by every command and applied to the kubeconfig. */
const CONNECTION_FLAGS = {
  kubeconfig: { type: 'string', describe: 'Path to the kubeconfig file to use' },
  context: { type: 'string', describe: 'The name of the kubeconfig context to use' },
  namespace: { alias: 'n', type: 'string', describe: 'The namespace scope for this request' },
  cluster: { type: 'string', describe: 'The name of the kubeconfig cluster to use' },
  user: { type: 'string', describe: 'The name of the kubeconfig user to use' },
  server: { alias: 's', type: 'string', describe: 'The address and port of the Kubernetes API server' },
  token: { type: 'string', describe: 'Bearer token for authentication to the API server' },
  as: { type: 'string', describe: 'Username to impersonate for the operation' },
  'as-group': { type: 'string', describe: 'Group to impersonate for the operation (repeatable)' },
  'as-uid': { type: 'string', describe: 'UID to impersonate for the operation' },
  'request-timeout': { type: 'string', describe: 'How long to wait for a single server request (e.g. 1s, 2m; 0: no limit)' },
  'insecure-skip-tls-verify': { type: 'boolean', describe: "Do not check the server's certificate (insecure)" },
  'tls-server-name': { type: 'string', describe: "Server name to check the server's certificate against" },
  'certificate-authority': { type: 'string', describe: 'Path to a cert file for the certificate authority' },
  'client-certificate': { type: 'string', describe: 'Path to a client certificate file for TLS' },
  'client-key': { type: 'string', describe: 'Path to a client key file for TLS' },
  'disable-compression': { type: 'boolean', describe: 'Do not ask the server for compressed responses' },
} as const;

/** Connection and display flags every command takes (kubectl's ConfigFlags plus -v and --no-color). */
export function globalFlags(y: Argv): Argv {
  let g = y
    .option('v', { alias: 'verbose', type: 'count', describe: 'More detail (stack traces on errors with -v)', global: true })
    .option('color', { type: 'boolean', default: true, describe: 'Colour output (--no-color, or NO_COLOR, turns it off)', global: true })
    // Named first so a command's own flags are listed before the long list of connection flags.
    .group(['v', 'color'], 'Options:');
  for (const [name, spec] of Object.entries(CONNECTION_FLAGS)) g = g.option(name, { ...spec, global: true });
  return g.group(Object.keys(CONNECTION_FLAGS), 'Connection flags (as kubectl):');
}

/**
 * The connection flags in an argv as typed (-n ns, --context=x, --kubeconfig x...), in their order:
 * a command printed to finish or undo a change must reach the same cluster and namespace.
 */
export function connectionArgv(argv: readonly string[]): string[] {
  const spec = CONNECTION_FLAGS as Record<string, { alias?: string; type: string }>;
  const byName = new Map<string, string>();
  for (const [name, s] of Object.entries(spec)) {
    byName.set(`--${name}`, s.type);
    if (s.alias) byName.set(`-${s.alias}`, s.type);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    const eq = a.indexOf('=');
    const type = byName.get(eq > 0 ? a.slice(0, eq) : a);
    if (!type) continue;
    out.push(a);
    if (eq < 0 && type === 'string' && i + 1 < argv.length) out.push(argv[++i]);
  }
  return out;
}

const OWNED = Symbol.for('kubectl-traffic-plugins/command-owned-flags');

/**
 * For a command that gives one of kubectl's connection flag names its own meaning (the probe's
 * --request-timeout and --insecure-skip-tls-verify are about the probed URL): those flags then leave
 * the cluster connection alone.
 */
export function ownsConnectionFlags(y: Argv, names: (keyof typeof CONNECTION_FLAGS)[]): Argv {
  return y.middleware((argv) => {
    (argv as unknown as Record<symbol, unknown>)[OWNED] = names;
  });
}

/** The connection flags as kubeconfig overrides; a bad --request-timeout is a usage error. */
export function connectionFlags(args: Args): ConnectionFlags {
  const owned = (args as unknown as Record<symbol, unknown>)[OWNED];
  const mine = (name: string) => !(Array.isArray(owned) && owned.includes(name));
  const timeout = mine('request-timeout') ? str(args, 'request-timeout') : undefined;
  const namespace = str(args, 'namespace');
  return {
    kubeconfig: str(args, 'kubeconfig'),
    context: str(args, 'context'),
    // An invalid name would only come back as "not found" after requests (or reach a URL unescaped).
    namespace: namespace ? dnsLabel(namespace, 'namespace') : namespace,
    cluster: str(args, 'cluster'),
    user: str(args, 'user'),
    server: str(args, 'server'),
    token: str(args, 'token'),
    as: str(args, 'as'),
    asGroups: strList(args, 'as-group'),
    asUid: str(args, 'as-uid'),
    requestTimeoutMs: timeout === undefined ? undefined : waitDuration(timeout, '--request-timeout'),
    insecureSkipTlsVerify: mine('insecure-skip-tls-verify') && args['insecure-skip-tls-verify'] === true,
    tlsServerName: str(args, 'tls-server-name'),
    certificateAuthority: str(args, 'certificate-authority'),
    clientCertificate: str(args, 'client-certificate'),
    clientKey: str(args, 'client-key'),
    disableCompression: args['disable-compression'] === true,
  };
}

export function outputFlag(y: Argv, formats: readonly FormatName[] = OUTPUT_FORMATS): Argv {
  return y.option('output', {
    alias: 'o',
    type: 'string',
    describe: `Output format: ${describeFormats(formats)}`,
  });
}

export function readOutput(args: Args, formats: readonly FormatName[] = OUTPUT_FORMATS): OutputFormat {
  return parseOutputFormat(str(args, 'output'), formats);
}

export function dryRunFlag(y: Argv): Argv {
  return y.option('dry-run', {
    type: 'string',
    describe: 'none: change the cluster; client: print the planned objects; server: send them for validation without persisting',
  });
}

/** kubectl accepts --dry-run alone as client (deprecated there, but scripts use it). */
export function readDryRun(args: Args): DryRun {
  const v = args['dry-run'];
  if (v === undefined || v === false || v === 'none' || v === 'false') return 'none';
  if (v === '' || v === true || v === 'client' || v === 'true') return 'client';
  if (v === 'server') return 'server';
  throw new UsageError(`invalid --dry-run value "${scalarText(v)}": use none, client or server`);
}

export function timeoutFlag(y: Argv, fallback: string): Argv {
  return y.option('timeout', { type: 'string', default: fallback, describe: 'How long to wait before giving up (e.g. 30s, 5m)' });
}

export function readTimeout(args: Args): number {
  const v = str(args, 'timeout');
  return v === undefined ? 0 : waitDuration(v, '--timeout');
}

export function allNamespacesFlag(y: Argv): Argv {
  return y.option('all-namespaces', { alias: 'A', type: 'boolean', default: false, describe: 'List across all namespaces' });
}

/** A whole-number flag typed as plain decimal digits within bounds (yargs' number type would take 1e3 and 0x10). */
export function readInt(args: Args, key: string, min: number, max: number): number | undefined {
  const v = str(args, key);
  return v === undefined ? undefined : integer(v, `--${key}`, min, max);
}

/**
 * Values given with '=' that yargs would read loosely. Booleans take true or false, as kubectl's flags
 * do: yargs reads any other value (--fail-on-degraded=yes) as false, which would let a CI gate pass
 * silently; -v/--v takes a level in digits. `argv` is the command line as typed, `args` what yargs
 * made of it (a boolean flag's value is a boolean there).
 */
export function checkFlagValues(argv: string[], args: Args): void {
  for (const a of argv) {
    if (a === '--') return;
    const m = /^--?([^=]+)=(.*)$/s.exec(a);
    if (!m) continue;
    const [, name, value] = m;
    if ((name === 'v' || name === 'verbose') && !/^\d{1,2}$/.test(value)) throw new UsageError(`invalid value "${value}" for -v: give a level, e.g. -v=2`);
    const key = name.startsWith('no-') && typeof args[name] !== 'boolean' ? name.slice(3) : name;
    if (typeof args[key] !== 'boolean' || value === 'true' || value === 'false') continue;
    const flag = `${name.length === 1 ? '-' : '--'}${name}`;
    throw new UsageError(`invalid value "${value}" for ${flag}: use ${flag}, ${flag}=true or ${flag}=false`);
  }
}

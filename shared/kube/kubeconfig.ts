// Kubeconfig resolution exactly as kubectl does it (client-go's clientcmd loading rules):
// --kubeconfig alone, else every file in KUBECONFIG merged (first definition of a name wins, missing
// files skipped), else ~/.kube/config; --context else current-context; -n else the context's namespace
// else "default". Relative file paths inside a kubeconfig are relative to that file.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import yaml from 'js-yaml';
import { ConfigError } from '../errors.js';
import { isDnsLabel } from '../validate.js';
import { mapping, text, type Obj } from './fields.js';
import { overrideCluster, overrideUser, type ConfigOverrides } from './overrides.js';

/** kubectl's ConfigFlags: which kubeconfig, which context and namespace, and overrides of its entries. */
export interface ConnectionFlags extends ConfigOverrides {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  namespace?: string | undefined;
}

type Named = { name: string; [key: string]: unknown };

export interface RawKubeconfig {
  clusters: Named[];
  users: Named[];
  contexts: Named[];
  'current-context'?: string | undefined;
}

export interface LoadedFile {
  path: string;
  content: string;
}

export interface ResolvedConfig {
  /** Files that were read, in precedence order. */
  files: string[];
  contextName: string;
  clusterName: string;
  userName: string;
  server: string;
  namespace: string;
  /** True when -n was given (some commands treat an explicit namespace differently). */
  namespaceFromFlag: boolean;
  /** A self-contained kubeconfig holding only what the chosen context needs, paths made absolute,
   *  with the connection flags applied. */
  minified: RawKubeconfig;
  /** --request-timeout in milliseconds; 0 when not given. */
  requestTimeoutMs: number;
}

/** Which files to read, in order, and whether a missing one is an error. */
export function kubeconfigPaths(flags: ConnectionFlags, env: NodeJS.ProcessEnv, home = env['HOME'] || homedir()): { paths: string[]; explicit: boolean } {
  if (flags.kubeconfig) return { paths: [resolve(flags.kubeconfig)], explicit: true };
  const list = env['KUBECONFIG'];
  if (list && list.trim() !== '') {
    const seen = new Set<string>();
    const paths = list
      .split(delimiter)
      .filter((p) => p !== '')
      .map((p) => resolve(p))
      .filter((p) => (seen.has(p) ? false : (seen.add(p), true)));
    return { paths, explicit: false };
  }
  return { paths: [join(home, '.kube', 'config')], explicit: false };
}

const PATH_FIELDS: Record<'clusters' | 'users', { key: string; fields: string[] }> = {
  clusters: { key: 'cluster', fields: ['certificate-authority'] },
  users: { key: 'user', fields: ['client-certificate', 'client-key', 'tokenFile'] },
};

function parseFile(file: LoadedFile): RawKubeconfig {
  let doc: unknown;
  try {
    // Every scalar as a string, as client-go reads these fields: `namespace: 007` is "007", not 7.
    doc = yaml.load(file.content, { schema: yaml.FAILSAFE_SCHEMA });
  } catch (err) {
    throw new ConfigError(`kubeconfig ${file.path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return { clusters: [], users: [], contexts: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`kubeconfig ${file.path} is not a kubeconfig (expected a mapping)`);
  const d = doc as Obj;
  const list = (k: string): Named[] => {
    const v = d[k];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new ConfigError(`kubeconfig ${file.path}: "${k}" must be a list`);
    return v.filter((e): e is Named => typeof e === 'object' && e !== null && typeof (e as Obj)['name'] === 'string');
  };
  const base = dirname(file.path);
  const absolutize = (entries: Named[], kind: 'clusters' | 'users'): Named[] =>
    entries.map((e) => {
      const spec = PATH_FIELDS[kind];
      const inner = e[spec.key];
      if (typeof inner !== 'object' || inner === null) return e;
      const copy: Obj = { ...(inner as Obj) };
      for (const f of spec.fields) {
        const v = copy[f];
        if (typeof v === 'string' && v !== '' && !isAbsolute(v)) copy[f] = resolve(base, v);
      }
      // An exec plugin given as a relative path with a slash is relative to the file too (a bare name is looked up on PATH).
      const exec = copy['exec'];
      if (kind === 'users' && typeof exec === 'object' && exec !== null) {
        const cmd = (exec as Obj)['command'];
        if (typeof cmd === 'string' && cmd.includes('/') && !isAbsolute(cmd)) copy['exec'] = { ...(exec as Obj), command: resolve(base, cmd) };
      }
      return { ...e, [spec.key]: copy };
    });
  const current = d['current-context'];
  const clusters = absolutize(list('clusters'), 'clusters');
  return {
    clusters: clusters.some((c) => mapping(c['cluster'])['extensions'] !== undefined) ? withTypedExtensions(file, clusters) : clusters,
    users: absolutize(list('users'), 'users'),
    contexts: list('contexts'),
    'current-context': typeof current === 'string' && current !== '' ? current : undefined,
  };
}

/**
 * Cluster extensions are free-form (an exec plugin's `config` is passed to it as JSON), so they keep
 * YAML's types: the file is parsed again with the default schema, only when a cluster has extensions.
 */
function withTypedExtensions(file: LoadedFile, clusters: Named[]): Named[] {
  const typed = mapping(yaml.load(file.content));
  const byName = new Map<string, unknown>();
  for (const c of Array.isArray(typed['clusters']) ? (typed['clusters'] as unknown[]) : []) {
    const e = mapping(c);
    const name = e['name'];
    // Names are read as text elsewhere; a name YAML types as a number matches by its text here.
    if (typeof name === 'string' || typeof name === 'number') byName.set(String(name), mapping(e['cluster'])['extensions']);
  }
  return clusters.map((c) => (byName.has(c.name) ? { ...c, cluster: { ...mapping(c['cluster']), extensions: byName.get(c.name) } } : c));
}

/** Merge files the way clientcmd does: the first file that sets a name (or current-context) wins. */
export function mergeKubeconfigs(files: LoadedFile[]): RawKubeconfig {
  const merged: RawKubeconfig = { clusters: [], users: [], contexts: [] };
  for (const f of files) {
    const c = parseFile(f);
    for (const k of ['clusters', 'users', 'contexts'] as const) {
      const have = new Set(merged[k].map((e) => e.name));
      for (const e of c[k]) {
        if (have.has(e.name)) continue;
        merged[k].push(e);
        have.add(e.name);
      }
    }
    if (!merged['current-context'] && c['current-context']) merged['current-context'] = c['current-context'];
  }
  return merged;
}

/**
 * Pick the context, cluster, user and namespace, and apply the connection flags; pure over already-read
 * files. As with kubectl, --server alone is enough when there is no context, and --cluster / --user pick
 * other entries than the context's.
 */
export function resolveKubeconfig(files: LoadedFile[], flags: ConnectionFlags): ResolvedConfig {
  const where =
    files.length === 0
      ? 'the kubeconfig (none was found)'
      : files.length === 1
        ? files[0].path
        : `${files.length} kubeconfig files (${files.map((f) => f.path).join(', ')})`;
  const merged = mergeKubeconfigs(files);
  const contextName = flags.context || merged['current-context'] || '';
  const ctxEntry = contextName ? merged.contexts.find((c) => c.name === contextName) : undefined;
  if (contextName && !ctxEntry) {
    const names = merged.contexts.map((c) => c.name);
    throw new ConfigError(`context "${contextName}" not found in ${where}${names.length ? `; known contexts: ${names.join(', ')}` : ''}`);
  }
  if (!ctxEntry && !flags.server && !flags.cluster) {
    throw new ConfigError(`no current context is set in ${where}; pass --context or run 'kubectl config use-context <name>'`);
  }
  const ctx = mapping(ctxEntry?.['context']);
  const clusterName = flags.cluster || text(ctx['cluster']);
  const userName = flags.user || text(ctx['user']);
  const cluster = clusterName ? merged.clusters.find((c) => c.name === clusterName) : undefined;
  if (clusterName && !cluster) {
    throw new ConfigError(
      flags.cluster
        ? `cluster "${clusterName}" (--cluster) is not defined in ${where}`
        : `context "${contextName}" refers to cluster "${clusterName}", which is not defined in ${where}`,
    );
  }
  const user = userName ? merged.users.find((u) => u.name === userName) : undefined;
  if (userName && !user) {
    throw new ConfigError(
      flags.user
        ? `user "${userName}" (--user) is not defined in ${where}`
        : `context "${contextName}" refers to user "${userName}", which is not defined in ${where}`,
    );
  }
  const clusterFields = overrideCluster(mapping(cluster?.['cluster']), flags);
  const server = text(clusterFields['server']);
  if (!server) {
    throw new ConfigError(
      clusterName
        ? `cluster "${clusterName}" in ${where} has no server address`
        : `no server address: the context names no cluster; pass --server or --cluster`,
    );
  }
  const userFields = overrideUser(mapping(user?.['user']), flags);
  const fromFlag = flags.namespace !== undefined && flags.namespace !== '';
  const ctxNs = typeof ctx['namespace'] === 'string' && ctx['namespace'] !== '' ? ctx['namespace'] : undefined;
  const namespace = fromFlag ? flags.namespace! : (ctxNs ?? 'default');
  // The context's namespace goes into every request path: a bad one is a kubeconfig mistake, found before any request.
  if (!fromFlag && ctxNs !== undefined && !isDnsLabel(ctxNs))
    throw new ConfigError(`namespace "${ctxNs}" of context "${contextName}" is not a valid namespace name; fix the kubeconfig, or pass -n`);
  const shownContext = contextName || '(none)';
  const shownCluster = clusterName || 'cluster';
  const shownUser = userName || 'anonymous';
  return {
    files: files.map((f) => f.path),
    contextName: shownContext,
    clusterName,
    userName,
    server,
    namespace,
    namespaceFromFlag: fromFlag,
    minified: {
      clusters: [{ ...(cluster ?? {}), name: shownCluster, cluster: clusterFields }],
      users: [{ ...(user ?? {}), name: shownUser, user: userFields }],
      contexts: [{ name: shownContext, context: { ...ctx, cluster: shownCluster, user: shownUser, namespace } }],
      'current-context': shownContext,
    },
    requestTimeoutMs: flags.requestTimeoutMs ?? 0,
  };
}

/** Read the files the loading rules name and resolve them. */
export function loadKubeconfig(flags: ConnectionFlags, env: NodeJS.ProcessEnv): ResolvedConfig {
  const { paths, explicit } = kubeconfigPaths(flags, env);
  const files: LoadedFile[] = [];
  for (const p of paths) {
    try {
      files.push({ path: p, content: readFileSync(p, 'utf8') });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !explicit) continue;
      throw new ConfigError(code === 'ENOENT' ? `kubeconfig file ${p} does not exist` : `cannot read kubeconfig ${p}: ${(err as Error).message}`);
    }
  }
  if (files.length === 0) {
    const inCluster = inClusterConfig(flags, env);
    if (inCluster) return inCluster;
    // kubectl needs no kubeconfig at all when --server says where to go.
    if (flags.server) return resolveKubeconfig([], flags);
    throw new ConfigError(`no kubeconfig found (looked in ${paths.join(', ')}); set KUBECONFIG or pass --kubeconfig`);
  }
  return resolveKubeconfig(files, flags);
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Inside a pod with no kubeconfig, use the pod's service account, as kubectl does
 * (KUBERNETES_SERVICE_HOST/PORT, the mounted token, CA and namespace).
 */
export function inClusterConfig(flags: ConnectionFlags, env: NodeJS.ProcessEnv, saDir = SA_DIR): ResolvedConfig | undefined {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port || flags.context) return undefined;
  let podNamespace: string;
  try {
    readFileSync(join(saDir, 'token'));
    podNamespace = readFileSync(join(saDir, 'namespace'), 'utf8').trim() || 'default';
  } catch {
    return undefined;
  }
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const content = yaml.dump({
    clusters: [{ name: 'in-cluster', cluster: { server, 'certificate-authority': join(saDir, 'ca.crt') } }],
    users: [{ name: 'service-account', user: { tokenFile: join(saDir, 'token') } }],
    contexts: [{ name: 'in-cluster', context: { cluster: 'in-cluster', user: 'service-account', namespace: podNamespace } }],
    'current-context': 'in-cluster',
  });
  const r = resolveKubeconfig([{ path: '(in-cluster service account)', content }], flags);
  return { ...r, files: [] };
}

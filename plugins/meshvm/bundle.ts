// A bundle bootstrap wrote (or istioctl did), read back from its directory: each file, parsed as the
// VM will use it. Reading never fails on content; what is wrong is for the checks to say.
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { CliError } from '../../shared/errors.js';
import { parseClusterEnv } from '../../shared/istio/cluster-env.js';
import { BOOTSTRAP_FILES, type BootstrapFileName } from './bootstrap-files.js';
import { decodeToken, type TokenClaims } from './token.js';

export interface Bundle {
  dir: string;
  files: Partial<Record<BootstrapFileName, string>>;
  env: Record<string, string>;
  /** defaultConfig.discoveryAddress split into host and port. */
  discovery?: { host: string; port: number } | undefined;
  /** hosts: name -> addresses, in file order. */
  hosts: Map<string, string[]>;
  token?: TokenClaims | undefined;
  rootCert?: X509Certificate | undefined;
  rootCertError?: string | undefined;
}

export function readBundle(dir: string): Bundle {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new CliError(`--bootstrap ${dir} is not a directory (give the --output-dir of kubectl meshvm bootstrap)`);
  const files: Partial<Record<BootstrapFileName, string>> = {};
  for (const name of BOOTSTRAP_FILES) {
    try {
      files[name] = readFileSync(join(dir, name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError(`cannot read ${join(dir, name)}: ${(err as Error).message}`);
    }
  }
  const env = parseClusterEnv(files['cluster.env'] ?? '');
  let discovery: Bundle['discovery'];
  try {
    const mesh = yaml.load(files['mesh.yaml'] ?? '') as { defaultConfig?: { discoveryAddress?: unknown } } | undefined;
    const addr = mesh?.defaultConfig?.discoveryAddress;
    if (typeof addr === 'string') {
      const i = addr.lastIndexOf(':');
      discovery = i > 0 ? { host: addr.slice(0, i), port: Number(addr.slice(i + 1)) || 15012 } : { host: addr, port: 15012 };
    }
  } catch {
    discovery = undefined;
  }
  const hosts = new Map<string, string[]>();
  for (const line of (files.hosts ?? '').split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!address || names.length === 0) continue;
    for (const n of names) hosts.set(n, [...(hosts.get(n) ?? []), address]);
  }
  let rootCert: X509Certificate | undefined;
  let rootCertError: string | undefined;
  if (files['root-cert.pem'] !== undefined) {
    try {
      rootCert = new X509Certificate(files['root-cert.pem']);
    } catch (err) {
      rootCertError = (err as Error).message;
    }
  }
  return { dir, files, env, discovery, hosts, token: files['istio-token'] ? decodeToken(files['istio-token']) : undefined, rootCert, rootCertError };
}

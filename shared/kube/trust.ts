// Which certificate authorities verify the API server. As with kubectl: the kubeconfig's CA when it names
// one (and then only that CA), else the system's store. Node verifies against its own bundled Mozilla
// roots, not the system's, so the system store is read the way Go reads it on Linux and the BSDs:
// SSL_CERT_FILE, else the first bundle file that exists (Debian, RHEL, SUSE, Alpine, FreeBSD paths), and
// the files in SSL_CERT_DIR when that is set (or when no bundle file exists). Node 20 has no API for
// the macOS keychain or the Windows store; there (and where no bundle exists) Node's own roots are used,
// or the platform store when the running Node offers tls.getCACertificates('system') (22.15+).
// NODE_EXTRA_CA_CERTS is added to whichever default is used, as Node users expect.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tls from 'node:tls';

export interface Trust {
  /** The CA certificates (PEM) to verify with; undefined: Node's defaults. */
  ca?: string[] | undefined;
  /** Where they came from, for messages. */
  source: 'kubeconfig' | 'system' | 'node';
  /** The file or store named in messages. */
  where: string;
}

const BUNDLES: Record<string, string[]> = {
  linux: [
    '/etc/ssl/certs/ca-certificates.crt',
    '/etc/pki/tls/certs/ca-bundle.crt',
    '/etc/ssl/ca-bundle.pem',
    '/etc/pki/tls/cacert.pem',
    '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
    '/etc/ssl/cert.pem',
  ],
  freebsd: ['/usr/local/etc/ssl/cert.pem', '/etc/ssl/cert.pem', '/usr/local/share/certs/ca-root-nss.crt'],
  openbsd: ['/etc/ssl/cert.pem'],
  netbsd: ['/etc/openssl/certs/ca-certificates.crt'],
};
const CERT_DIRS: Record<string, string[]> = { linux: ['/etc/ssl/certs', '/etc/pki/tls/certs'], freebsd: ['/etc/ssl/certs', '/usr/local/share/certs'] };

function readable(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function dirCerts(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.map((n) => readable(join(dir, n))).filter((t): t is string => t !== undefined && t.includes('-----BEGIN CERTIFICATE-----'));
}

const cache = new Map<string, Trust>();

/** The system's trust store, read once per process and environment. */
export function systemTrust(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): Trust {
  const certFile = env['SSL_CERT_FILE'] || undefined;
  const certDir = env['SSL_CERT_DIR'] || undefined;
  const extra = env['NODE_EXTRA_CA_CERTS'] || undefined;
  const key = [platform, certFile, certDir, extra].join('\0');
  let t = cache.get(key);
  if (!t) cache.set(key, (t = readSystemTrust(platform, certFile, certDir, extra)));
  return t;
}

function readSystemTrust(platform: NodeJS.Platform, certFile: string | undefined, certDir: string | undefined, extra: string | undefined): Trust {
  const files = certFile ? [certFile] : (BUNDLES[platform] ?? []);
  const found = files.map((f) => [f, readable(f)] as const).find(([, text]) => text !== undefined);
  // NODE_EXTRA_CA_CERTS often names the system bundle itself: read it once.
  const extraPem = extra && extra !== found?.[0] ? readable(extra) : undefined;
  const dirs = certDir ? certDir.split(':').filter(Boolean) : found ? [] : (CERT_DIRS[platform] ?? []);
  const fromDirs = dirs.flatMap(dirCerts);
  if (found || fromDirs.length) {
    return {
      ca: [...(found ? [found[1]!] : []), ...fromDirs, ...(extraPem ? [extraPem] : [])],
      source: 'system',
      where: [...(found ? [found[0]] : []), ...dirs].join(', '),
    };
  }
  const platformStore = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  if (platformStore && (platform === 'darwin' || platform === 'win32')) {
    return { ca: [...platformStore('system'), ...(extraPem ? [extraPem] : [])], source: 'system', where: "the system's certificate store" };
  }
  return { source: 'node', where: "Node's bundled certificate authorities" };
}

/** TLS error codes that mean "this certificate is not trusted here". */
const UNTRUSTED = new Set([
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** What the user can do about a TLS failure, or undefined when it is not about trust or names. */
export function tlsHint(code: string, trust: Trust, cluster: string): string | undefined {
  if (UNTRUSTED.has(code)) {
    const fix = 'set certificate-authority (or certificate-authority-data) for the cluster in the kubeconfig, or pass --certificate-authority';
    return trust.source === 'kubeconfig'
      ? `it is not signed by the certificate authority the kubeconfig gives for cluster "${cluster}"; ${fix} with the CA that signed it`
      : `it is not signed by an authority in ${trust.where}; ${fix}, or add the CA to NODE_EXTRA_CA_CERTS${trust.source === 'system' ? ' or to the system store' : ''}`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return 'set tls-server-name for the cluster in the kubeconfig (or pass --tls-server-name) to a name the certificate lists';
  }
  return undefined;
}

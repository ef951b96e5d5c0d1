// A plugged-in CA for istiod (the `cacerts` Secret in istio-system), made the way Istio's
// tools/certs/Makefile.selfsigned.mk makes it: one root CA, and for each cluster an intermediate CA
// signed by it (CA:true, pathlen:0, SAN istiod.istio-system.svc, L=<cluster>). Clusters given
// intermediates of one root trust each other; clusters with different roots do not.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openssl } from './certs.js';

/** The four files istiod reads from its cacerts folder (ROOT_CA_DIR), by their file names. */
export interface CACerts {
  'ca-cert.pem': string;
  'ca-key.pem': string;
  'root-cert.pem': string;
  'cert-chain.pem': string;
}

export interface MeshRoot {
  /** Folder holding root-cert.pem and root-key.pem. */
  dir: string;
  cert: string;
}

const CA_USAGE = 'critical,digitalSignature,nonRepudiation,keyEncipherment,keyCertSign';

/** A root CA (RSA 2048, ten years) in dir. */
export async function makeMeshRoot(dir: string, commonName = 'Root CA'): Promise<MeshRoot> {
  mkdirSync(dir, { recursive: true });
  await openssl(
    [
      'req',
      '-x509',
      '-sha256',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'root-key.pem',
      '-out',
      'root-cert.pem',
      '-days',
      '3650',
      '-subj',
      `/O=Istio/CN=${commonName}`,
      '-addext',
      'basicConstraints=critical,CA:true',
      '-addext',
      `keyUsage=${CA_USAGE}`,
    ],
    dir,
  );
  chmodSync(join(dir, 'root-key.pem'), 0o600);
  return { dir, cert: readFileSync(join(dir, 'root-cert.pem'), 'utf8') };
}

/** An intermediate CA for one cluster, signed by root; its files are kept in <root>/<cluster>/. */
export async function makeIntermediate(root: MeshRoot, cluster: string, namespace = 'istio-system'): Promise<CACerts> {
  const dir = join(root.dir, cluster.replace(/[^a-zA-Z0-9_.-]/g, '_'));
  mkdirSync(dir, { recursive: true });
  await openssl(
    [
      'req',
      '-new',
      '-sha256',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca-key.pem',
      '-out',
      'cluster-ca.csr',
      '-subj',
      `/O=Istio/CN=Intermediate CA/L=${cluster}`,
    ],
    dir,
  );
  const ext = [
    'basicConstraints=critical,CA:true,pathlen:0',
    `keyUsage=${CA_USAGE}`,
    `subjectAltName=DNS:istiod.${namespace}.svc`,
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid',
  ];
  writeFileSync(join(dir, 'intermediate.ext'), ext.join('\n') + '\n');
  await openssl(
    [
      'x509',
      '-req',
      '-sha256',
      '-days',
      '3650',
      '-CA',
      join(root.dir, 'root-cert.pem'),
      '-CAkey',
      join(root.dir, 'root-key.pem'),
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
      '-extfile',
      'intermediate.ext',
      '-in',
      'cluster-ca.csr',
      '-out',
      'ca-cert.pem',
    ],
    dir,
  );
  chmodSync(join(dir, 'ca-key.pem'), 0o600);
  const caCert = readFileSync(join(dir, 'ca-cert.pem'), 'utf8');
  const certs: CACerts = {
    'ca-cert.pem': caCert,
    'ca-key.pem': readFileSync(join(dir, 'ca-key.pem'), 'utf8'),
    'root-cert.pem': root.cert,
    'cert-chain.pem': caCert + root.cert,
  };
  writeFileSync(join(dir, 'cert-chain.pem'), certs['cert-chain.pem']);
  writeFileSync(join(dir, 'root-cert.pem'), root.cert);
  return certs;
}

/** The `cacerts` Secret as `kubectl create secret generic cacerts --from-file=...` makes it. */
export function cacertsSecret(certs: CACerts, namespace = 'istio-system'): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: 'cacerts', namespace },
    data: Object.fromEntries(Object.entries(certs).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

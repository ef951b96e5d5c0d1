// Certificates for one cluster: a CA, the API server's serving cert, client certs (user = CN, groups = O),
// and the service-account signing key pair. openssl does the X.509 work; node makes the RSA key.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';

export interface ClientCert {
  cert: string;
  key: string;
}

export async function openssl(args: string[], cwd: string): Promise<void> {
  await execa('openssl', args, { cwd, stdin: 'ignore' });
}

export async function makeCA(dir: string): Promise<void> {
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '3650',
      '-subj',
      '/CN=kplugins-test-ca',
    ],
    dir,
  );
  chmodSync(join(dir, 'ca.key'), 0o600);
}

/** Sign a cert with the cluster CA; returns PEM cert and key. */
export async function signCert(dir: string, name: string, subject: string, sans?: string[], usage: 'server' | 'client' = 'client'): Promise<ClientCert> {
  const ext = join(dir, `${name}.ext`);
  const lines = [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
    ...(sans?.length ? [`subjectAltName=${sans.join(',')}`] : []),
  ];
  writeFileSync(ext, lines.join('\n') + '\n');
  await openssl(
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject],
    dir,
  );
  // A random serial per cert: -CAcreateserial shares ca.srl, which races when certs are signed at once.
  const serial = `0x${randomBytes(16).toString('hex')}`;
  await openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', serial, '-out', `${name}.crt`, '-days', '3650', '-extfile', ext],
    dir,
  );
  chmodSync(join(dir, `${name}.key`), 0o600);
  return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
}

export function makeServiceAccountKeys(dir: string): void {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
  writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
}

/** A kubeconfig with everything embedded, so it can be copied anywhere. */
export function kubeconfigYaml(o: { cluster: string; server: string; ca: string; user: string; cert: ClientCert; namespace?: string }): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${o.cluster}`,
    '  cluster:',
    `    server: ${o.server}`,
    `    certificate-authority-data: ${b64(o.ca)}`,
    'users:',
    `- name: ${o.user}`,
    '  user:',
    `    client-certificate-data: ${b64(o.cert.cert)}`,
    `    client-key-data: ${b64(o.cert.key)}`,
    'contexts:',
    `- name: ${o.cluster}`,
    '  context:',
    `    cluster: ${o.cluster}`,
    `    user: ${o.user}`,
    ...(o.namespace ? [`    namespace: ${o.namespace}`] : []),
    `current-context: ${o.cluster}`,
    '',
  ].join('\n');
}

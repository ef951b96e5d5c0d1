// A PKCS#10 certificate request for a fresh P-256 key, DER-encoded by hand (Node has no CSR builder):
// what istio-agent sends istiod's CA. The CA takes the identity from the caller's token, not from the
// request, so the request only has to carry the public key and a valid signature.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes = [parts[0] * 40 + parts[1]];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let x = Math.floor(p / 128); x > 0; x = Math.floor(x / 128)) chunk.unshift(0x80 | (x & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const ORGANIZATION = '2.5.4.10';

export interface CertificateRequest {
  pem: string;
  key: KeyObject;
  /** The public key as SubjectPublicKeyInfo DER, to match the issued certificate against. */
  spki: Buffer;
}

export function certificateRequest(organization = 'kubectl-meshvm check'): CertificateRequest {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const subject = tlv(0x30, tlv(0x31, tlv(0x30, oid(ORGANIZATION), tlv(0x0c, Buffer.from(organization)))));
  const info = tlv(0x30, tlv(0x02, Buffer.from([0])), subject, spki, Buffer.from([0xa0, 0x00]));
  const signature = sign('sha256', info, { key: privateKey, dsaEncoding: 'der' });
  const der = tlv(0x30, info, tlv(0x30, oid(ECDSA_WITH_SHA256)), tlv(0x03, Buffer.from([0]), signature));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return { pem: `-----BEGIN CERTIFICATE REQUEST-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE REQUEST-----\n`, key: privateKey, spki };
}

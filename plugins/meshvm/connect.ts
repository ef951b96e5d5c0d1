// What a VM does first with its bundle, done from here: a TLS connection to istiod at the address the
// hosts file gives its name, the server verified against root-cert.pem under istiod's name; then
// istiod's CA (istio.v1.auth.IstioCertificateService/CreateCertificate over gRPC, the token as the
// bearer credential, the cluster ID as istio-agent sends it) asked for a certificate. The protobuf and
// gRPC framing of the two messages are written here; nothing else of gRPC is needed.
import { X509Certificate } from 'node:crypto';
// node:tls and node:http2 load on use: the single executable's startup snapshot cannot hold them.
import type { ClientHttp2Session, IncomingHttpHeaders } from 'node:http2';
import type { PeerCertificate } from 'node:tls';
import { certificateRequest } from './csr.js';

export interface Target {
  /** Where to connect (an address from the hosts file). */
  address: string;
  port: number;
  /** istiod's name: SNI and the name its certificate must carry. */
  servername: string;
  rootCert: string;
  timeoutMs: number;
}

export interface HandshakeResult {
  ok: boolean;
  detail: string;
  /** The server certificate's DNS names, when the handshake got that far. */
  names?: string[];
}

const hostPort = (t: Target) => (t.address.includes(':') ? `[${t.address}]:${t.port}` : `${t.address}:${t.port}`);

function describeTlsError(err: NodeJS.ErrnoException, t: Target): string {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') return `nothing listens on ${hostPort(t)} (connection refused)`;
  if (code === 'ETIMEDOUT' || code === 'KPLUGIN_TIMEOUT')
    return `no answer from ${hostPort(t)} within ${t.timeoutMs / 1000}s (a firewall, or a wrong address?)`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `${hostPort(t)} cannot be reached from here (${code})`;
  if (
    [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'CERT_SIGNATURE_FAILURE',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
    ].includes(code)
  )
    return `the server at ${hostPort(t)} presented a certificate root-cert.pem does not verify (${code}): the bundle's root is not this istiod's`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the server at ${hostPort(t)} is not ${t.servername}: ${err.message}`;
  if (code === 'CERT_HAS_EXPIRED') return `the server's certificate at ${hostPort(t)} has expired`;
  return `${hostPort(t)}: ${err.message}`;
}

function dnsNames(cert: PeerCertificate): string[] {
  return (cert.subjectaltname ?? '')
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
}

export async function tlsHandshake(t: Target): Promise<HandshakeResult> {
  const { connect: tlsConnect } = await import('node:tls');
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: t.address, port: t.port, servername: t.servername, ca: t.rootCert, ALPNProtocols: ['h2'], rejectUnauthorized: true });
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error('timeout'), { code: 'KPLUGIN_TIMEOUT' })), t.timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = socket.getPeerCertificate();
      const names = dnsNames(cert);
      resolve({
        ok: true,
        detail: `${hostPort(t)} is ${t.servername} (certificate for ${names.join(', ') || String(cert.subject?.CN ?? '')}, verified by root-cert.pem, ${socket.getProtocol()}, ALPN ${socket.alpnProtocol || 'none'})`,
        names,
      });
      socket.end();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: false, detail: describeTlsError(err, t) });
    });
  });
}

// Protobuf, the two messages only.
function varint(n: bigint): Buffer {
  const out: number[] = [];
  let x = n;
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) b |= 0x80;
    out.push(b);
  } while (x > 0n);
  return Buffer.from(out);
}

/** IstioCertificateRequest{csr = 1, validity_duration = 3}. */
export function encodeCertificateRequest(csr: string, validitySeconds: number): Buffer {
  const csrBytes = Buffer.from(csr);
  return Buffer.concat([Buffer.from([0x0a]), varint(BigInt(csrBytes.length)), csrBytes, Buffer.from([0x18]), varint(BigInt(validitySeconds))]);
}

/** IstioCertificateResponse{repeated string cert_chain = 1}; other fields skipped. */
export function decodeCertificateResponse(b: Buffer): string[] {
  const chain: string[] = [];
  let i = 0;
  const readVarint = () => {
    let r = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= b.length) throw new Error('truncated protobuf');
      const x = b[i++];
      r |= BigInt(x & 0x7f) << shift;
      if ((x & 0x80) === 0) return r;
      shift += 7n;
    }
  };
  while (i < b.length) {
    const key = Number(readVarint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) readVarint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const len = Number(readVarint());
      const value = b.subarray(i, i + len);
      i += len;
      if (field === 1) chain.push(value.toString('utf8'));
    } else throw new Error(`unexpected protobuf wire type ${wire}`);
  }
  return chain;
}

export interface CertificateResult {
  ok: boolean;
  detail: string;
  /** The identity the certificate is for (its SPIFFE URI). */
  identity?: string;
  validTo?: string;
}

const grpcFrame = (msg: Buffer) =>
  Buffer.concat([Buffer.from([0, (msg.length >>> 24) & 0xff, (msg.length >>> 16) & 0xff, (msg.length >>> 8) & 0xff, msg.length & 0xff]), msg]);

/** gRPC status codes people meet here. */
const GRPC_CODES: Record<string, string> = { '3': 'InvalidArgument', '7': 'PermissionDenied', '13': 'Internal', '14': 'Unavailable', '16': 'Unauthenticated' };

export async function requestCertificate(
  t: Target,
  o: { token: string; clusterID?: string | undefined; validitySeconds?: number },
): Promise<CertificateResult> {
  const csr = certificateRequest();
  const { connect: http2Connect } = await import('node:http2');
  let session: ClientHttp2Session | undefined;
  try {
    const answer = await new Promise<{ status: string; message: string; body: Buffer }>((resolve, reject) => {
      session = http2Connect(`https://${hostPort(t)}`, { servername: t.servername, ca: t.rootCert, rejectUnauthorized: true });
      const timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'KPLUGIN_TIMEOUT' })), t.timeoutMs);
      session.once('error', (err: Error) => (clearTimeout(timer), reject(err)));
      const req = session.request({
        ':method': 'POST',
        ':path': '/istio.v1.auth.IstioCertificateService/CreateCertificate',
        'content-type': 'application/grpc',
        te: 'trailers',
        authorization: `Bearer ${o.token.trim()}`,
        ...(o.clusterID ? { clusterid: o.clusterID } : {}),
      });
      const chunks: Buffer[] = [];
      let status = '';
      let message = '';
      const grpcStatus = (h: IncomingHttpHeaders) => {
        if (h['grpc-status'] !== undefined) [status, message] = [String(h['grpc-status']), String(h['grpc-message'] ?? '')];
      };
      req.on('response', (h) => {
        grpcStatus(h);
        if (h[':status'] !== 200) [status, message] = ['', `HTTP ${String(h[':status'])}`];
      });
      req.on('trailers', (h: IncomingHttpHeaders) => grpcStatus(h));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => (clearTimeout(timer), resolve({ status, message: decodeURIComponent(message), body: Buffer.concat(chunks) })));
      req.on('error', (err: Error) => (clearTimeout(timer), reject(err)));
      req.end(grpcFrame(encodeCertificateRequest(csr.pem, o.validitySeconds ?? 3600)));
    });
    if (answer.status !== '0') {
      const code = GRPC_CODES[answer.status] ?? answer.status;
      const why =
        code === 'Unauthenticated'
          ? 'istiod refused the token (expired, revoked, for another cluster, or not for audience istio-ca)'
          : `istiod's CA answered ${code || 'without a gRPC status'}`;
      return { ok: false, detail: `${why}: ${answer.message || 'no message'}` };
    }
    const chain = decodeCertificateResponse(answer.body.subarray(5));
    if (chain.length === 0) return { ok: false, detail: "istiod's CA answered with no certificate" };
    const leaf = new X509Certificate(chain[0]);
    if (!leaf.publicKey.export({ type: 'spki', format: 'der' }).equals(csr.spki))
      return { ok: false, detail: 'the certificate istiod issued is not for the key requested' };
    const root = new X509Certificate(t.rootCert);
    const issuers = [...chain.slice(1).map((c) => new X509Certificate(c)), root];
    if (!verifiesUpTo(leaf, issuers, root))
      return { ok: false, detail: "the certificate istiod issued does not chain up to root-cert.pem: the bundle's root is not the mesh's" };
    const identity = (leaf.subjectAltName ?? '')
      .split(', ')
      .find((s) => s.startsWith('URI:'))
      ?.slice(4);
    return {
      ok: true,
      detail: `istiod issued a certificate for ${identity ?? 'no SPIFFE identity'}, valid until ${leaf.validTo}`,
      identity,
      validTo: leaf.validTo,
    };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, detail: describeTlsError(e, t) };
  } finally {
    session?.close();
  }
}

/** Does the chain lead from the leaf to the root through the given issuers? */
function verifiesUpTo(leaf: X509Certificate, issuers: X509Certificate[], root: X509Certificate): boolean {
  let cert = leaf;
  for (let depth = 0; depth < 8; depth++) {
    if (cert.fingerprint256 === root.fingerprint256) return true;
    const issuer = issuers.find((c) => cert.checkIssued(c) && cert.verify(c.publicKey));
    if (!issuer) return false;
    if (issuer.fingerprint256 === root.fingerprint256) return true;
    cert = issuer;
  }
  return false;
}

// How Istio decides a port's protocol from its name (pkg/config/kube/conversion.go ConvertProtocol):
// appProtocol when set, else the name's prefix up to the first '-' ("http-web" is HTTP, "grpc-web..."
// is gRPC-Web); an unknown prefix is TCP on a few well-known ports and otherwise sniffed at run time.
// And the names `istioctl register` guessed for a bare port number.

/** Istio's protocol names (protocol.Instance), keyed by the lower-case prefix a port name may start with. */
const PROTOCOLS: Record<string, string> = {
  tcp: 'TCP',
  udp: 'UDP',
  grpc: 'GRPC',
  'grpc-web': 'GRPC-Web',
  http: 'HTTP',
  http_proxy: 'HTTP_PROXY',
  http2: 'HTTP2',
  https: 'HTTPS',
  tls: 'TLS',
  mongo: 'Mongo',
  redis: 'Redis',
  mysql: 'MySQL',
};

/** Kubernetes' standard appProtocol values Istio understands. */
const APP_PROTOCOLS: Record<string, string> = { 'kubernetes.io/h2c': 'HTTP2', 'kubernetes.io/ws': 'HTTP', 'kubernetes.io/wss': 'HTTPS' };

/** SMTP, DNS, MySQL, MongoDB: TCP when the name says nothing. */
const WELL_KNOWN_TCP = new Set([25, 53, 3306, 27017]);

export interface PortProtocol {
  /** Istio's name for the protocol, or undefined when Istio sniffs it. */
  protocol?: string;
  /** How it was decided, for people. */
  from: 'appProtocol' | 'name' | 'well-known port' | 'sniffed';
}

/** The protocol Istio gives a Service port. */
export function portProtocol(port: { port?: number; name?: string; protocol?: string; appProtocol?: string }): PortProtocol {
  if (port.protocol === 'UDP') return { protocol: 'UDP', from: 'name' };
  if (port.appProtocol) {
    const p = APP_PROTOCOLS[port.appProtocol] ?? protocolOfPrefix(port.appProtocol);
    if (p) return { protocol: p, from: 'appProtocol' };
  }
  const byName = protocolOfPrefix(port.name ?? '');
  if (byName) return { protocol: byName, from: 'name' };
  if (port.port !== undefined && WELL_KNOWN_TCP.has(port.port)) return { protocol: 'TCP', from: 'well-known port' };
  return { from: 'sniffed' };
}

function protocolOfPrefix(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower.startsWith('grpc-web')) return PROTOCOLS['grpc-web'];
  const dash = lower.indexOf('-');
  return PROTOCOLS[dash >= 0 ? lower.slice(0, dash) : lower];
}

/** The names `istioctl register` gave bare port numbers (pilot/pkg/serviceregistry/kube/register.go, 1.8). */
const REGISTER_PORT_NAMES: Record<number, string> = { 80: 'http', 443: 'https', 3306: 'mysql', 8080: 'http' };

/**
 * A name for a port given without one: istioctl register's guess for 80, 443, 3306 and 8080; for any
 * other port (where istioctl used the bare number, which Istio reads as no protocol) "tcp-<port>", so
 * Istio treats it as plain TCP instead of sniffing.
 */
export function guessPortName(port: number): { name: string; known: boolean } {
  const known = REGISTER_PORT_NAMES[port];
  return known ? { name: known, known: true } : { name: `tcp-${port}`, known: false };
}

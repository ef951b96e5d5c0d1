// Input validation: every value a user types is checked here before anything reaches the cluster.
import { isIPv4, isIPv6 } from 'node:net';
import { ValidationError } from './errors.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Whether a value is a DNS-1123 label (for checks whose error is not a usage mistake). */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

/** A DNS-1123 label (Service, Namespace names): lower case alphanumerics and '-', at most 63 characters. */
export function dnsLabel(value: string, what = 'name'): string {
  if (value.length === 0) throw new ValidationError(`${what} must not be empty`);
  if (value.length > 63) throw new ValidationError(`${what} "${value}" is longer than 63 characters`);
  if (!DNS1123_LABEL.test(value)) {
    throw new ValidationError(
      `${what} "${value}" is not a valid DNS-1123 label: use lower case letters, digits and '-', starting and ending with a letter or digit`,
    );
  }
  return value;
}

/** A Kubernetes Service name: a DNS-1035 label (a DNS-1123 label starting with a letter). */
export function serviceName(value: string, what = 'service name'): string {
  dnsLabel(value, what);
  if (!/^[a-z]/.test(value)) throw new ValidationError(`${what} "${value}" must start with a lower case letter (a Service name is a DNS-1035 label)`);
  return value;
}

/** A DNS-1123 subdomain (most object names, e.g. Deployments): labels joined by '.', at most 253 characters. */
export function dnsSubdomain(value: string, what = 'name'): string {
  if (value.length === 0) throw new ValidationError(`${what} must not be empty`);
  if (value.length > 253) throw new ValidationError(`${what} "${value}" is longer than 253 characters`);
  if (!DNS1123_SUBDOMAIN.test(value)) {
    throw new ValidationError(
      `${what} "${value}" is not a valid DNS-1123 subdomain: use lower case letters, digits, '-' and '.', starting and ending with a letter or digit`,
    );
  }
  return value;
}

export type IpFamily = 4 | 6;

/** An IPv4 or IPv6 address (no prefix, no port); returns the family. */
export function ipAddress(value: string, what = 'IP address'): { address: string; family: IpFamily } {
  const v = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  if (isIPv4(v)) return { address: v, family: 4 };
  if (isIPv6(v)) return { address: v.toLowerCase(), family: 6 };
  throw new ValidationError(`${what} "${value}" is not a valid IPv4 or IPv6 address`);
}

/** IPv6 in RFC 5952's canonical form (lower case, leading zeros dropped, the longest zero run as "::"). */
export function canonicalIPv6(address: string): string {
  let text = address.toLowerCase();
  // A dotted IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const o = dotted[2].split('.').map(Number);
    text = `${dotted[1]}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const hex = groups.map((g) => parseInt(g, 16).toString(16));
  // The longest run of two or more zero groups (the first of equal runs) is written as "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && hex[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/**
 * The address of a machine that serves traffic (a VM, an endpoint): a unicast IPv4 or IPv6 address, as
 * Kubernetes requires of endpoint addresses. Unspecified, loopback, link-local, multicast, broadcast,
 * reserved and IPv4-mapped addresses are refused with the reason; IPv6 comes back in canonical form.
 */
export function unicastAddress(value: string, what = 'IP address'): { address: string; family: IpFamily } {
  if (value.includes('%')) throw new ValidationError(`${what} "${value}" has a zone (%...); give an address without one`);
  const ip = ipAddress(value, what);
  const refuse = (why: string) => {
    throw new ValidationError(`${what} "${value}" is ${why}, not the unicast address of a machine`);
  };
  if (ip.family === 4) {
    const [a, b] = ip.address.split('.').map(Number);
    if (a === 0) refuse('in 0.0.0.0/8 ("this network")');
    if (a === 127) refuse('a loopback address');
    if (a === 169 && b === 254) refuse('link-local (169.254.0.0/16)');
    if (a >= 224 && a <= 239) refuse('multicast (224.0.0.0/4)');
    if (ip.address === '255.255.255.255') refuse('the broadcast address');
    if (a >= 240) refuse('reserved (240.0.0.0/4)');
    return ip;
  }
  const address = canonicalIPv6(ip.address);
  const first = parseInt(address.split(':')[0] || '0', 16);
  if (address === '::') refuse('the unspecified address');
  if (address === '::1') refuse('the loopback address');
  if (address.startsWith('::ffff:') && /^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/.test(address))
    throw new ValidationError(`${what} "${value}" is an IPv4-mapped IPv6 address; give the IPv4 address itself`);
  if ((first & 0xffc0) === 0xfe80) refuse('link-local (fe80::/10)');
  if ((first & 0xff00) === 0xff00) refuse('multicast (ff00::/8)');
  return { address, family: 6 };
}

export function port(value: string | number, what = 'port'): number {
  const n = typeof value === 'number' ? value : /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new ValidationError(`${what} "${value}" must be a whole number from 1 to 65535`);
  }
  return n;
}

/**
 * A whole number typed as plain decimal digits, within bounds: not 1e3, 0x10, 1.0, +5 or 1_000, which
 * JavaScript's Number() would take (and kubectl's strconv.Atoi would not).
 */
export function integer(value: string | number, what: string, min: number, max: number): number {
  const text = typeof value === 'number' ? String(value) : value;
  const n = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ValidationError(`${what} "${text}" must be a whole number from ${min} to ${max}`);
  return n;
}

/** Protocols Istio understands as port-name prefixes. */
export const PORT_PROTOCOLS = ['http', 'http2', 'https', 'grpc', 'grpc-web', 'tcp', 'tls', 'mongo', 'redis', 'mysql', 'udp'] as const;
export type PortProtocol = (typeof PORT_PROTOCOLS)[number];

export interface PortSpec {
  protocol: PortProtocol;
  port: number;
  /** The Service port name Istio expects: "<protocol>-<port>" unless given. */
  name: string;
}

/**
 * A port spec as istioctl register takes it: "http:9080", "tcp:3306", "9080" (tcp), or
 * "grpc:8080:grpc-api" with an explicit port name.
 */
export function portSpec(value: string): PortSpec {
  const parts = value.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) {
    throw new ValidationError(`port spec "${value}" must look like <protocol>:<port>[:<name>], e.g. http:9080`);
  }
  if (parts.length === 1) {
    const p = port(parts[0], `port in "${value}"`);
    return { protocol: 'tcp', port: p, name: `tcp-${p}` };
  }
  const proto = parts[0].toLowerCase();
  if (!(PORT_PROTOCOLS as readonly string[]).includes(proto)) {
    throw new ValidationError(`protocol "${parts[0]}" in port spec "${value}" is not one of ${PORT_PROTOCOLS.join(', ')}`);
  }
  const p = port(parts[1], `port in "${value}"`);
  const name = parts[2] ?? `${proto}-${p}`;
  dnsLabel(name, `port name in "${value}"`);
  return { protocol: proto as PortProtocol, port: p, name };
}

/** A percentage from 0 to 100; whole numbers unless fractions are allowed. Accepts a trailing '%'. */
export function percentage(value: string | number, what = 'percentage', allowFraction = false): number {
  const s = typeof value === 'number' ? String(value) : value.trim().replace(/%$/, '');
  const n = /^\d+(\.\d+)?$/.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 100 || (!allowFraction && !Number.isInteger(n))) {
    throw new ValidationError(`${what} "${value}" must be a ${allowFraction ? 'number' : 'whole number'} from 0 to 100`);
  }
  return n;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration in Go's form, as kubectl's --timeout takes it: "500ms", "30s", "1m30s", "2h".
 * A bare number means seconds. Returns milliseconds.
 */
export function duration(value: string | number, what = 'duration'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value * 1000;
    throw new ValidationError(`${what} "${value}" must not be negative`);
  }
  const s = value.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    matched = re.lastIndex;
  }
  if (s.length === 0 || matched !== s.length || !Number.isFinite(total)) {
    throw new ValidationError(`${what} "${value}" is not a duration: use a number with a unit, e.g. 500ms, 30s, 5m, 1h30m`);
  }
  return total;
}

/** The longest delay Node's timers keep (a longer one fires at once, with only a warning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A duration the command waits for (--timeout, --request-timeout, --interval): at most what a timer can hold, ~596h. */
export function waitDuration(value: string, what: string): number {
  const ms = duration(value, what);
  if (ms > MAX_TIMER_MS) throw new ValidationError(`${what} "${value}" is too long: at most ${Math.floor(MAX_TIMER_MS / 3_600_000)}h`);
  return ms;
}

/** key=value pairs (labels, headers) with a clear message for a missing '='. */
export function keyValue(value: string, what = 'value'): [string, string] {
  const i = value.indexOf('=');
  if (i <= 0) throw new ValidationError(`${what} "${value}" must look like key=value`);
  return [value.slice(0, i), value.slice(i + 1)];
}

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** A label value as the API server accepts it: empty, or up to 63 alphanumerics, '-', '_', '.' between alphanumerics. */
export function labelValue(value: string, what = 'label value'): string {
  if (!LABEL_VALUE.test(value))
    throw new ValidationError(
      `${what} "${value}" is not a valid label value: up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
    );
  return value;
}

/** A label key=value (-l app=details) as the API server accepts it: [prefix/]name, the prefix a DNS subdomain. */
export function labelPair(value: string, what = 'label'): [string, string] {
  const [key, val] = keyValue(value, what);
  return [qualifiedName(key, `${what} key`), labelValue(val, `${what} value in "${value}"`)];
}

/** A label or annotation key as the API server accepts it: [prefix/]name, the prefix a DNS subdomain. */
export function qualifiedName(key: string, what = 'key'): string {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) dnsSubdomain(prefix, `prefix of ${what} "${key}"`);
  if (!LABEL_NAME.test(name))
    throw new ValidationError(
      `${what} "${key}" is not valid: the name part must be up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
    );
  return key;
}

// HTTP tokens (RFC 9110): header and cookie names.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** An HTTP header or cookie name. */
export function httpToken(value: string, what = 'HTTP header name'): string {
  if (!TOKEN.test(value)) throw new ValidationError(`"${value}" is not an ${what}`);
  return value;
}

/**
 * A regular expression for Envoy (Istio, Gateway API implementations): checked by RE2's own rules, with
 * a port of RE2 (re2js), so what Envoy accepts is accepted ((?i), (?P<name>...)) and what it refuses is
 * refused (backreferences, lookaround). The port is loaded only when a pattern is checked.
 */
export async function re2Pattern(pattern: string, what = 'pattern'): Promise<string> {
  const { RE2JS } = await import('re2js');
  try {
    RE2JS.compile(pattern);
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : String(err);
    throw new ValidationError(`${what} "${pattern}" is not an RE2 regular expression (as Envoy reads them): ${why}`);
  }
  return pattern;
}

const HOST_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/i;

/**
 * A host name as clients send it and routes match it: DNS labels joined by '.', at most 253 characters,
 * any case (hosts are compared without case). `wildcard` allows a leading "*." (Ingress and Gateway
 * hosts).
 */
export function hostName(value: string, what = 'host', opts: { wildcard?: boolean; lowerCase?: boolean } = {}): string {
  const name = opts.wildcard && value.startsWith('*.') ? value.slice(2) : value;
  const bad = (why: string) => new ValidationError(`${what} "${value}" is not a host name: ${why}`);
  if (name.length === 0) throw bad('it is empty');
  if (value.length > 253) throw bad('it is longer than 253 characters');
  if (opts.lowerCase && name !== name.toLowerCase()) throw bad('use lower case');
  for (const label of name.split('.')) {
    if (label.length > 63) throw bad('a label is longer than 63 characters');
    if (!HOST_LABEL.test(label)) throw bad("use letters, digits, '-' and '.', each label starting and ending with a letter or digit");
  }
  return value;
}

/** A Host header: a host name or IP address, with an optional :port. */
export function hostHeader(value: string, what = '--host'): string {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(value);
  if (!m) throw new ValidationError(`${what} "${value}" must be a host name or address, with an optional :port`);
  const host = m[1];
  if (host.startsWith('[')) ipAddress(host, what);
  else if (!isIPv4(host)) hostName(host, what);
  if (m[2] !== undefined) port(m[2], `${what} port`);
  return value;
}

/** An HTTP path to match or send to: starts with '/', no spaces, control characters, query or fragment. */
export function httpPath(value: string, what = '--path'): string {
  if (!value.startsWith('/')) throw new ValidationError(`${what} "${value}" must start with /`);
  if (/[\s\x00-\x1f\x7f?#]/.test(value))
    throw new ValidationError(`${what} ${JSON.stringify(value)} is not an HTTP path: no spaces, control characters, '?' or '#'`);
  return value;
}

/** An HTTP header value: no control characters but tab (a CR or LF would end the header). */
export function headerValue(value: string, what = 'header value'): string {
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) throw new ValidationError(`${what} ${JSON.stringify(value)} holds a control character`);
  return value;
}

/** A Service as [namespace/]service[:port] (the port by number or name), e.g. istio-system/prometheus:9090. */
export function serviceRef(
  value: string,
  defaults: { namespace: string; port: string },
  what = 'service',
): { namespace: string; service: string; port: string } {
  const m = /^(?:([^/:]+)\/)?([^/:]+)(?::([^/:]+))?$/.exec(value.trim());
  if (!m) throw new ValidationError(`${what} "${value}" must look like [namespace/]service[:port], e.g. istio-system/prometheus:9090`);
  const port = m[3] ?? defaults.port;
  if (!/^\d+$/.test(port)) dnsLabel(port, `${what} port`);
  return { namespace: dnsLabel(m[1] ?? defaults.namespace, `${what} namespace`), service: dnsLabel(m[2], `${what} name`), port };
}

// Which proxy a request goes through, as kubectl decides it: a cluster's proxy-url (http, https or socks5)
// for every request to that cluster; otherwise HTTPS_PROXY / HTTP_PROXY (upper case first, then lower) by
// the target's scheme, unless NO_PROXY exempts the host. NO_PROXY is read as Go's
// golang.org/x/net/http/httpproxy reads it: comma-separated entries, each an IP (1.2.3.4, ::1), a CIDR
// (10.0.0.0/8), a domain that matches itself and its subdomains (example.com), a leading dot or "*."
// for subdomains only (.example.com), any of them with a port (example.com:6443, [::1]:6443), or "*"
// for everything. localhost and loopback addresses never use the environment's proxy.
import { BlockList, isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { ConfigError } from '../errors.js';

export interface ProxyChoice {
  url: URL;
  /** Where it was configured, for messages: `proxy-url of cluster "x"`, `HTTPS_PROXY`. */
  source: string;
}

const PROXY_SCHEMES = new Set(['http:', 'https:', 'socks5:']);

/** A cluster's proxy-url, checked as clientcmd checks it. */
export function parseProxyUrl(value: string, cluster: string): URL {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new ConfigError(`proxy-url "${value}" of cluster "${cluster}" is not a URL; use http://host:port, https://host:port or socks5://host:port`);
  }
  if (!PROXY_SCHEMES.has(u.protocol)) {
    throw new ConfigError(`proxy-url "${value}" of cluster "${cluster}" has scheme "${u.protocol.slice(0, -1)}"; use http, https or socks5`);
  }
  return u;
}

/** An environment proxy value; a bare host:port means http:// (Go's rule). */
function parseEnvProxy(value: string): URL | undefined {
  const tryParse = (v: string) => {
    try {
      const u = new URL(v);
      return u.host ? u : undefined;
    } catch {
      return undefined;
    }
  };
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? (tryParse(value) ?? tryParse(`http://${value}`)) : tryParse(`http://${value}`);
}

const env1 = (env: NodeJS.ProcessEnv, upper: string): string | undefined => env[upper] || env[upper.toLowerCase()] || undefined;

interface Matcher {
  ip?: { block: BlockList } | { addr: string; port: string };
  domain?: { suffix: string; port: string; exact: boolean };
}

/** BlockList compares v4-mapped v6 addresses with v4 rules, as Go's net.IP.Equal does. */
function ipFamily(ip: string): 'ipv4' | 'ipv6' {
  return isIP(ip) === 6 ? 'ipv6' : 'ipv4';
}

function parseNoProxy(value: string): { all: boolean; matchers: Matcher[] } {
  const matchers: Matcher[] = [];
  for (const raw of value.split(',')) {
    const p = raw.trim().toLowerCase();
    if (!p) continue;
    if (p === '*') return { all: true, matchers: [] };
    const cidr = /^(.+)\/(\d{1,3})$/.exec(p);
    if (cidr && isIP(cidr[1])) {
      const block = new BlockList();
      try {
        block.addSubnet(cidr[1], Number(cidr[2]), ipFamily(cidr[1]));
      } catch {
        continue;
      }
      matchers.push({ ip: { block } });
      continue;
    }
    let host = p;
    let port = '';
    const bracket = /^\[([^\]]+)\]:(\d*)$/.exec(p);
    const hostPort = /^([^:]+):(\d*)$/.exec(p);
    if (bracket) [host, port] = [bracket[1], bracket[2]];
    else if (hostPort) [host, port] = [hostPort[1], hostPort[2]];
    if (!host) continue;
    if (isIP(host)) {
      matchers.push({ ip: { addr: host, port } });
      continue;
    }
    if (host.startsWith('*.')) host = host.slice(1);
    host = domainToASCII(host) || host;
    const exact = !host.startsWith('.');
    matchers.push({ domain: { suffix: exact ? `.${host}` : host, port, exact } });
  }
  return { all: false, matchers };
}

function sameIp(a: string, b: string): boolean {
  const block = new BlockList();
  block.addAddress(a, ipFamily(a));
  return block.check(b, ipFamily(b));
}

// Built on first use: nothing runs at module load (the single executables' startup snapshot cannot
// hold a BlockList, and --help never needs one).
let loopback: BlockList | undefined;
function isLoopback(ip: string): boolean {
  if (!loopback) {
    loopback = new BlockList();
    loopback.addSubnet('127.0.0.0', 8, 'ipv4');
    loopback.addAddress('::1', 'ipv6');
  }
  return loopback.check(ip, ipFamily(ip));
}

/** Whether NO_PROXY (and the loopback rule) sends host:port direct. */
export function bypassesProxy(host: string, port: string, noProxy: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  const ip = isIP(h) ? h : undefined;
  if (ip && isLoopback(ip)) return true;
  const { all, matchers } = parseNoProxy(noProxy);
  if (all) return true;
  for (const m of matchers) {
    if (m.ip && ip) {
      if ('block' in m.ip ? m.ip.block.check(ip, ipFamily(ip)) : sameIp(m.ip.addr, ip) && (m.ip.port === '' || m.ip.port === port)) return true;
    }
    if (m.domain && !ip) {
      const d = m.domain;
      if ((h.endsWith(d.suffix) || (d.exact && h === d.suffix.slice(1))) && (d.port === '' || d.port === port)) return true;
    }
  }
  return false;
}

/** The proxy for a request to `target` (undefined: connect directly). */
export function proxyFor(target: URL, proxyUrl: string | undefined, cluster: string, env: NodeJS.ProcessEnv): ProxyChoice | undefined {
  if (proxyUrl) return { url: parseProxyUrl(proxyUrl, cluster), source: `proxy-url of cluster "${cluster}"` };
  const https = target.protocol === 'https:';
  const name = https ? 'HTTPS_PROXY' : 'HTTP_PROXY';
  const value = env1(env, name);
  // Go refuses HTTP_PROXY under CGI (REQUEST_METHOD set), where a request header could have set it.
  if (!value || (!https && env['REQUEST_METHOD'])) return undefined;
  const url = parseEnvProxy(value);
  if (!url) return undefined;
  const port = target.port || (https ? '443' : '80');
  if (bypassesProxy(target.hostname, port, env1(env, 'NO_PROXY') ?? '')) return undefined;
  return { url, source: name };
}

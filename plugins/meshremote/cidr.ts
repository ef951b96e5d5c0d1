// CIDR arithmetic for the overlap checks: IPv4 and IPv6 ranges as bigint intervals.
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  family: 4 | 6;
  start: bigint;
  end: bigint;
  /** Canonical text, e.g. 10.96.0.0/16. */
  text: string;
}

function ipToBigInt(ip: string): { family: 4 | 6; value: bigint } | undefined {
  if (isIPv4(ip)) return { family: 4, value: ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) };
  if (!isIPv6(ip)) return undefined;
  let [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(tail ?? head);
  const fromV4 = (t: string) => {
    const n = ipToBigInt(t)!.value;
    return [(n >> 16n).toString(16), (n & 0xffffn).toString(16)].join(':');
  };
  if (v4) {
    if (tail !== undefined) tail = tail.replace(v4[1], fromV4(v4[1]));
    else head = head.replace(v4[1], fromV4(v4[1]));
  }
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n) };
}

function bigIntToIp(family: 4 | 6, v: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups
    .join(':')
    .replace(/(^|:)0(:0)+(:|$)/, '::')
    .replace(/:{3,}/, '::');
}

export function parseCidr(text: string): Cidr | undefined {
  const [ip, bitsText] = text.trim().split('/');
  const parsed = ipToBigInt(ip ?? '');
  if (!parsed) return undefined;
  const width = parsed.family === 4 ? 32 : 128;
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > width) return undefined;
  const host = (1n << BigInt(width - bits)) - 1n;
  const start = parsed.value & ~host & ((1n << BigInt(width)) - 1n);
  return { family: parsed.family, start, end: start | host, text: `${bigIntToIp(parsed.family, start)}/${bits}` };
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.start <= b.end && b.start <= a.end;
}

export function contains(c: Cidr, ip: string): boolean {
  const p = ipToBigInt(ip);
  return Boolean(p && p.family === c.family && p.value >= c.start && p.value <= c.end);
}

/** The smallest CIDR of each family that holds all the addresses (an inferred range). */
export function covering(ips: string[]): Cidr[] {
  const out: Cidr[] = [];
  for (const family of [4, 6] as const) {
    const values = ips
      .map(ipToBigInt)
      .filter((p) => p?.family === family)
      .map((p) => p!.value);
    if (!values.length) continue;
    const lo = values.reduce((a, b) => (a < b ? a : b));
    const hi = values.reduce((a, b) => (a > b ? a : b));
    const width = family === 4 ? 32 : 128;
    let bits = width;
    while (bits > 0 && lo >> BigInt(width - bits) !== hi >> BigInt(width - bits)) bits--;
    out.push(parseCidr(`${bigIntToIp(family, lo)}/${bits}`)!);
  }
  return out;
}

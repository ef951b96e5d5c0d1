// IPv4 addresses and CIDRs as numbers, pure: parsing, overlap, the n-th address of a block, and the
// free blocks of a range. The network harness claims its CIDRs with these (test/unit/network-cidr.test.ts).

export interface Cidr {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  bits: number;
}

export function parseIPv4(ip: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip.trim());
  if (!m || m.slice(1).some((o) => Number(o) > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return m.slice(1).reduce((n, o) => n * 256 + Number(o), 0);
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function parseCidr(cidr: string): Cidr {
  const [ip, b] = cidr.split('/');
  const bits = b === undefined ? 32 : Number(b);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const size = 2 ** (32 - bits);
  const n = parseIPv4(ip);
  if (n % size !== 0) throw new Error(`${cidr} is not aligned: its network address is ${formatIPv4(n - (n % size))}/${bits}`);
  return { base: n, bits };
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.bits}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.bits);
}

export function contains(c: Cidr, ip: string | number): boolean {
  const n = typeof ip === 'number' ? ip : parseIPv4(ip);
  return n >= c.base && n < c.base + size(c);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

/** The n-th address of a block (0 is the network address). */
export function nth(c: Cidr, n: number): string {
  if (n < 0 || n >= size(c)) throw new Error(`${formatCidr(c)} has no address number ${n}`);
  return formatIPv4(c.base + n);
}

/** The first block of `bits` inside `range` that overlaps none of `taken`, or undefined. */
export function firstFree(range: Cidr, bits: number, taken: Cidr[]): Cidr | undefined {
  const step = 2 ** (32 - bits);
  for (let base = range.base; base + step <= range.base + size(range); base += step) {
    const c = { base, bits };
    if (!taken.some((t) => overlaps(t, c))) return c;
  }
  return undefined;
}

/** Loopback (127.0.0.0/8) or ::1 / localhost: the only targets that need no namespace route. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  try {
    return contains(parseCidr('127.0.0.0/8'), h);
  } catch {
    return false;
  }
}

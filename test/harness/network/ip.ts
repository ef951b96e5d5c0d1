// iproute2 from TypeScript: one call per command (argument arrays, never a shell string), JSON where
// iproute2 offers it, and `ip -batch` for many address changes at once.
import { execa } from 'execa';

export interface RouteInfo {
  dst: string;
  dev?: string;
  gateway?: string;
  prefsrc?: string;
  /** 'unicast', 'local', 'unreachable', ... */
  type?: string;
}

/** Run `ip ARGS`, in a network namespace when given; throws with iproute2's own message. */
export async function ip(args: string[], opts: { netns?: string; input?: string } = {}): Promise<string> {
  const argv = opts.netns ? ['-n', opts.netns, ...args] : args;
  const r = await execa('ip', argv, { input: opts.input, stdin: opts.input === undefined ? 'ignore' : 'pipe', reject: false });
  if (r.exitCode !== 0) throw new Error(`ip ${argv.join(' ')}: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  return r.stdout;
}

export async function ipJson<T>(args: string[], opts: { netns?: string } = {}): Promise<T> {
  const out = await ip(['-j', ...args], opts);
  return (out.trim() ? JSON.parse(out) : []) as T;
}

/** Where the kernel would send a packet for `address`: `ip route get`. Undefined when unroutable. */
export async function routeGet(address: string, netns?: string): Promise<RouteInfo | undefined> {
  try {
    const [r] = await ipJson<RouteInfo[]>(['route', 'get', address], { netns });
    return r;
  } catch (err) {
    if (/unreachable|No route/i.test((err as Error).message)) return undefined;
    throw err;
  }
}

/** Many `ip` commands in one process (-force: go on past lines that fail, e.g. an address already there). */
export async function ipBatch(lines: string[], netns?: string): Promise<void> {
  if (lines.length === 0) return;
  await execa('ip', [...(netns ? ['-n', netns] : []), '-force', '-batch', '-'], { input: lines.join('\n') + '\n', reject: false });
}

/** Can this process make network namespaces? Undefined if so, else one line saying why not. */
export async function networkUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `the test network needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the test network needs root (network namespaces, veth, routes)';
  const r = await execa('ip', ['-V'], { reject: false, stdin: 'ignore' }).catch(() => undefined);
  if (!r || r.exitCode !== 0) return 'the test network needs iproute2 (apt-get install iproute2)';
  const caps = await execa('grep', ['^CapEff:', '/proc/self/status'], { reject: false, stdin: 'ignore' });
  const eff = BigInt(`0x${caps.stdout.split(/\s+/)[1] ?? '0'}`);
  const NET_ADMIN = 12n;
  const SYS_ADMIN = 21n;
  if (!((eff >> NET_ADMIN) & 1n)) return 'the test network needs CAP_NET_ADMIN';
  if (!((eff >> SYS_ADMIN) & 1n)) return 'the test network needs CAP_SYS_ADMIN (ip netns add mounts the namespace)';
  return undefined;
}

// A host address that is not loopback, for tests of proxy rules that never apply to loopback: a network
// namespace with a veth pair whose host end gets an address from a random /30 in 10.253.0.0/16. Traffic
// to it stays on this machine (the route is local); names carry a per-run prefix and are removed after.
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

export interface HostAddress {
  address: string;
  remove(): void;
}

const ip = (args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

/** Undefined when namespaces cannot be made here (not root, no iproute2). */
export function namespacedHostAddress(): HostAddress | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const name = `kcc${process.pid % 100000}${randomInt(100)}`;
  const [host, peer] = [`${name}h`, `${name}n`];
  const a = randomInt(256);
  const b = randomInt(64) * 4;
  const address = `10.253.${a}.${b + 1}`;
  const remove = () => {
    for (const args of [
      ['link', 'del', host],
      ['netns', 'del', name],
    ]) {
      try {
        ip(args);
      } catch {
        /* already gone */
      }
    }
  };
  try {
    ip(['netns', 'add', name]);
    ip(['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
    ip(['link', 'set', peer, 'netns', name]);
    ip(['addr', 'add', `${address}/30`, 'dev', host]);
    ip(['link', 'set', host, 'up']);
    ip(['-n', name, 'addr', 'add', `10.253.${a}.${b + 2}/30`, 'dev', peer]);
    ip(['-n', name, 'link', 'set', peer, 'up']);
    // Only a local route may lead there: anything else would leave the machine.
    if (!ip(['route', 'get', address]).startsWith('local ')) throw new Error(`${address} is not local`);
  } catch (err) {
    remove();
    if (/not permitted|No such file|command not found|ENOENT/i.test((err as Error).message)) return undefined;
    throw err;
  }
  process.once('exit', remove);
  return { address, remove };
}

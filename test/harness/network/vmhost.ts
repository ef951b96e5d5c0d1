// VM hosts of a cluster's network (seed 001 chapter 5's root@192.168.3.202): a network namespace with
// the address, joined to the cluster's namespace by a veth pair (which forwards between its links
// only), routed from this machine through the cluster's veth; Debian's sshd from a cached debootstrap
// root listens only on the address, chrooted in an overlay of that root in a private mount namespace.
// Host keys and the login key are made per run; only key login as root is allowed.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../binaries.js';
import { until } from '../cluster.js';
import { startProcess, type Started } from '../processes.js';
import { isLoopback, parseCidr, parseIPv4 } from './cidr.js';
import { ip } from './ip.js';
import type { Network } from './network.js';
import { withMachineLock } from './registry.js';

export interface VMHostOptions {
  /** The host's name (its hostname, and part of its namespace's name). */
  name: string;
  /** Its address, e.g. 192.168.3.202. */
  address: string;
}

export interface VMHost {
  name: string;
  address: string;
  netns: string;
  /** An ssh_config naming the host, its per-run key and known_hosts: `ssh -F <sshConfig> root@<address>`. */
  sshConfig: string;
  /** The per-run private key (0600) that logs in as root. */
  identity: string;
  knownHosts: string;
  /** The host's own files as it sees them are under this folder's upper layer (what it changed). */
  changes: string;
  /** ssh's arguments for running a command on the host (BatchMode, the per-run config). */
  sshArgs(command?: string[]): string[];
  sshd: Started;
}

/** The cached Debian root (test/controlplane/vm-root.sh builds it); throws with the command to run. */
export async function vmRoot(): Promise<string> {
  const script = join(REPO_ROOT, 'test/controlplane/vm-root.sh');
  const r = await execa('bash', [script], { reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new Error(r.stderr.trim().split('\n').pop() ?? `${script} failed`);
  return r.stdout.trim().split('\n').pop()!;
}

export async function addVMHost(net: Network, opts: VMHostOptions, ctx: { detached: boolean; log: (m: string) => void }): Promise<VMHost> {
  const s = net.state;
  if (!/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test(opts.name)) throw new Error(`VM host name "${opts.name}" must be a DNS label of up to 32 characters`);
  parseIPv4(opts.address);
  if (isLoopback(opts.address) || net.owns(opts.address))
    throw new Error(`${opts.address} cannot be a VM host's address: it is loopback or already the network's`);
  if (s.hosts.some((h) => h.name === opts.name)) throw new Error(`network ${s.netns} already has a VM host named ${opts.name}`);
  const root = await vmRoot();
  const n = s.hosts.length;
  const netns = `${s.id}-vm-${opts.name}`;
  const outer = `${s.id}v${n}`;
  await withMachineLock(async () => {
    const clash = (await ip(['-4', 'route', 'show', 'table', 'all'])).split('\n').find((l) => {
      const dst = l.split(' ')[0];
      if (!/^\d/.test(dst)) return false;
      const c = parseCidr(dst.includes('/') ? dst : `${dst}/32`);
      const a = parseIPv4(opts.address);
      return a >= c.base && a < c.base + 2 ** (32 - c.bits) && c.bits > 0;
    });
    if (clash) throw new Error(`${opts.address} is already routed on this machine (${clash.trim()}): another run's VM host? Stop it or choose another address`);
    net.record((r) => r.netns.push(netns));
    await ip(['netns', 'add', netns]);
    await ip(['link', 'add', outer, 'netns', s.netns, 'type', 'veth', 'peer', 'name', `${s.id}w${n}`, 'netns', netns]);
    // The cluster's namespace: the VM's address on its link, and forwarding between its own links.
    await ip(['addr', 'add', `${s.insideAddress}/32`, 'dev', outer], { netns: s.netns });
    await ip(['link', 'set', outer, 'up'], { netns: s.netns });
    await ip(['route', 'add', `${opts.address}/32`, 'dev', outer], { netns: s.netns });
    await execa('ip', ['netns', 'exec', s.netns, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'], { stdin: 'ignore' });
    // The VM's namespace: its address, and routes to this machine's end of the link and to the pod
    // network through the cluster's namespace. No default route: nothing else is reachable from it.
    const inVM = (args: string[]) => ip(args, { netns });
    await inVM(['link', 'set', 'lo', 'up']);
    await inVM(['link', 'set', `${s.id}w${n}`, 'name', 'eth0']);
    await inVM(['addr', 'add', `${opts.address}/32`, 'dev', 'eth0']);
    await inVM(['link', 'set', 'eth0', 'up']);
    await inVM(['route', 'add', `${s.insideAddress}/32`, 'dev', 'eth0']);
    for (const dst of [`${s.hostAddress}/32`, s.podCIDR, s.serviceCIDR, s.loadBalancerCIDR])
      await inVM(['route', 'add', dst, 'via', s.insideAddress, 'dev', 'eth0']);
    await execa('ip', ['netns', 'exec', netns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1'], { stdin: 'ignore' });
    // This machine reaches the VM through the cluster's veth (the route goes when the veth does).
    await ip(['route', 'add', `${opts.address}/32`, 'via', s.insideAddress, 'dev', s.hostLink]);
  });
  const dir = join(s.dir, 'hosts', opts.name);
  const sshConfig = join(dir, 'ssh_config');
  s.hosts.push({ name: opts.name, address: opts.address, netns, sshConfig });

  // Its files: an overlay of the cached root; per-run keys and sshd's configuration in the upper layer.
  const upper = join(dir, 'upper');
  for (const d of ['work', 'root', 'upper/etc/ssh', 'upper/root/.ssh']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(upper, 'root'), 0o700);
  chmodSync(join(upper, 'root/.ssh'), 0o700);
  const keygen = (file: string, comment: string) => execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { stdin: 'ignore' });
  const identity = join(dir, 'id_ed25519');
  await Promise.all([keygen(join(upper, 'etc/ssh/ssh_host_ed25519_key'), `${opts.name}-host`), keygen(identity, `kplugins-${opts.name}`)]);
  writeFileSync(join(upper, 'root/.ssh/authorized_keys'), readFileSync(`${identity}.pub`), { mode: 0o600 });
  writeFileSync(
    join(upper, 'etc/ssh/sshd_config'),
    [
      `ListenAddress ${opts.address}:22`,
      'HostKey /etc/ssh/ssh_host_ed25519_key',
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitEmptyPasswords no',
      'UsePAM no',
      'AuthorizedKeysFile .ssh/authorized_keys',
      'PidFile /run/sshd.pid',
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      '',
    ].join('\n'),
  );
  writeFileSync(join(upper, 'etc/hostname'), `${opts.name}\n`);
  writeFileSync(join(upper, 'etc/hosts'), `127.0.0.1 localhost\n${opts.address} ${opts.name}\n`);
  const knownHosts = join(dir, 'known_hosts');
  const hostPub = readFileSync(join(upper, 'etc/ssh/ssh_host_ed25519_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  writeFileSync(knownHosts, `${opts.address} ${hostPub}\n${opts.name} ${hostPub}\n`);
  writeFileSync(
    sshConfig,
    [
      `Host ${opts.name} ${opts.address}`,
      `  HostName ${opts.address}`,
      '  User root',
      `  IdentityFile ${identity}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${knownHosts}`,
      '  StrictHostKeyChecking yes',
      '  PasswordAuthentication no',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );

  const sshd = startProcess(
    `sshd-${opts.name}`,
    'ip',
    [
      'netns',
      'exec',
      netns,
      'unshare',
      '--mount',
      '--uts',
      '--propagation',
      'private',
      '--',
      'bash',
      join(REPO_ROOT, 'test/harness/network/vm-init.sh'),
      root,
      upper,
      join(dir, 'work'),
      join(dir, 'root'),
      opts.name,
    ],
    join(s.dir, 'logs', `sshd-${opts.name}.log`),
    { detached: ctx.detached },
  );
  await net.assertRouted(opts.address).catch(() => {
    throw new Error(`the route to VM host ${opts.name} (${opts.address}) does not go into ${s.netns}`);
  });
  await until(`sshd of VM host ${opts.name} on ${opts.address}:22`, () => sshBanner(opts.address), 20_000, [sshd]);
  ctx.log(`VM host ${opts.name} at ${opts.address}: ssh -F ${sshConfig} root@${opts.address}`);
  return {
    name: opts.name,
    address: opts.address,
    netns,
    sshConfig,
    identity,
    knownHosts,
    changes: upper,
    sshd,
    sshArgs: (command = []) => ['-F', sshConfig, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', `root@${opts.address}`, ...command],
  };
}

/** Does an SSH server answer on address:22 (its banner)? The caller has checked the route. */
function sshBanner(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: address, port: 22, timeout: 1000 });
    sock.once('data', (d) => (sock.destroy(), resolve(d.toString().startsWith('SSH-2.0'))));
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => (sock.destroy(), resolve(false)));
  });
}

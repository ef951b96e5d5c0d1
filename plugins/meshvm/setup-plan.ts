// `setup` as pure parts: the ssh target, ssh's and scp's argument arrays, the fixed install script the
// VM runs, and its report read back. The script is a constant: the only value passed to it is the
// staging directory the VM's own mktemp named (checked against mktemp's shape), so no input of ours
// ever becomes shell text on the VM.
import { ValidationError } from '../../shared/errors.js';
import { dnsSubdomain, ipAddress, port as portNumber } from '../../shared/validate.js';
import { BOOTSTRAP_FILES, FILE_MODES, type BootstrapFileName } from './bootstrap-files.js';

export interface SshTarget {
  user: string;
  host: string;
  /** user@host for ssh; user@[v6] for scp's remote paths. */
  ssh: string;
  scpHost: string;
}

/** Where the VM doc installs each file (the hosts lines are appended to /etc/hosts instead). */
export const INSTALL_PATHS: Record<Exclude<BootstrapFileName, 'hosts'>, string> = {
  'root-cert.pem': '/etc/certs/root-cert.pem',
  'istio-token': '/var/run/secrets/tokens/istio-token',
  'cluster.env': '/var/lib/istio/envoy/cluster.env',
  'sidecar.env': '/var/lib/istio/envoy/sidecar.env',
  'mesh.yaml': '/etc/istio/config/mesh',
};

export function parseTarget(v: string): SshTarget {
  const at = v.lastIndexOf('@');
  if (at <= 0) throw new ValidationError(`"${v}" must be <user>@<host>, e.g. root@192.168.3.202`);
  const user = v.slice(0, at);
  let host = v.slice(at + 1);
  if (!/^[a-z_][a-z0-9_.-]{0,31}$/i.test(user)) throw new ValidationError(`"${user}" is not a user name (letters, digits, '_', '.', '-')`);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const isIP = /^[0-9.]+$/.test(host) || host.includes(':');
  if (isIP) ipAddress(host, 'host');
  else dnsSubdomain(host.toLowerCase(), 'host');
  const v6 = host.includes(':');
  return { user, host, ssh: `${user}@${host}`, scpHost: v6 ? `${user}@[${host}]` : `${user}@${host}` };
}

export interface SshOptions {
  identity?: string | undefined;
  port?: number | undefined;
  config?: string | undefined;
  acceptNewHostKey: boolean;
  connectTimeoutSeconds: number;
}

export function readPort(v: string | undefined): number | undefined {
  return v === undefined ? undefined : portNumber(v, '--port');
}

/** Options ssh and scp share: strict host key checking unless told, no password prompt (scripts), a bounded connect. */
function common(o: SshOptions): string[] {
  return [
    ...(o.config ? ['-F', o.config] : []),
    ...(o.identity ? ['-i', o.identity, '-o', 'IdentitiesOnly=yes'] : []),
    '-o',
    `StrictHostKeyChecking=${o.acceptNewHostKey ? 'accept-new' : 'yes'}`,
    '-o',
    'BatchMode=yes',
    '-o',
    `ConnectTimeout=${o.connectTimeoutSeconds}`,
  ];
}

export function sshArgs(t: SshTarget, o: SshOptions, command: string[]): string[] {
  return [...common(o), ...(o.port ? ['-p', String(o.port)] : []), '--', t.ssh, ...command];
}

export function scpArgs(t: SshTarget, o: SshOptions, files: string[], remoteDir: string): string[] {
  return [...common(o), '-q', '-p', ...(o.port ? ['-P', String(o.port)] : []), '--', ...files, `${t.scpHost}:${remoteDir}/`];
}

/** The VM's mktemp: a staging directory that only its owner can read (the token goes through it). */
export const MKTEMP = ['umask 077 && mktemp -d /tmp/meshvm.XXXXXXXXXX'];
const STAGING = /^\/tmp\/meshvm\.[A-Za-z0-9]{10}$/;

export function stagingDir(stdout: string): string {
  const dir = stdout.trim();
  if (!STAGING.test(dir)) throw new ValidationError(`the VM's mktemp answered "${dir.slice(0, 80)}", not a /tmp/meshvm.XXXXXXXXXX directory`);
  return dir;
}

const mode = (f: BootstrapFileName) => FILE_MODES[f].toString(8);

/**
 * The install, run by `sh -s <staging dir>` on the VM (as root, or through sudo -n). Each step prints
 * one line, `<what> <path> <detail>`, that reportLines() reads: installed/unchanged files, hosts lines
 * added/present/replaced, chown, restart or the package to install. A file whose bytes and mode are
 * already right is not touched, so a second run changes nothing.
 */
export const INSTALL_SCRIPT = `set -eu
src=$1
trap 'rm -rf "$src"' EXIT
SUDO=
if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi
changed=0
put() {
  if $SUDO test -f "$2" && $SUDO cmp -s "$1" "$2" && [ "$($SUDO stat -c %a "$2")" = "$3" ]; then
    echo "unchanged $2 $3"
  else
    $SUDO mkdir -p "$(dirname "$2")"
    $SUDO install -m "$3" "$1" "$2"
    changed=1
    echo "installed $2 $3"
  fi
}
${(Object.keys(INSTALL_PATHS) as (keyof typeof INSTALL_PATHS)[]).map((f) => `put "$src/${f}" ${INSTALL_PATHS[f]} ${mode(f)}`).join('\n')}
# hosts: each line once; a line naming the same host with another address is replaced.
while read -r addr names; do
  case "$addr" in ''|'#'*) continue ;; esac
  line="$addr $names"
  if $SUDO grep -qxF "$line" /etc/hosts; then echo "present /etc/hosts $line"; continue; fi
  for n in $names; do
    if $SUDO awk -v n="$n" '{ for (i = 2; i <= NF; i++) if ($i == n) f = 1 } END { exit !f }' /etc/hosts; then
      $SUDO awk -v n="$n" '{ for (i = 2; i <= NF; i++) if ($i == n) next } { print }' /etc/hosts > "$src/hosts.new"
      $SUDO sh -c 'cat "$1" > /etc/hosts' sh "$src/hosts.new"
      echo "replaced /etc/hosts $n"
    fi
  done
  printf '%s\\n' "$line" | $SUDO tee -a /etc/hosts > /dev/null
  changed=1
  echo "added /etc/hosts $line"
done < "$src/hosts"
if id istio-proxy > /dev/null 2>&1; then
  $SUDO mkdir -p /etc/istio/proxy
  $SUDO chown -R istio-proxy /var/lib/istio /etc/certs /etc/istio/proxy /etc/istio/config /var/run/secrets
  echo "chown istio-proxy -"
else
  echo "no-user istio-proxy -"
fi
if command -v systemctl > /dev/null 2>&1 && $SUDO systemctl cat istio.service > /dev/null 2>&1; then
  if [ "$changed" = 1 ]; then $SUDO systemctl restart istio && echo "restarted istio -"; else echo "kept istio -"; fi
else
  echo "no-unit istio -"
fi
`;

export interface SetupStep {
  action: 'installed' | 'unchanged' | 'added' | 'present' | 'replaced' | 'chown' | 'no-user' | 'restarted' | 'kept' | 'no-unit';
  path: string;
  detail: string;
}

const ACTIONS = new Set<SetupStep['action']>(['installed', 'unchanged', 'added', 'present', 'replaced', 'chown', 'no-user', 'restarted', 'kept', 'no-unit']);

export function reportLines(stdout: string): SetupStep[] {
  const out: SetupStep[] = [];
  for (const line of stdout.split('\n')) {
    const [action, path = '', ...rest] = line.trim().split(' ');
    if (ACTIONS.has(action as SetupStep['action'])) out.push({ action: action as SetupStep['action'], path, detail: rest.join(' ') });
  }
  return out;
}

export const changedSomething = (steps: SetupStep[]) => steps.some((s) => ['installed', 'added', 'replaced', 'restarted'].includes(s.action));

/** The files pushed, in the order the script installs them (hosts last). */
export const PUSHED: BootstrapFileName[] = [...BOOTSTRAP_FILES];

/** The Istio sidecar package a VM without the istio unit needs (Istio's VM install doc). */
export const SIDECAR_PACKAGE_HINT =
  'install the Istio sidecar package of your Istio version on the VM (istio-sidecar.deb or istio-sidecar.rpm from the release, see Istio\'s "Virtual Machine Installation"), then run setup again';

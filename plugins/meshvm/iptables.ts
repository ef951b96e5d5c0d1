// The istio-iptables command a VM runs (istio-start.sh calls `pilot-agent istio-iptables` with the
// variables of sidecar.env and cluster.env), spelled out flag by flag with what each does: the table of
// seed 003, checked against tools/istio-iptables/pkg/cmd/root.go. Pure.

export interface IptablesFlag {
  flag: string;
  long: string;
  /** The variable istio-iptables reads the value from when the flag is not given ('' for a flag only). */
  env: string;
  value: string;
  /** Where the value came from: flag (ours), the bundle's file, or Istio's default. */
  source: string;
  meaning: string;
}

interface FlagSpec {
  flag: string;
  long: string;
  env: string;
  /** Extra variables read too (istio-iptables' AdditionalEnv). */
  alias?: string;
  fallback: string;
  meaning: string;
}

/** The flags of istio-iptables that matter on a VM, in the order seed 003 explains them. */
const SPECS: FlagSpec[] = [
  { flag: '-p', long: '--envoy-port', env: '', fallback: '15001', meaning: 'Envoy port all redirected outbound TCP traffic goes to' },
  {
    flag: '-z',
    long: '--inbound-capture-port',
    env: 'INBOUND_CAPTURE_PORT',
    fallback: '15006',
    meaning: 'Port all redirected inbound TCP traffic to the VM goes to',
  },
  {
    flag: '-u',
    long: '--proxy-uid',
    env: 'PROXY_UID',
    fallback: '',
    meaning: "UID whose traffic is never redirected, the proxy's own: istio-proxy's UID on the VM (1337 when there is no such user)",
  },
  { flag: '-g', long: '--proxy-gid', env: 'PROXY_GID', fallback: '', meaning: 'GID whose traffic is never redirected (the -u value unless given)' },
  {
    flag: '-m',
    long: '--istio-inbound-interception-mode',
    env: 'ISTIO_INBOUND_INTERCEPTION_MODE',
    fallback: 'REDIRECT',
    meaning: 'How inbound connections reach Envoy: REDIRECT (NAT, source address lost) or TPROXY (source kept; Envoy runs with CAP_NET_ADMIN)',
  },
  {
    flag: '-b',
    long: '--istio-inbound-ports',
    env: 'ISTIO_INBOUND_PORTS',
    fallback: '',
    meaning: 'Inbound ports redirected to Envoy; * for every port, empty for none',
  },
  {
    flag: '-d',
    long: '--istio-local-exclude-ports',
    env: 'ISTIO_LOCAL_EXCLUDE_PORTS',
    fallback: '',
    meaning: "Inbound ports never redirected (when -b is *): ssh, and the agent's own ports",
  },
  {
    flag: '-i',
    long: '--istio-service-cidr',
    env: 'ISTIO_SERVICE_CIDR',
    fallback: '',
    meaning: 'Outbound destinations (CIDRs) redirected to Envoy; * for all, empty disables outbound redirection',
  },
  {
    flag: '-x',
    long: '--istio-service-exclude-cidr',
    env: 'ISTIO_SERVICE_EXCLUDE_CIDR',
    fallback: '',
    meaning: 'Outbound destinations (CIDRs) never redirected (when -i is *)',
  },
  {
    flag: '-q',
    long: '--istio-outbound-ports',
    env: 'ISTIO_OUTBOUND_PORTS',
    fallback: '',
    meaning: 'Outbound ports redirected even when their destination is excluded',
  },
  {
    flag: '-o',
    long: '--istio-local-outbound-ports-exclude',
    env: 'ISTIO_LOCAL_OUTBOUND_PORTS_EXCLUDE',
    fallback: '',
    meaning: 'Outbound ports never redirected',
  },
  {
    flag: '-k',
    long: '--kube-virt-interfaces',
    env: 'KUBE_VIRT_INTERFACES',
    fallback: '',
    meaning: 'Virtual interfaces whose inbound traffic (from VMs nested in this one) is treated as outbound',
  },
  {
    flag: '-c',
    long: '--istio-exclude-interfaces',
    env: 'ISTIO_EXCLUDE_INTERFACES',
    fallback: '',
    meaning: 'Interfaces whose traffic is never redirected, either way',
  },
  {
    flag: '--redirect-dns',
    long: '--redirect-dns',
    env: 'REDIRECT_DNS',
    alias: 'ISTIO_META_DNS_CAPTURE',
    fallback: 'false',
    meaning: "DNS (port 53) goes to istio-agent's DNS proxy, which answers mesh names itself",
  },
];

export interface IptablesInput {
  /** Variables of sidecar.env then cluster.env (the later wins), as istio-start.sh exports them. */
  env: Record<string, string>;
  envSource: string;
  /** Values given on our command line, by variable name. */
  overrides: Record<string, string>;
}

export function iptablesFlags(i: IptablesInput): IptablesFlag[] {
  return SPECS.map((s) => {
    const given = s.env ? i.overrides[s.env] : undefined;
    const fromEnv = (s.env ? i.env[s.env] : undefined) ?? (s.alias ? i.env[s.alias] : undefined);
    const value = given ?? fromEnv ?? s.fallback;
    const source = given !== undefined ? 'flag' : fromEnv !== undefined ? `${i.envSource} (${i.env[s.env] !== undefined ? s.env : s.alias})` : 'default';
    return { flag: s.flag, long: s.long, env: s.env, value, source, meaning: s.meaning };
  });
}

const shq = (v: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'"'"'`)}'`);

/** The command line, flags with their values; -u/-g when unset say how the VM finds them. */
export function iptablesArgv(flags: IptablesFlag[]): string[] {
  const argv = ['pilot-agent', 'istio-iptables'];
  for (const f of flags) {
    if (f.flag === '--redirect-dns') {
      if (f.value === 'true') argv.push('--redirect-dns');
      continue;
    }
    if (f.value === '' && (f.flag === '-u' || f.flag === '-g')) continue;
    if (f.value === '' && ['-q', '-o', '-k', '-c', '-x'].includes(f.flag)) continue;
    argv.push(f.flag, f.value);
  }
  return argv;
}

export function shellLine(argv: string[]): string {
  return argv.map(shq).join(' ');
}

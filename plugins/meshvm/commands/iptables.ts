// kubectl meshvm iptables: the istio-iptables command line that captures a VM's traffic, each flag with
// its value, where the value comes from (our flag, the bundle's cluster.env, Istio's default) and what
// it does. Offline; --bootstrap DIR reads the VM's own sidecar.env and cluster.env.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineCommand, str, type Args } from '../../../shared/cli/command.js';
import { outputFlag, readOutput } from '../../../shared/cli/flags.js';
import { CliError, ValidationError } from '../../../shared/errors.js';
import { parseClusterEnv } from '../../../shared/istio/cluster-env.js';
import { TEMPLATE_FORMATS, type FormatName, type OutputFormat } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { ipAddress, port } from '../../../shared/validate.js';
import { iptablesArgv, iptablesFlags, shellLine, type IptablesFlag } from '../iptables.js';
import { API_VERSION } from '../output.js';

interface Options {
  bootstrap?: string | undefined;
  overrides: Record<string, string>;
  output: OutputFormat;
}

const OUTPUTS: readonly FormatName[] = ['table', 'wide', 'json', 'yaml', ...TEMPLATE_FORMATS];

/** What istioctl writes into cluster.env about capture when nothing says otherwise. */
const CLUSTER_ENV_DEFAULTS: Record<string, string> = {
  ISTIO_INBOUND_PORTS: '*',
  ISTIO_LOCAL_EXCLUDE_PORTS: '22,15090,15021,15020',
  ISTIO_SERVICE_CIDR: '*',
  ISTIO_META_DNS_CAPTURE: 'true',
};

const portList = (v: string, what: string) => {
  if (v === '*' || v === '') return v;
  return v
    .split(',')
    .map((p) => String(port(p.trim(), what)))
    .join(',');
};

const cidrList = (v: string, what: string) => {
  if (v === '*' || v === '') return v;
  return v
    .split(',')
    .map((c) => {
      const [addr, bits, extra] = c.trim().split('/');
      const ip = ipAddress(addr, what);
      const max = ip.family === 4 ? 32 : 128;
      if (extra !== undefined || bits === undefined || !/^\d{1,3}$/.test(bits) || Number(bits) > max)
        throw new ValidationError(`${what} "${c}" is not a CIDR (address/prefix, e.g. 10.0.0.0/8)`);
      return `${ip.address}/${Number(bits)}`;
    })
    .join(',');
};

const interfaces = (v: string, what: string) => {
  for (const i of v.split(',')) if (!/^[A-Za-z0-9_.-]{1,15}$/.test(i)) throw new ValidationError(`${what} "${i}" is not an interface name`);
  return v;
};

const id = (v: string, what: string) => {
  if (!/^\d{1,10}$/.test(v) || Number(v) > 4294967294) throw new ValidationError(`${what} "${v}" must be a numeric ID`);
  return v;
};

/** Our flag -> the variable it sets, and its check. */
const FLAGS: [string, string, (v: string, what: string) => string][] = [
  ['inbound-ports', 'ISTIO_INBOUND_PORTS', portList],
  ['exclude-inbound-ports', 'ISTIO_LOCAL_EXCLUDE_PORTS', portList],
  ['outbound-cidrs', 'ISTIO_SERVICE_CIDR', cidrList],
  ['exclude-outbound-cidrs', 'ISTIO_SERVICE_EXCLUDE_CIDR', cidrList],
  ['outbound-ports', 'ISTIO_OUTBOUND_PORTS', portList],
  ['exclude-outbound-ports', 'ISTIO_LOCAL_OUTBOUND_PORTS_EXCLUDE', portList],
  ['mode', 'ISTIO_INBOUND_INTERCEPTION_MODE', (v) => v.toUpperCase()],
  ['uid', 'PROXY_UID', id],
  ['gid', 'PROXY_GID', id],
  ['virtual-interfaces', 'KUBE_VIRT_INTERFACES', interfaces],
  ['exclude-interfaces', 'ISTIO_EXCLUDE_INTERFACES', interfaces],
];

function readOverrides(args: Args): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [flag, env, check] of FLAGS) {
    const v = str(args, flag);
    if (v !== undefined) out[env] = check(v, `--${flag}`);
  }
  if (args['redirect-dns'] !== undefined) out['REDIRECT_DNS'] = String(args['redirect-dns'] === true);
  return out;
}

/** The variables istio-start.sh exports on the VM: sidecar.env, then cluster.env. */
export function bundleEnv(dir: string): Record<string, string> {
  const read = (f: string) => {
    try {
      return readFileSync(join(dir, f), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CliError(`cannot read ${join(dir, f)}: ${(err as Error).message}`);
    }
  };
  const cluster = read('cluster.env');
  if (cluster === undefined) throw new CliError(`no cluster.env in ${dir}: is it a directory kubectl meshvm bootstrap wrote?`);
  return { ...parseClusterEnv(read('sidecar.env') ?? ''), ...parseClusterEnv(cluster) };
}

export const iptablesCommand = defineCommand<Options>({
  command: 'iptables',
  describe: "The istio-iptables command that captures a VM's traffic, each flag explained",
  examples: [
    ['$0 iptables --inbound-ports 9080,3306', 'A VM serving details on 9080 and MariaDB on 3306: both go through the sidecar'],
    ['$0 iptables --bootstrap ./vm-details', 'What istio-start.sh will run with the files bootstrap wrote'],
    ['$0 iptables --exclude-outbound-cidrs 198.51.100.0/24 -o json', 'For scripts'],
  ],
  builder: (y) => {
    let b = outputFlag(y, OUTPUTS).option('bootstrap', { type: 'string', describe: "Read the VM's sidecar.env and cluster.env from this directory" });
    const describe: Record<string, string> = {
      'inbound-ports': 'Inbound ports to capture (comma-separated, or *)',
      'exclude-inbound-ports': 'Inbound ports never captured (with *)',
      'outbound-cidrs': 'Outbound destinations to capture (CIDRs, or *)',
      'exclude-outbound-cidrs': 'Outbound destinations never captured (with *)',
      'outbound-ports': 'Outbound ports always captured',
      'exclude-outbound-ports': 'Outbound ports never captured',
      mode: 'Inbound interception: REDIRECT or TPROXY',
      uid: "UID whose traffic is not captured (default: istio-proxy's)",
      gid: 'GID whose traffic is not captured (default: the UID)',
      'virtual-interfaces': 'Interfaces whose inbound traffic is treated as outbound',
      'exclude-interfaces': 'Interfaces never captured',
    };
    for (const [flag] of FLAGS)
      b = b.option(flag, { type: 'string', describe: describe[flag] ?? flag, ...(flag === 'mode' ? { choices: ['REDIRECT', 'TPROXY'] } : {}) });
    return b.option('redirect-dns', { type: 'boolean', describe: "Capture DNS for istio-agent's DNS proxy (--no-redirect-dns: leave DNS alone)" });
  },
  options: (args) => ({ bootstrap: str(args, 'bootstrap'), overrides: readOverrides(args), output: readOutput(args, OUTPUTS) }),
  run: async (ctx, o) => {
    const env = o.bootstrap ? bundleEnv(o.bootstrap) : CLUSTER_ENV_DEFAULTS;
    const flags = iptablesFlags({ env, envSource: o.bootstrap ? 'bundle' : 'cluster.env default', overrides: o.overrides });
    const argv = iptablesArgv(flags);
    const shown = (f: IptablesFlag) => (f.value === '' && (f.flag === '-u' || f.flag === '-g') ? "<istio-proxy's>" : f.value === '' ? '<none>' : f.value);
    if (o.output !== 'table' && o.output !== 'wide')
      return print(ctx, o.output, { data: { apiVersion: API_VERSION, kind: 'IstioIptables', command: argv, flags }, rows: [], columns: [] });
    ctx.stdout.write(`${shellLine(argv)}\n\n`);
    await print(ctx, o.output, {
      data: undefined,
      rows: flags,
      columns: [
        { header: 'Flag', value: (f: IptablesFlag) => f.flag },
        { header: 'Value', value: shown },
        { header: 'From', value: (f) => f.source },
        { header: 'Variable', value: (f) => f.env || '-', wide: true },
        { header: 'Meaning', value: (f) => f.meaning },
      ],
    });
  },
});

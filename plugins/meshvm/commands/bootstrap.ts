// kubectl meshvm bootstrap <group> --output-dir DIR: the files a VM needs to join the mesh, the five
// `istioctl x workload entry configure` writes (same keys, same values) plus sidecar.env with
// ISTIO_INBOUND_PORTS, in a directory and/or one archive to copy. The token is written 0600, the rest
// 0644; -o keeps kubectl's meaning (the format of the summary), so the directory is --output-dir.
import type { Argv } from 'yargs';
import { bool, defineCommand, requiredStr, str, type Args } from '../../../shared/cli/command.js';
import { dryRunFlag, outputFlag, readDryRun, readOutput } from '../../../shared/cli/flags.js';
import type { CommandContext } from '../../../shared/context.js';
import { UsageError, ValidationError } from '../../../shared/errors.js';
import type { DryRun } from '../../../shared/kube/object.js';
import type { FormatName, OutputFormat } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { dnsLabel, dnsSubdomain, duration, ipAddress, unicastAddress } from '../../../shared/validate.js';
import { BOOTSTRAP_FILES, FILE_MODES } from '../bootstrap-files.js';
import { prepareBootstrap, writeArchive, writeBundle, type BootstrapRequest, type PreparedBootstrap } from '../bootstrap.js';
import { ISTIO_NAMESPACE } from '../cluster.js';
import { API_VERSION } from '../output.js';

export interface BootstrapFlags extends Omit<BootstrapRequest, 'namespace' | 'dryRun'> {
  outputDir?: string | undefined;
  archive?: string | undefined;
}

interface Options extends BootstrapFlags {
  dryRun: DryRun;
  output: OutputFormat;
}

/** The flags that say how to build the bundle (bootstrap, and setup --group). */
export function bundleFlags(y: Argv): Argv {
  return y
    .option('ingress-ip', { type: 'string', describe: "The address VMs reach istiod at (default: the east-west gateway's)" })
    .option('ingress-service', { type: 'string', describe: 'The east-west gateway Service, <name>[.<namespace>] (default istio-eastwestgateway)' })
    .option('token-duration', { type: 'string', default: '1h', describe: 'How long the token lets the VM get its first certificate (at least 10m)' })
    .option('autoregister', { type: 'boolean', default: false, describe: "Have istiod create the VM's WorkloadEntry when it connects" })
    .option('capture-dns', { type: 'boolean', default: true, describe: 'Let the sidecar answer DNS for mesh names (ISTIO_META_DNS_CAPTURE)' })
    .option('cluster-id', { type: 'string', describe: "The cluster's name in the mesh (default: from istiod's injector configuration)" })
    .option('vm-ip', { type: 'string', describe: "The VM's address, when it has several (ISTIO_SVC_IP)" })
    .option('vm-external-ip', { type: 'string', describe: "The VM's address as the cluster reaches it, when that is not its own (NAT)" })
    .option('revision', { type: 'string', describe: 'The istiod revision to join' })
    .option('istio-namespace', { type: 'string', default: ISTIO_NAMESPACE, describe: 'Where istiod runs' });
}

export function readBundleFlags(args: Args, group: string): Omit<BootstrapRequest, 'namespace' | 'dryRun'> {
  const ingressIP = str(args, 'ingress-ip');
  const ingressService = str(args, 'ingress-service');
  if (ingressIP !== undefined && ingressService !== undefined) throw new UsageError('give --ingress-ip or --ingress-service, not both');
  if (ingressService !== undefined) {
    const parts = ingressService.split('.');
    if (parts.length > 2) throw new ValidationError(`--ingress-service "${ingressService}" must be <name> or <name>.<namespace>`);
    parts.forEach((p) => dnsLabel(p, '--ingress-service'));
  }
  const seconds = duration(str(args, 'token-duration') ?? '1h', '--token-duration') / 1000;
  if (seconds < 600) throw new ValidationError(`--token-duration must be at least 10m (the API server's minimum for a token)`);
  if (!Number.isInteger(seconds)) throw new ValidationError('--token-duration must be whole seconds');
  const vmIP = str(args, 'vm-ip');
  const vmExternalIP = str(args, 'vm-external-ip');
  if (vmIP !== undefined && vmExternalIP !== undefined) throw new UsageError('give --vm-ip or --vm-external-ip, not both');
  const revision = str(args, 'revision');
  const clusterID = str(args, 'cluster-id');
  return {
    group,
    istioNamespace: dnsLabel(str(args, 'istio-namespace') ?? ISTIO_NAMESPACE, '--istio-namespace'),
    revision: revision === undefined ? undefined : dnsLabel(revision, '--revision'),
    ingressIP: ingressIP === undefined ? undefined : ipAddress(ingressIP, '--ingress-ip').address,
    ingressService,
    tokenSeconds: seconds,
    autoregister: bool(args, 'autoregister'),
    captureDNS: args['capture-dns'] !== false,
    clusterID: clusterID === undefined ? undefined : nonBlank(clusterID),
    vmIP: vmIP === undefined ? undefined : unicastAddress(vmIP, '--vm-ip').address,
    vmExternalIP: vmExternalIP === undefined ? undefined : unicastAddress(vmExternalIP, '--vm-external-ip').address,
  };
}

function nonBlank(v: string): string {
  if (!/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(v)) throw new ValidationError(`--cluster-id "${v}" must be letters, digits, '-', '_' or '.'`);
  return v;
}

const OUTPUTS: readonly FormatName[] = ['table', 'json', 'yaml'];

export const bootstrapCommand = defineCommand<Options>({
  command: 'bootstrap <group>',
  describe: "Write the files a VM needs to join the mesh (istioctl x workload entry configure's five, plus sidecar.env)",
  examples: [
    ['$0 -n bookinfo bootstrap details --output-dir ./vm-details', 'mesh.yaml, cluster.env, root-cert.pem, istio-token (0600), hosts, sidecar.env'],
    ['$0 -n bookinfo bootstrap details --archive details.tgz', 'The same in one archive to copy to the VM'],
    ['$0 -n bookinfo bootstrap details --output-dir vm --autoregister --token-duration 30m', 'istiod registers the VM itself when it connects'],
    ['$0 -n bookinfo bootstrap details --output-dir vm --ingress-ip 203.0.113.7', "istiod's address when there is no east-west gateway Service"],
    ['$0 -n bookinfo bootstrap details --output-dir vm --dry-run=client', 'Show the files (the token left out) without writing them'],
  ],
  builder: (y) =>
    outputFlag(dryRunFlag(bundleFlags(y)), OUTPUTS)
      .positional('group', { type: 'string', describe: 'The WorkloadGroup the VM belongs to' })
      .option('output-dir', { type: 'string', describe: 'Write the files into this directory (created 0700 when missing)' })
      .option('archive', { type: 'string', describe: 'Write the files into this .tgz (0600) as well, or instead' }),
  options: (args) => {
    const group = dnsSubdomain(requiredStr(args, 'group'), 'workload group name');
    const outputDir = str(args, 'output-dir');
    const archive = str(args, 'archive');
    const dryRun = readDryRun(args);
    if (!outputDir && !archive && dryRun !== 'client') throw new UsageError('say where the files go: --output-dir DIR and/or --archive FILE.tgz');
    return { ...readBundleFlags(args, group), outputDir, archive, dryRun, output: readOutput(args, OUTPUTS) };
  },
  run: async (ctx, o) => {
    const kube = ctx.kube();
    const namespace = dnsLabel(kube.namespace, 'namespace');
    const prepared = await prepareBootstrap(kube, { ...o, namespace });
    for (const w of prepared.warnings) ctx.warn(w);
    await deliver(ctx, o, namespace, prepared);
  },
});

async function deliver(ctx: CommandContext, o: Options, namespace: string, p: PreparedBootstrap): Promise<void> {
  const files = p.rendered.files;
  const summary = {
    apiVersion: API_VERSION,
    kind: 'VMBootstrap',
    group: o.group,
    namespace,
    serviceAccount: p.rendered.serviceAccount,
    tokenExpires: p.tokenExpires || undefined,
    inboundPorts: p.rendered.inboundPorts,
    hosts: files.hosts.trim().split('\n').filter(Boolean),
    outputDir: o.outputDir,
    archive: o.archive,
    files: BOOTSTRAP_FILES.map((name) => ({ name, mode: `0${FILE_MODES[name].toString(8)}` })),
  };
  if (o.dryRun !== 'none') {
    if (o.output !== 'table') return print(ctx, o.output, { data: { ...summary, dryRun: o.dryRun }, rows: [], columns: [] });
    for (const name of BOOTSTRAP_FILES) {
      ctx.stdout.write(
        `# ${o.outputDir ? `${o.outputDir}/` : ''}${name} (0${FILE_MODES[name].toString(8)})${o.dryRun === 'client' ? '' : ', server dry run'}\n`,
      );
      ctx.stdout.write(name === 'istio-token' ? `<a token for serviceaccount ${p.rendered.serviceAccount}, audience istio-ca>\n` : files[name]);
    }
    return;
  }
  const written = o.outputDir ? writeBundle(o.outputDir, files) : [];
  if (o.archive) writeArchive(o.archive, files, p.issuedAt);
  if (o.output !== 'table') return print(ctx, o.output, { data: summary, rows: [], columns: [] });
  for (const f of written) ctx.stdout.write(`${f} written\n`);
  if (o.archive) ctx.stdout.write(`${o.archive} written (${BOOTSTRAP_FILES.join(', ')})\n`);
  ctx.stderr.write(
    `a token for serviceaccount ${p.rendered.serviceAccount} in namespace ${namespace}${p.tokenExpires ? `, valid until ${p.tokenExpires},` : ''} is in ${o.outputDir ? `${o.outputDir}/istio-token` : o.archive}: it lets whoever holds it get a certificate for that identity, so keep it to yourself and the VM\n`,
  );
}

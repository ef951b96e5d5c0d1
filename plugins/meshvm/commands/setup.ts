// kubectl meshvm setup <user@host> (--bootstrap DIR | --group G): seed 001's `setupMeshEx.sh
// machineSetup`, done safely. The bundle is copied over ssh (strict host key checking unless
// --accept-new-host-key) into a staging directory the VM makes, and a fixed script installs each file
// where Istio's VM doc puts it, adds the hosts lines once, chowns to istio-proxy when that user exists
// and restarts the istio unit when there is one (otherwise it says which package to install). ssh and
// scp run through execa with argument arrays; a second run changes nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bool, defineCommand, requiredStr, str } from '../../../shared/cli/command.js';
import { dryRunFlag, outputFlag, readDryRun, readOutput } from '../../../shared/cli/flags.js';
import type { CommandContext } from '../../../shared/context.js';
import { CliError, UsageError } from '../../../shared/errors.js';
import type { DryRun } from '../../../shared/kube/object.js';
import type { FormatName, OutputFormat } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { dnsLabel, dnsSubdomain, integer } from '../../../shared/validate.js';
import { prepareBootstrap, writeBundle, type BootstrapRequest } from '../bootstrap.js';
import { readBundle } from '../bundle.js';
import { API_VERSION } from '../output.js';
import {
  changedSomething,
  INSTALL_PATHS,
  INSTALL_SCRIPT,
  MKTEMP,
  parseTarget,
  PUSHED,
  readPort,
  reportLines,
  scpArgs,
  SIDECAR_PACKAGE_HINT,
  sshArgs,
  stagingDir,
  type SetupStep,
  type SshOptions,
  type SshTarget,
} from '../setup-plan.js';
import { bundleFlags, readBundleFlags } from './bootstrap.js';

interface Options {
  target: SshTarget;
  bootstrap?: string | undefined;
  group?: Omit<BootstrapRequest, 'namespace' | 'dryRun'> | undefined;
  ssh: SshOptions;
  /** The ssh and scp programs (KUBECTL_MESHVM_SSH / _SCP for tests and odd installs). */
  sshBin: string;
  scpBin: string;
  dryRun: DryRun;
  output: OutputFormat;
}

const OUTPUTS: readonly FormatName[] = ['table', 'json', 'yaml'];

export const setupCommand = defineCommand<Options>({
  command: 'setup <target>',
  describe: 'Install a bootstrap bundle on a VM over ssh (files where Istio puts them, /etc/hosts once, the istio unit restarted)',
  examples: [
    ['$0 setup root@192.0.2.10 --bootstrap ./vm-details', 'Push what bootstrap wrote; strict host key checking'],
    ['$0 -n bookinfo setup root@192.0.2.10 --group details -i ~/.ssh/vm', 'Bootstrap the group and push it in one step'],
    ['$0 setup admin@vm1.example.com --bootstrap ./vm -p 2222 --accept-new-host-key', 'A sudo user, another port, trust a new host key on first use'],
    ['$0 setup root@192.0.2.10 --bootstrap ./vm --dry-run', 'Print the ssh, scp and install steps without connecting'],
  ],
  builder: (y) =>
    outputFlag(dryRunFlag(bundleFlags(y)), OUTPUTS)
      .positional('target', { type: 'string', describe: '<user>@<host> of the VM (root, or a user with passwordless sudo)' })
      .option('bootstrap', { type: 'string', describe: 'The directory bootstrap wrote' })
      .option('group', { type: 'string', describe: 'Bootstrap this WorkloadGroup first (takes the bootstrap flags) and push the result' })
      .option('identity', { alias: 'i', type: 'string', describe: "ssh's -i: the private key to log in with" })
      .option('port', { alias: 'p', type: 'string', describe: "ssh's port on the VM (default 22)" })
      .option('ssh-config', { alias: 'F', type: 'string', describe: "ssh's -F: an ssh_config file" })
      .option('accept-new-host-key', {
        type: 'boolean',
        default: false,
        describe: 'Trust the host key of a VM seen for the first time (a changed key is still refused)',
      })
      .option('connect-timeout', { type: 'string', default: '10', describe: 'Seconds ssh waits for the VM to answer' }),
  options: (args) => {
    const target = parseTarget(requiredStr(args, 'target'));
    const bootstrap = str(args, 'bootstrap');
    const groupName = str(args, 'group');
    if ((bootstrap === undefined) === (groupName === undefined)) throw new UsageError('give --bootstrap DIR or --group NAME (one of them)');
    const timeout = integer(str(args, 'connect-timeout') ?? '10', '--connect-timeout (seconds)', 1, 600);
    return {
      target,
      bootstrap,
      group: groupName === undefined ? undefined : readBundleFlags(args, dnsSubdomain(groupName, '--group')),
      ssh: {
        identity: str(args, 'identity'),
        port: readPort(str(args, 'port')),
        config: str(args, 'ssh-config'),
        acceptNewHostKey: bool(args, 'accept-new-host-key'),
        connectTimeoutSeconds: timeout,
      },
      sshBin: 'ssh',
      scpBin: 'scp',
      dryRun: readDryRun(args),
      output: readOutput(args, OUTPUTS),
    };
  },
  complete: (ctx, o) => Promise.resolve({ ...o, sshBin: ctx.env['KUBECTL_MESHVM_SSH'] || 'ssh', scpBin: ctx.env['KUBECTL_MESHVM_SCP'] || 'scp' }),
  run: async (ctx, o) => {
    if (o.dryRun !== 'none') return printSteps(ctx, o);
    let dir = o.bootstrap;
    let made: string | undefined;
    if (o.group) {
      const kube = ctx.kube();
      const namespace = dnsLabel(kube.namespace, 'namespace');
      const prepared = await prepareBootstrap(kube, { ...o.group, namespace, dryRun: 'none' });
      for (const w of prepared.warnings) ctx.warn(w);
      made = mkdtempSync(join(tmpdir(), 'meshvm-setup-'));
      dir = join(made, 'bundle');
      writeBundle(dir, prepared.rendered.files);
    }
    try {
      const bundle = readBundle(dir!);
      const missing = PUSHED.filter((f) => bundle.files[f] === undefined);
      if (missing.length) throw new CliError(`${dir} lacks ${missing.join(', ')}: run kubectl meshvm bootstrap <group> --output-dir ${dir} first`);
      const steps = await push(o, dir!);
      await report(ctx, o, steps);
    } finally {
      if (made) rmSync(made, { recursive: true, force: true });
    }
  },
});

async function run(bin: string, args: string[], o: Options, input?: string) {
  const { execa } = await import('execa');
  try {
    return await execa(bin, args, {
      reject: false,
      input,
      stdin: input === undefined ? 'ignore' : undefined,
      timeout: (o.ssh.connectTimeoutSeconds + 120) * 1000,
    });
  } catch (err) {
    throw new CliError(`cannot run ${bin}: ${(err as Error).message} (install openssh-client, or set KUBECTL_MESHVM_SSH/KUBECTL_MESHVM_SCP)`);
  }
}

/** One line for what ssh said when it failed: host keys and logins get their fix. */
function sshFailure(o: Options, what: string, stderr: string): CliError {
  const host = o.target.host;
  const last = stderr.trim().split('\n').filter(Boolean).pop() ?? 'no output';
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED/.test(stderr))
    return new CliError(
      `${what}: the host key of ${host} has CHANGED since it was recorded in known_hosts; find out why before you remove the old key (ssh-keygen -R ${host})`,
    );
  if (/Host key verification failed|No .* host key is known/.test(stderr))
    return new CliError(
      `${what}: the host key of ${host} is not in known_hosts; check its fingerprint and add it (ssh-keyscan ${host} >> ~/.ssh/known_hosts), or pass --accept-new-host-key`,
    );
  if (/Permission denied/.test(stderr)) return new CliError(`${what}: ${o.target.ssh} refused the login (${last}); give the key with -i`);
  if (/sudo: .*password/.test(stderr)) return new CliError(`${what}: ${o.target.user} needs passwordless sudo on ${host} (or log in as root)`);
  return new CliError(`${what}: ${last}`);
}

async function push(o: Options, dir: string): Promise<SetupStep[]> {
  const mk = await run(o.sshBin, sshArgs(o.target, o.ssh, MKTEMP), o);
  if (mk.exitCode !== 0) throw sshFailure(o, `ssh ${o.target.ssh}`, mk.stderr);
  const staging = stagingDir(mk.stdout);
  const cp = await run(
    o.scpBin,
    scpArgs(
      o.target,
      o.ssh,
      PUSHED.map((f) => join(dir, f)),
      staging,
    ),
    o,
  );
  if (cp.exitCode !== 0) {
    await run(o.sshBin, sshArgs(o.target, o.ssh, ['rm', '-rf', staging]), o);
    throw sshFailure(o, `scp to ${o.target.ssh}:${staging}`, cp.stderr);
  }
  const inst = await run(o.sshBin, sshArgs(o.target, o.ssh, ['sh', '-s', staging]), o, INSTALL_SCRIPT);
  const steps = reportLines(inst.stdout);
  if (inst.exitCode !== 0) {
    const done = steps.filter((s) => s.action === 'installed' || s.action === 'added').map((s) => s.path);
    const err = sshFailure(o, `installing on ${o.target.host}`, inst.stderr);
    throw new CliError(`${err.message}${done.length ? `; already installed: ${done.join(', ')} (run setup again once fixed)` : '; nothing was installed'}`);
  }
  return steps;
}

async function report(ctx: CommandContext, o: Options, steps: SetupStep[]): Promise<void> {
  const changed = changedSomething(steps);
  const noUnit = steps.some((s) => s.action === 'no-unit');
  if (o.output !== 'table') {
    await print(ctx, o.output, { data: { apiVersion: API_VERSION, kind: 'VMSetup', target: o.target.ssh, changed, steps }, rows: [], columns: [] });
  } else {
    await print(ctx, o.output, {
      data: undefined,
      rows: steps.filter((s) => s.path !== '-' || s.action !== 'no-unit'),
      columns: [
        { header: 'Step', value: (s: SetupStep) => s.action },
        { header: 'Path', value: (s: SetupStep) => (s.path === '-' ? '' : s.path) },
        { header: 'Detail', value: (s: SetupStep) => s.detail },
      ],
    });
    ctx.stdout.write(`${o.target.host}: ${changed ? 'the mesh files are in place' : 'nothing to change, the mesh files were already in place'}\n`);
  }
  if (noUnit) ctx.warn(`${o.target.host} has no istio unit: ${SIDECAR_PACKAGE_HINT}`);
}

function printSteps(ctx: CommandContext, o: Options): Promise<void> {
  const src = o.bootstrap ?? `<bootstrap of group ${o.group?.group ?? ''}>`;
  const q = (a: string) => (/^[A-Za-z0-9_./=@:,+%-]+$/.test(a) ? a : `'${a.replace(/'/g, `'"'"'`)}'`);
  const line = (bin: string, args: string[]) => [bin, ...args].map(q).join(' ');
  const steps = [
    line(o.sshBin, sshArgs(o.target, o.ssh, MKTEMP)),
    line(
      o.scpBin,
      scpArgs(
        o.target,
        o.ssh,
        PUSHED.map((f) => join(src, f)),
        '<staging>',
      ),
    ),
    `${line(o.sshBin, sshArgs(o.target, o.ssh, ['sh', '-s', '<staging>']))} <<'EOF'\n${INSTALL_SCRIPT}EOF`,
  ];
  if (o.output !== 'table')
    return print(ctx, o.output, {
      data: { apiVersion: API_VERSION, kind: 'VMSetup', target: o.target.ssh, dryRun: o.dryRun, installs: INSTALL_PATHS, commands: steps },
      rows: [],
      columns: [],
    });
  ctx.stdout.write(`# dry run: nothing is sent to ${o.target.host}\n${steps.join('\n')}\n`);
  return Promise.resolve();
}

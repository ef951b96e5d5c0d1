// kubectl meshremote create-secret <name> --from-kubeconfig FILE --context PRIMARY: seed 001's
// create-secret.sh. The Secret istiod reads (istioctl create-remote-secret's shape), always in the
// Istio namespace; refused when istiod would ignore it (the primary's own cluster ID, or a name another
// secret registered). The kubeconfig is checked before any request: one context, an inline token.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bool, defineCommand, str } from '../../../shared/cli/command.js';
import { dryRunFlag, readDryRun } from '../../../shared/cli/flags.js';
import type { CommandContext } from '../../../shared/context.js';
import { CliError, UsageError, ValidationError, errorText } from '../../../shared/errors.js';
import type { DryRun } from '../../../shared/kube/object.js';
import { executePlan } from '../../../shared/kube/plan.js';
import { whoAmI } from '../../../shared/kube/tokens.js';
import { changeOutputFlag, printObjects, readChangeOutput, workContext, type ChangeFormat } from '../../../shared/output/change.js';
import { checkKubeconfig, remoteKubeconfig, type CheckedKubeconfig, type RemoteCredentials } from '../../../shared/istio/multicluster.js';
import { istioNamespaceFlag, linkArg, readIstioNamespace, readWait, waitFlags } from '../flags.js';
import { nameRefusal, observePrimary, planSecret } from '../primary.js';
import { isLoopbackServer } from '../credentials.js';
import { redactedSecret } from '../output.js';
import { waitForIstiod } from '../sync.js';

interface Options {
  link: string;
  namespace: string;
  file: string;
  fromContext?: string | undefined;
  overwrite: boolean;
  dryRun: DryRun;
  output: ChangeFormat;
  wait: boolean;
  timeoutMs: number;
  credentials?: RemoteCredentials;
}

/** Read and check the kubeconfig file: what goes into the secret, or a usage error saying why not. */
export function credentialsFromFile(file: string, context: string | undefined, read: (p: string) => string): RemoteCredentials {
  let content: string;
  try {
    content = read(file);
  } catch (err) {
    throw new UsageError(`--from-kubeconfig ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errorText(err)}`);
  }
  let c: CheckedKubeconfig;
  try {
    c = checkKubeconfig(content, file, context, read);
  } catch (err) {
    throw new ValidationError(`--from-kubeconfig ${file}: ${errorText(err)}`);
  }
  if (c.refused.length)
    throw new ValidationError(
      `--from-kubeconfig ${file}: ${c.refused.join('; ')}: a remote secret holds a token (make one with 'kubectl meshremote generate-kubeconfig')`,
    );
  if (!c.certificateAuthority && !c.insecure) throw new ValidationError(`--from-kubeconfig ${file}: no certificate authority for ${c.server}`);
  if (c.insecure)
    throw new ValidationError(
      `--from-kubeconfig ${file}: insecure-skip-tls-verify is set; istiod would trust any server with the token: give the cluster's CA instead`,
    );
  return { server: c.server, certificateAuthority: c.certificateAuthority!, token: c.token!, tlsServerName: c.tlsServerName };
}

/** Does the remote answer from here with the stored credentials? A warning when it does not. */
export async function checkAnswers(ctx: CommandContext, link: string, kubeconfig: string, server: string): Promise<void> {
  if (isLoopbackServer(server)) ctx.warn(`${server} is a loopback address: istiod in the primary reaches it only if it runs on this machine`);
  try {
    await whoAmI(ctx.kubeForKubeconfig(kubeconfig, `the kubeconfig for ${link}`));
  } catch (err) {
    ctx.warn(`the remote API server does not accept these credentials from here: ${errorText(err)}`);
  }
}

export const createSecretCommand = defineCommand<Options>({
  command: 'create-secret <name>',
  describe: 'In the primary (--context): the remote secret istiod reads, from a kubeconfig generate-kubeconfig wrote',
  examples: [
    ['$0 create-secret myremote1 --from-kubeconfig myremote1.kubeconfig --context primary', 'istiod in primary starts reading the remote'],
    [
      '$0 create-secret myremote1 --from-kubeconfig myremote1.kubeconfig --dry-run=client -o yaml',
      'The Secret as a manifest (token included, since -o asks for it)',
    ],
  ],
  builder: (y) =>
    waitFlags(dryRunFlag(changeOutputFlag(istioNamespaceFlag(y))))
      .positional('name', { type: 'string', describe: 'The cluster name istiod will know the remote by' })
      .option('from-kubeconfig', { type: 'string', describe: 'The kubeconfig with the reader credentials (required)' })
      .option('from-context', { type: 'string', describe: 'The context of that kubeconfig to use (default: its current context)' })
      .option('overwrite', { type: 'boolean', default: false, describe: 'Replace a remote secret of that name not made by meshremote (e.g. by istioctl)' }),
  options: (args) => {
    const file = str(args, 'from-kubeconfig');
    if (!file) throw new UsageError('--from-kubeconfig is required: the kubeconfig generate-kubeconfig wrote');
    return {
      link: linkArg(args),
      namespace: readIstioNamespace(args),
      file: resolve(file),
      fromContext: str(args, 'from-context') || undefined,
      overwrite: bool(args, 'overwrite'),
      dryRun: readDryRun(args),
      output: readChangeOutput(args),
      ...readWait(args),
    };
  },
  // The file is read and checked before any request.
  complete: (_ctx, o) => Promise.resolve({ ...o, credentials: credentialsFromFile(o.file, o.fromContext, (p) => readFileSync(p, 'utf8')) }),
  run: async (out, o) => {
    // With -o, the lines go to stderr and stdout gets the secret (token included: -o asks for it).
    const ctx = workContext(out, o.output);
    const kube = ctx.kube();
    const primary = await observePrimary(kube, o.namespace);
    const refusal = nameRefusal(primary, o.link);
    if (refusal) throw new CliError(refusal);
    if (!primary.namespaceExists) throw new CliError(`namespace ${o.namespace} does not exist in context "${primary.context}": is Istio installed there?`);
    const kubeconfig = remoteKubeconfig(o.link, o.credentials!);
    const { changes, secret } = planSecret(primary, o.link, kubeconfig, {}, o.overwrite);
    if (o.dryRun === 'client') {
      if (o.output !== 'table') return printObjects(out, o.output, [secret]);
      await executePlan(ctx, changes.length ? changes.map((c) => (c.action === 'apply' ? { ...c, object: redactedSecret(c.object) } : c)) : [], 'client');
      ctx.stderr.write(changes.length ? 'the token is shown redacted; -o yaml prints it\n' : `secret/${secret.metadata?.name} unchanged (dry run)\n`);
      return;
    }
    if (changes.length === 0) ctx.stdout.write(`secret/${secret.metadata?.name} unchanged\n`);
    const results = await executePlan(ctx, changes, o.dryRun);
    await printObjects(out, o.output, [results[0]?.object ?? secret]);
    if (o.dryRun !== 'none') return;
    await checkAnswers(ctx, o.link, kubeconfig, o.credentials!.server);
    if (o.wait) {
      const line = await waitForIstiod(ctx, kube, o.namespace, {
        cluster: o.link,
        want: 'synced',
        timeoutMs: o.timeoutMs,
        settleMs: changes.length ? 2000 : 0,
      });
      if (line) ctx.stdout.write(`${line}\n`);
    }
  },
});

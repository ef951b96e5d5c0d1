// kubectl meshremote generate-kubeconfig <name> --context REMOTE: seed 001's generate-kubeconfig.sh.
// In the remote cluster: a reader ServiceAccount with its ClusterRole and binding, a token (expiring,
// bound to a Secret whose deletion revokes it; or istioctl's legacy token), and the kubeconfig istiod
// will use, written 0600 and printed only with --output-file -. Run again, it changes nothing while the
// file's token still has more than half its life ahead.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineCommand, str } from '../../../shared/cli/command.js';
import { dryRunFlag, readDryRun } from '../../../shared/cli/flags.js';
import type { CommandContext } from '../../../shared/context.js';
import { CliError, UsageError } from '../../../shared/errors.js';
import type { DryRun } from '../../../shared/kube/object.js';
import { executePlan } from '../../../shared/kube/plan.js';
import {
  appliedObjects,
  changeOutputFlag,
  printChange,
  readChangeOutput,
  workContext,
  type ChangeFormat,
  type ObjectChange,
} from '../../../shared/output/change.js';
import { checkKubeconfig } from '../../../shared/istio/multicluster.js';
import { tokenClaims, whoAmI } from '../../../shared/kube/tokens.js';
import {
  apiServerFlags,
  istioNamespaceFlag,
  linkArg,
  readApiServer,
  readerFlags,
  readIstioNamespace,
  readReader,
  readTokenChoice,
  tokenFlags,
  type TokenChoice,
} from '../flags.js';
import { readerName, tokenSecretName } from '../names.js';
import { minimalCostsText, type Reader } from '../reader.js';
import { controlPlaneClusters, declaredNameRefusal, mintToken, observeRemote, planReader, type RemoteState } from '../remote.js';
import { describeExpiry, kubeconfigCA, tokenExpiry, tryCredentials } from '../credentials.js';

interface Options extends TokenChoice {
  link: string;
  namespace: string;
  reader: Reader;
  apiServer?: string | undefined;
  tlsServerName?: string | undefined;
  outputFile: string;
  dryRun: DryRun;
  output: ChangeFormat;
}

/** Where the reader account's kubeconfig goes; '-' is stdout. */
function outputPath(o: Options): string {
  return o.outputFile === '-' ? '-' : resolve(o.outputFile);
}

/** Write a secret file 0600, replacing any file atomically (so its old mode cannot leak the token). */
export function writeSecretFile(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, path);
}

/** Is the existing file a kubeconfig of this link whose token is still good for long enough? */
async function upToDate(ctx: CommandContext, o: Options, path: string, state: RemoteState): Promise<string | undefined> {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  let checked;
  try {
    checked = checkKubeconfig(content, path, o.link, (f) => readFileSync(f, 'utf8'));
  } catch {
    throw new CliError(`${path} exists and is not a kubeconfig with a context "${o.link}"; remove it or choose another --output-file`);
  }
  const claims = checked.token ? tokenClaims(checked.token) : undefined;
  if (!claims || claims.serviceAccount !== readerName(o.link) || claims.namespace !== o.namespace) {
    throw new CliError(`${path} exists and holds other credentials than the reader of "${o.link}"; remove it or choose another --output-file`);
  }
  if (checked.server !== (o.apiServer ?? state.server) || claims.legacy !== o.legacy) return undefined;
  if (!claims.legacy) {
    const left = (claims.expiresAt ?? 0) * 1000 - ctx.clock.now().getTime();
    if (left < (o.durationSeconds * 1000) / 2) return undefined;
  }
  try {
    const who = await whoAmI(ctx.kubeForKubeconfig(content, path));
    return who.username === claims.subject ? describeExpiry(checked.token!, ctx.clock.now()) : undefined;
  } catch {
    return undefined;
  }
}

export const generateKubeconfigCommand = defineCommand<Options>({
  command: 'generate-kubeconfig <name>',
  describe: 'In the remote cluster (--context): a reader account for istiod and a kubeconfig with its token, written 0600',
  examples: [
    ['$0 generate-kubeconfig myremote1 --context remote1', 'Writes ./myremote1.kubeconfig (a one-year token, revocable)'],
    ['$0 generate-kubeconfig myremote1 --context remote1 --api-server https://203.0.113.5:6443', 'The address istiod in the primary reaches the API server at'],
    ['$0 generate-kubeconfig myremote1 --context remote1 --reader minimal', 'No Secrets: service discovery only (what it costs is printed)'],
    ['$0 generate-kubeconfig myremote1 --context remote1 --output-file - | wc -c', 'The kubeconfig on stdout (the only way it is ever printed)'],
    ['$0 generate-kubeconfig myremote1 --context remote1 -o json', 'Where it was written and until when the token is valid (never the token)'],
  ],
  builder: (y) =>
    dryRunFlag(changeOutputFlag(apiServerFlags(tokenFlags(readerFlags(istioNamespaceFlag(y))))))
      .positional('name', { type: 'string', describe: 'The cluster name istiod will know the remote by (DNS-1123 label)' })
      .option('output-file', { alias: 'f', type: 'string', describe: "Where to write the kubeconfig (default ./<name>.kubeconfig; '-' prints it)" }),
  options: (args) => {
    const link = linkArg(args);
    const output = readChangeOutput(args);
    // Both would go to stdout: the kubeconfig is printed only when asked for alone.
    if (output !== 'table' && str(args, 'output-file') === '-')
      throw new UsageError('--output-file - prints the kubeconfig on stdout, so it cannot be combined with -o; write it to a file');
    return {
      output,
      link,
      namespace: readIstioNamespace(args),
      ...readReader(args),
      ...readTokenChoice(args),
      ...readApiServer(args),
      outputFile: str(args, 'output-file') || `${link}.kubeconfig`,
      dryRun: readDryRun(args),
    };
  },
  run: async (out, o) => {
    // With -o, the lines go to stderr and stdout gets a MeshRemoteKubeconfig (never the token).
    const ctx = workContext(out, o.output);
    const kube = ctx.kube();
    const state = await observeRemote(kube, o.link, o.namespace);
    const refusal = declaredNameRefusal(state, o.link);
    if (refusal) throw new CliError(refusal);
    // A remote controlled by a primary's istiod: that istiod also writes here with these credentials.
    const cp = controlPlaneClusters(state);
    if (cp.length) {
      ctx.stderr.write(
        `istio-system names ${cp.join(', ')} as its control plane: the reader may also write istio-ca-root-cert ConfigMaps and the webhook configurations' CA bundles, as Istio's remote profile grants\n`,
      );
    }
    if (o.reader === 'minimal') ctx.stderr.write(minimalCostsText());
    const plan = planReader(
      state,
      { link: o.link, namespace: o.namespace, reader: o.reader, controlPlaneWrites: cp.length > 0 },
      o.legacy,
      tokenSecretName(o.link),
    );
    const path = outputPath(o);
    const fields = {
      link: o.link,
      namespace: o.namespace,
      context: state.context,
      reader: o.reader,
      serviceAccount: `${o.namespace}/${readerName(o.link)}`,
      server: o.apiServer ?? state.server,
      outputFile: path,
      written: false,
      tokenExpires: null as string | null,
    };
    const report = (objects: ObjectChange[] = [], lines: string[] = []) =>
      printChange(out, o.output, { kind: 'MeshRemoteKubeconfig', fields, dryRun: o.dryRun, objects, lines });
    if (path !== '-' && existsSync(path) && plan.changes.length === 0 && o.dryRun === 'none') {
      const valid = await upToDate(ctx, o, path, state);
      if (valid) {
        return report([], [`kubeconfig ${path} unchanged: its token is valid until ${valid}`]);
      }
    }
    const results = await executePlan(ctx, plan.changes, o.dryRun, { kube, where: '' });
    if (o.dryRun !== 'none') {
      ctx.stderr.write(`no token requested and no kubeconfig written (dry run)\n`);
      return report(appliedObjects(results));
    }
    const secret = plan.created ? (results.find((r) => r.object?.kind === 'Secret')?.object ?? plan.tokenSecret) : plan.tokenSecret;
    const minted = await mintToken(kube, o.link, secret, o.durationSeconds, ctx.clock);
    const server = o.apiServer ?? state.server;
    const ca = state.clusterCA ?? kubeconfigCA(kube.config);
    if (!ca) throw new CliError(`no CA to trust the API server with: kube-system has no kube-root-ca.crt and context "${state.context}" names none`);
    const tried = await tryCredentials(
      ctx,
      o.link,
      { server, certificateAuthority: ca, token: minted.token, tlsServerName: o.tlsServerName },
      { serverFromFlag: Boolean(o.apiServer), userCA: kubeconfigCA(kube.config), expectUser: `system:serviceaccount:${o.namespace}:${readerName(o.link)}` },
    );
    for (const w of tried.warnings) ctx.warn(w);
    const expiry = describeExpiry(minted.token, ctx.clock.now());
    if (path === '-') {
      ctx.stdout.write(tried.kubeconfig);
      ctx.stderr.write(`kubeconfig for "${o.link}" printed (service account ${o.namespace}/${readerName(o.link)}, token valid until ${expiry})\n`);
      return;
    }
    writeSecretFile(path, tried.kubeconfig);
    Object.assign(fields, { written: true, tokenExpires: tokenExpiry(minted.token) });
    await report(appliedObjects(results), [
      `kubeconfig ${path} written (service account ${o.namespace}/${readerName(o.link)}, token valid until ${expiry})`,
      `next, in the primary: kubectl meshremote create-secret ${o.link} --from-kubeconfig ${o.outputFile} --context <primary>`,
    ]);
  },
});

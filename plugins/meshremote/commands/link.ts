// kubectl meshremote link <name> --context PRIMARY --remote-context REMOTE: generate-kubeconfig and
// create-secret in one, checked first (istiod's silent refusals, the same cluster twice, a remote that
// calls itself by another name), then waiting until istiod in the primary has synced the remote. If the
// primary's step fails, what this run created in the remote is removed again; if that fails too, the
// error says which command finishes or undoes the link.
import { bool, defineCommand, type Args } from '../../../shared/cli/command.js';
import { dryRunFlag, readDryRun } from '../../../shared/cli/flags.js';
import type { CommandContext } from '../../../shared/context.js';
import { CliError, KubeApiError, errorText } from '../../../shared/errors.js';
import type { Kube } from '../../../shared/kube/client.js';
import type { DryRun, KubeObject } from '../../../shared/kube/object.js';
import { executePlan, changeName, type ApplyResult } from '../../../shared/kube/plan.js';
import {
  appliedObjects,
  changeOutputFlag,
  printChange,
  readChangeOutput,
  workContext,
  type ChangeFormat,
  type ObjectChange,
} from '../../../shared/output/change.js';
import { remoteKubeconfig, remoteSecretName } from '../../../shared/istio/multicluster.js';
import {
  apiServerFlags,
  istioNamespaceFlag,
  linkArg,
  readApiServer,
  readerFlags,
  readIstioNamespace,
  readReader,
  checkRemoteContext,
  readRemoteContext,
  readTokenChoice,
  readWait,
  remoteContextFlag,
  tokenFlags,
  waitFlags,
  type TokenChoice,
} from '../flags.js';
import { readerName, REMOTE_CONTEXT_ANNOTATION, REMOTE_UID_ANNOTATION, tokenSecretName } from '../names.js';
import { istiodEnv, nameRefusal, observePrimary, planSecret, storedKubeconfig, type PrimaryState } from '../primary.js';
import { minimalCostsText, REMOTE_CREDENTIALS_ENV, type Reader } from '../reader.js';
import { controlPlaneClusters, declaredNameRefusal, mintToken, observeRemote, planReader, type RemoteState } from '../remote.js';
import { describeExpiry, kubeconfigCA, reusableToken, tokenExpiry, tryCredentials } from '../credentials.js';
import { redactedSecret } from '../output.js';
import { waitForIstiod } from '../sync.js';

export interface LinkOptions extends TokenChoice {
  link: string;
  namespace: string;
  remoteContext: string;
  reader: Reader;
  apiServer?: string | undefined;
  tlsServerName?: string | undefined;
  overwrite: boolean;
  dryRun: DryRun;
  wait: boolean;
  timeoutMs: number;
  primaryContext?: string;
  output: ChangeFormat;
}

/** What -o json|yaml prints of a link (MeshRemoteLink), besides the objects written. */
interface LinkFields {
  link: string;
  namespace: string;
  primaryContext: string;
  remoteContext: string;
  reader: Reader;
  /** namespace/name of the reader account in the remote. */
  serviceAccount: string;
  /** The remote API server istiod reads. */
  server?: string;
  /** When the token expires (RFC 3339), null for a legacy token that never does. */
  tokenExpires?: string | null;
  /** The stored token was still good and kept. */
  tokenReused?: boolean;
  /** istiod reported the remote synced (with --wait). */
  synced?: boolean;
}

/** Refusals that need both clusters' state (pure). */
export function linkRefusal(o: LinkOptions, p: PrimaryState, r: RemoteState): string | undefined {
  if (p.uid && p.uid === r.uid) {
    return `contexts "${p.context}" and "${r.context}" are the same cluster (kube-system has the same UID): a cluster cannot be its own remote`;
  }
  const name = nameRefusal(p, o.link);
  if (name) return name;
  const declared = declaredNameRefusal(r, o.link);
  if (declared) return declared;
  if (!p.namespaceExists) return `namespace ${o.namespace} does not exist in the primary (context "${p.context}"): is Istio installed there?`;
  return undefined;
}

/**
 * Is the remote controlled by this primary's istiod (primary-remote: its istio-system names the
 * primary's cluster ID, or '*')? Then that istiod also watches the remote's webhook configurations (a
 * cluster it cannot sync them from never syncs), patches their CA bundles and publishes
 * istio-ca-root-cert there: the reader gets what Istio's remote profile grants for it.
 */
export function controlledByPrimary(p: PrimaryState, r: RemoteState): { writes: boolean; note?: string } {
  const cp = controlPlaneClusters(r);
  if (!cp.length) return { writes: false };
  if (p.clusterID !== undefined && (cp.includes(p.clusterID) || cp.includes('*'))) {
    return {
      writes: true,
      note: `the remote names this primary (${p.clusterID}) as its control plane: the reader may also write istio-ca-root-cert ConfigMaps and the webhook configurations' CA bundles, as Istio's remote profile grants`,
    };
  }
  return {
    writes: false,
    note: `istio-system in the remote names ${cp.join(', ')} as its control plane, not this primary (${p.clusterID ?? 'unknown cluster ID'}): that istiod, not this one, manages its webhooks and root certificates`,
  };
}

/** Remove what this run created in the remote, newest first; the objects that could not be removed. */
async function undo(kube: Kube, created: KubeObject[]): Promise<string[]> {
  const left: string[] = [];
  for (const obj of [...created].reverse()) {
    const ref = { apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '', name: obj.metadata?.name ?? '', namespace: obj.metadata?.namespace };
    try {
      await kube.delete(ref);
    } catch {
      left.push(changeName({ action: 'delete', ref }));
    }
  }
  return left;
}

export async function runLink(out: CommandContext, o: LinkOptions): Promise<void> {
  // With -o, the lines go to stderr and stdout gets a MeshRemoteLink (never the token or the kubeconfig).
  const ctx = workContext(out, o.output);
  const primaryKube = ctx.kube();
  const remoteKube = ctx.kubeFor(o.remoteContext);
  const [primary, remote] = await Promise.all([observePrimary(primaryKube, o.namespace), observeRemote(remoteKube, o.link, o.namespace)]);
  const refusal = linkRefusal(o, primary, remote);
  if (refusal) throw new CliError(refusal);
  const control = controlledByPrimary(primary, remote);
  if (control.note && control.writes) ctx.stderr.write(`${control.note}\n`);
  else if (control.note) ctx.warn(control.note);
  if (o.reader === 'minimal') {
    ctx.stderr.write(minimalCostsText());
    const env = await istiodEnv(primaryKube, o.namespace, REMOTE_CREDENTIALS_ENV);
    if (env === undefined)
      ctx.warn(`no istiod Deployment in ${o.namespace} to confirm ${REMOTE_CREDENTIALS_ENV}=false; without it istiod never syncs a minimal reader's cluster`);
    else if (env !== 'false') {
      throw new CliError(
        `--reader minimal: istiod in context "${primary.context}" runs with ${REMOTE_CREDENTIALS_ENV}=${env || 'true (the default)'}, so it would never sync the remote; set it first: kubectl -n ${o.namespace} set env deployment/istiod ${REMOTE_CREDENTIALS_ENV}=false`,
      );
    }
  }

  const objects: ObjectChange[] = [];
  const wrote = (results: ApplyResult[], context: string) => objects.push(...appliedObjects(results, context));
  const fields: LinkFields = {
    link: o.link,
    namespace: o.namespace,
    primaryContext: primary.context,
    remoteContext: remote.context,
    reader: o.reader,
    serviceAccount: `${o.namespace}/${readerName(o.link)}`,
  };
  const report = (lines: string[] = []) => printChange(out, o.output, { kind: 'MeshRemoteLink', fields, dryRun: o.dryRun, objects, lines });
  const here = ` (context ${remote.context})`;
  const there = ` (context ${primary.context})`;
  const annotations = { [REMOTE_UID_ANNOTATION]: remote.uid, [REMOTE_CONTEXT_ANNOTATION]: remote.context };
  const sa = readerName(o.link);
  const reader = planReader(
    remote,
    { link: o.link, namespace: o.namespace, reader: o.reader, controlPlaneWrites: control.writes },
    o.legacy,
    tokenSecretName(o.link),
  );
  const server = o.apiServer ?? remote.server;
  fields.server = server;
  const ca = remote.clusterCA ?? kubeconfigCA(remoteKube.config);
  if (!ca) throw new CliError(`no CA to trust the remote API server with: its kube-system has no kube-root-ca.crt and context "${remote.context}" names none`);
  // Refusals of the primary's secret (one istioctl made) come before anything is written.
  planSecret(primary, o.link, '', annotations, o.overwrite);

  if (o.dryRun === 'client') {
    wrote(await executePlan(ctx, reader.changes, 'client', { kube: remoteKube, where: here }), remote.context);
    const placeholder = remoteKubeconfig(o.link, { server, certificateAuthority: ca, token: 'REDACTED', tlsServerName: o.tlsServerName });
    const secret = planSecret(primary, o.link, placeholder, annotations, o.overwrite);
    wrote(
      await executePlan(
        ctx,
        secret.changes.map((c) => (c.action === 'apply' ? { ...c, object: redactedSecret(c.object) } : c)),
        'client',
        { kube: primaryKube, where: there },
      ),
      primary.context,
    );
    ctx.stderr.write('no token requested (dry run); the secret shows where it goes\n');
    return report();
  }

  const stored = storedKubeconfig(primary, o.link);
  const kept =
    stored && reader.changes.length === 0
      ? await reusableToken(
          ctx,
          { kubeconfig: stored, source: `secret ${o.namespace}/istio-remote-secret-${o.link}` },
          { namespace: o.namespace, serviceAccount: sa, legacy: o.legacy, durationSeconds: o.durationSeconds },
        )
      : undefined;
  const done = await executePlan(ctx, reader.changes, o.dryRun, { kube: remoteKube, where: here });
  wrote(done, remote.context);
  const created = reader.fresh.map((f) => done.find((d) => d.object?.kind === f.kind && d.object?.metadata?.name === f.metadata?.name)?.object ?? f);
  const finishOrUndo = `finish with 'kubectl meshremote link ${o.link} --context ${primary.context} --remote-context ${remote.context}' or undo with 'kubectl meshremote unlink ${o.link} --context ${primary.context} --remote-context ${remote.context} --purge'`;
  const failed = async (err: unknown): Promise<never> => {
    const left =
      o.dryRun === 'none'
        ? await undo(
            remoteKube,
            created.filter((c) => c.kind !== 'Namespace'),
          )
        : [];
    const cleaned = created.length && !left.length ? `; what this run created in context "${remote.context}" was removed again` : '';
    const still = left.length ? `; ${left.join(', ')} remain in context "${remote.context}": ${finishOrUndo}` : '';
    throw new CliError(`${errorText(err)}${cleaned}${still}`, err instanceof CliError ? err.exitCode : 1, { cause: err });
  };
  if (o.dryRun === 'server') {
    try {
      const placeholder = remoteKubeconfig(o.link, { server, certificateAuthority: ca, token: 'dry-run', tlsServerName: o.tlsServerName });
      const changes = planSecret(primary, o.link, placeholder, annotations, o.overwrite).changes;
      wrote(await executePlan(ctx, changes, 'server', { kube: primaryKube, where: there }), primary.context);
    } catch (err) {
      throw new CliError(errorText(err), 1, { cause: err });
    }
    ctx.stderr.write('no token requested (dry run)\n');
    return report();
  }

  let kubeconfig: string;
  let token: string;
  try {
    const secret = reader.created ? (created.find((c) => c.kind === 'Secret') ?? reader.tokenSecret) : reader.tokenSecret;
    token = kept ?? (await mintToken(remoteKube, o.link, secret, o.durationSeconds, ctx.clock)).token;
    const tried = await tryCredentials(
      ctx,
      o.link,
      { server, certificateAuthority: ca, token, tlsServerName: o.tlsServerName },
      { serverFromFlag: Boolean(o.apiServer), userCA: kubeconfigCA(remoteKube.config), expectUser: `system:serviceaccount:${o.namespace}:${sa}` },
    );
    for (const w of tried.warnings) ctx.warn(w);
    kubeconfig = tried.kubeconfig;
    const plan = planSecret(primary, o.link, kubeconfig, annotations, o.overwrite);
    fields.tokenExpires = tokenExpiry(token);
    fields.tokenReused = kept !== undefined;
    if (plan.changes.length === 0 && reader.changes.length === 0)
      ctx.stdout.write(`link ${o.link} unchanged (token valid until ${describeExpiry(token, ctx.clock.now())})\n`);
    else {
      wrote(await executePlan(ctx, plan.changes, 'none', { kube: primaryKube, where: there }), primary.context);
      if (plan.changes.length)
        ctx.stdout.write(
          `link ${o.link}: istiod in context "${primary.context}" reads ${server} as service account ${o.namespace}/${sa} (token valid until ${describeExpiry(token, ctx.clock.now())})\n`,
        );
    }
  } catch (err) {
    if (err instanceof KubeApiError || err instanceof CliError) return failed(err);
    throw err;
  }
  if (o.wait) {
    const line = await waitForIstiod(ctx, primaryKube, o.namespace, { cluster: o.link, want: 'synced', timeoutMs: o.timeoutMs, settleMs: 2000 });
    if (line) ctx.stdout.write(`${line}\n`);
    fields.synced = true;
  }
  if (!objects.some((x) => x.context === primary.context))
    objects.push({ name: `secret/${remoteSecretName(o.link)}`, action: 'unchanged', context: primary.context });
  await report();
}

export function readLinkOptions(args: Args): LinkOptions {
  const remoteContext = readRemoteContext(args, true)!;
  return {
    link: linkArg(args),
    namespace: readIstioNamespace(args),
    remoteContext,
    ...readReader(args),
    ...readTokenChoice(args),
    ...readApiServer(args),
    overwrite: bool(args, 'overwrite'),
    dryRun: readDryRun(args),
    ...readWait(args),
    output: readChangeOutput(args),
  };
}

export const linkCommand = defineCommand<LinkOptions>({
  command: 'link <name>',
  describe: 'Join a remote cluster to the primary: reader account and token in the remote, remote secret in the primary, then wait for istiod to sync it',
  examples: [
    ['$0 link remote1 --context primary --remote-context remote1', 'generate-kubeconfig and create-secret in one step, checked before and after'],
    [
      '$0 link remote1 --context primary --remote-context remote1 --api-server https://203.0.113.5:6443',
      'istiod reaches the remote API server at that address',
    ],
    ['$0 link remote1 --context primary --remote-context remote1 --dry-run=client', 'Print what would be created (the token is not requested)'],
  ],
  builder: (y) =>
    waitFlags(
      dryRunFlag(
        changeOutputFlag(
          apiServerFlags(tokenFlags(readerFlags(remoteContextFlag(istioNamespaceFlag(y), 'The kubeconfig context of the remote cluster (required)')))),
        ),
      ),
    )
      .positional('name', { type: 'string', describe: 'The cluster name istiod will know the remote by (DNS-1123 label)' })
      .option('overwrite', { type: 'boolean', default: false, describe: 'Replace a remote secret of that name not made by meshremote (e.g. by istioctl)' }),
  options: (args) => readLinkOptions(args),
  complete: (ctx, o) => Promise.resolve({ ...o, primaryContext: checkRemoteContext(ctx, o.remoteContext) }),
  run: (ctx, o) => runLink(ctx, o),
});

// kubectl meshremote rotate <name> --context PRIMARY --remote-context REMOTE: a new token for a link
// without downtime. A new token Secret and a token bound to it; the remote secret updated; then, once
// istiod has synced the remote with the new credentials (istiod keeps the old client until the new one
// has synced), the older token Secrets are deleted, which revokes every older token; the old token is
// then tried once to show the API server refuses it.
import { defineCommand } from '../../../shared/cli/command.js';
import { dryRunFlag, readDryRun } from '../../../shared/cli/flags.js';
import { CliError, errorText, KubeApiError, UsageError } from '../../../shared/errors.js';
import type { DryRun } from '../../../shared/kube/object.js';
import { executePlan, type ApplyResult, type Change } from '../../../shared/kube/plan.js';
import {
  appliedObjects,
  changeOutputFlag,
  printChange,
  readChangeOutput,
  workContext,
  type ChangeFormat,
  type ObjectChange,
} from '../../../shared/output/change.js';
import { formatDuration } from '../../../shared/kube/wait.js';
import type { CommandContext } from '../../../shared/context.js';
import { tokenClaims, whoAmI } from '../../../shared/kube/tokens.js';
import { checkKubeconfig, remoteKubeconfig, remoteSecretName } from '../../../shared/istio/multicluster.js';
import {
  checkRemoteContext,
  istioNamespaceFlag,
  linkArg,
  readIstioNamespace,
  readRemoteContext,
  readTokenChoice,
  readWait,
  remoteContextFlag,
  tokenFlags,
  waitFlags,
  type TokenChoice,
} from '../flags.js';
import { readerName, REMOTE_CONTEXT_ANNOTATION, REMOTE_UID_ANNOTATION, tokenSecretName } from '../names.js';
import { findSecret, observePrimary, planSecret, storedKubeconfig } from '../primary.js';
import { readerOf } from '../reader.js';
import { mintToken, observeRemote, planReader } from '../remote.js';
import { describeExpiry, kubeconfigCA, tokenExpiry, tryCredentials } from '../credentials.js';
import { redactedSecret } from '../output.js';
import { waitForIstiod } from '../sync.js';
import { controlledByPrimary } from './link.js';

interface Options extends TokenChoice {
  link: string;
  namespace: string;
  remoteContext: string;
  dryRun: DryRun;
  timeoutMs: number;
  output: ChangeFormat;
}

/** Milliseconds until the API server refused the old credentials (401), or undefined within `limitMs`. */
async function oldTokenRefused(ctx: CommandContext, kubeconfig: string, limitMs: number): Promise<number | undefined> {
  const start = ctx.clock.now().getTime();
  for (;;) {
    try {
      await whoAmI(ctx.kubeForKubeconfig(kubeconfig, 'the previous credentials'));
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 401) return ctx.clock.now().getTime() - start;
      throw err;
    }
    if (ctx.clock.now().getTime() - start >= limitMs) return undefined;
    await ctx.clock.sleep(1000);
  }
}

export const rotateCommand = defineCommand<Options>({
  command: 'rotate <name>',
  describe: 'A new token for a link without downtime: istiod switches to it, then the old tokens are revoked',
  examples: [
    ['$0 rotate remote1 --context primary --remote-context remote1', 'Same kind and lifetime as before; older tokens revoked once istiod has synced'],
    ['$0 rotate remote1 --context primary --remote-context remote1 --token-duration 2160h', 'A 90-day token from now on'],
  ],
  builder: (y) =>
    waitFlags(
      dryRunFlag(changeOutputFlag(tokenFlags(remoteContextFlag(istioNamespaceFlag(y), 'The kubeconfig context of the remote cluster (required)')))),
    ).positional('name', {
      type: 'string',
      describe: 'The cluster name the remote was linked as',
    }),
  options: (args) => {
    if (args['wait'] === false) throw new UsageError('rotate always waits for istiod: older tokens are revoked only once istiod uses the new one');
    return {
      link: linkArg(args),
      namespace: readIstioNamespace(args),
      remoteContext: readRemoteContext(args, true)!,
      ...readTokenChoice(args),
      dryRun: readDryRun(args),
      ...readWait(args),
      output: readChangeOutput(args),
    };
  },
  complete: (ctx, o) => {
    checkRemoteContext(ctx, o.remoteContext);
    return Promise.resolve(o);
  },
  run: async (out, o) => {
    // With -o, the lines go to stderr and stdout gets a MeshRemoteRotation (never the token).
    const ctx = workContext(out, o.output);
    const primaryKube = ctx.kube();
    const remoteKube = ctx.kubeFor(o.remoteContext);
    const [primary, remote] = await Promise.all([observePrimary(primaryKube, o.namespace), observeRemote(remoteKube, o.link, o.namespace)]);
    const secret = findSecret(primary, o.link);
    const stored = storedKubeconfig(primary, o.link);
    if (!secret || !stored)
      throw new CliError(`no link named ${o.link} in context "${primary.context}" (no ${o.namespace}/${remoteSecretName(o.link)}); link it first`);
    const uid = secret.metadata?.annotations?.[REMOTE_UID_ANNOTATION];
    if (uid && uid !== remote.uid)
      throw new CliError(
        `context "${remote.context}" is not the cluster ${o.link} was linked from (its kube-system UID differs); name the right --remote-context`,
      );
    const old = checkKubeconfig(stored, `secret ${o.namespace}/${remoteSecretName(o.link)}`, undefined, () => '');
    const claims = old.token ? tokenClaims(old.token) : undefined;
    const sa = readerName(o.link);
    if (!claims || claims.serviceAccount !== sa || claims.namespace !== o.namespace) {
      throw new CliError(
        `link ${o.link} uses ${claims?.serviceAccount ? `a token of ${claims.namespace}/${claims.serviceAccount}` : 'credentials'} not made by kubectl meshremote; make it meshremote's first with 'kubectl meshremote link ${o.link} --overwrite ...'`,
      );
    }
    if (claims.serviceAccountUID && remote.serviceAccount?.metadata?.uid && claims.serviceAccountUID !== remote.serviceAccount.metadata.uid) {
      throw new CliError(
        `the stored token's account ${o.namespace}/${sa} is not the one in context "${remote.context}" (UIDs differ); name the right --remote-context`,
      );
    }
    // The same kind and lifetime as the link had, unless asked otherwise.
    const legacy = o.explicit ? o.legacy : claims.legacy;
    const durationSeconds = o.explicit || claims.legacy || !claims.expiresAt || !claims.issuedAt ? o.durationSeconds : claims.expiresAt - claims.issuedAt;
    const control = controlledByPrimary(primary, remote);
    const reader = planReader(
      remote,
      { link: o.link, namespace: o.namespace, reader: readerOf(remote.clusterRole) ?? 'istio', controlPlaneWrites: control.writes },
      legacy,
      tokenSecretName(o.link),
      true,
    );
    const here = ` (context ${remote.context})`;
    const there = ` (context ${primary.context})`;
    const annotations = { [REMOTE_UID_ANNOTATION]: remote.uid, [REMOTE_CONTEXT_ANNOTATION]: remote.context };
    const ca = remote.clusterCA ?? old.certificateAuthority ?? kubeconfigCA(remoteKube.config) ?? '';
    const older = remote.tokenSecrets;
    const objects: ObjectChange[] = [];
    const wrote = (results: ApplyResult[], context: string) => objects.push(...appliedObjects(results, context));
    const base = { link: o.link, namespace: o.namespace, primaryContext: primary.context, remoteContext: remote.context, server: old.server };
    const revokes = older.map((x) => x.metadata?.name ?? '');
    if (o.dryRun !== 'none') {
      const placeholder = remoteKubeconfig(o.link, { server: old.server, certificateAuthority: ca, token: 'REDACTED', tlsServerName: old.tlsServerName });
      const s = planSecret(primary, o.link, placeholder, annotations, false);
      wrote(await executePlan(ctx, reader.changes, o.dryRun, { kube: remoteKube, where: here }), remote.context);
      wrote(
        await executePlan(
          ctx,
          o.dryRun === 'client' ? s.changes.map((c) => (c.action === 'apply' ? { ...c, object: redactedSecret(c.object) } : c)) : s.changes,
          o.dryRun,
          { kube: primaryKube, where: there },
        ),
        primary.context,
      );
      const revoke: Change[] = older.map((x) => ({
        action: 'delete',
        ref: { apiVersion: 'v1', kind: 'Secret', name: x.metadata?.name ?? '', namespace: o.namespace },
      }));
      if (o.dryRun === 'client') wrote(await executePlan(ctx, revoke, 'client', { kube: remoteKube, where: here }), remote.context);
      ctx.stderr.write(`no token requested (dry run); once istiod had synced, ${older.length} older token Secret(s) would be deleted\n`);
      const fields = { ...base, tokenExpires: null, revokedTokenSecrets: revokes, previousTokenRefused: null, refusedAfterMs: null };
      return printChange(out, o.output, { kind: 'MeshRemoteRotation', fields, dryRun: o.dryRun, objects });
    }
    const done = await executePlan(ctx, reader.changes, 'none', { kube: remoteKube, where: here });
    wrote(done, remote.context);
    const bound = done.find((d) => d.object?.kind === 'Secret' && d.object.metadata?.name === reader.tokenSecret.metadata?.name)?.object ?? reader.tokenSecret;
    const minted = await mintToken(remoteKube, o.link, bound, durationSeconds, ctx.clock);
    const tried = await tryCredentials(
      ctx,
      o.link,
      { server: old.server, certificateAuthority: ca, token: minted.token, tlsServerName: old.tlsServerName },
      { serverFromFlag: true, userCA: old.certificateAuthority, expectUser: `system:serviceaccount:${o.namespace}:${sa}` },
    );
    for (const w of tried.warnings) ctx.warn(w);
    wrote(
      await executePlan(ctx, planSecret(primary, o.link, tried.kubeconfig, annotations, false).changes, 'none', { kube: primaryKube, where: there }),
      primary.context,
    );
    let synced: string | undefined;
    try {
      synced = await waitForIstiod(ctx, primaryKube, o.namespace, { cluster: o.link, want: 'synced', timeoutMs: o.timeoutMs, settleMs: 5000 });
    } catch (err) {
      throw new CliError(
        `${errorText(err)}; the new token is in place but the older ones were not revoked: check 'kubectl meshremote list --context ${primary.context}' and run rotate again`,
        1,
        { cause: err },
      );
    }
    if (synced) ctx.stdout.write(`${synced}\n`);
    else
      ctx.warn(
        'istiod could not be asked whether it uses the new token; the older tokens are revoked anyway (istiod keeps its synced state and retries with the new secret)',
      );
    const revoke: Change[] = older.map((x) => ({
      action: 'delete',
      ref: { apiVersion: 'v1', kind: 'Secret', name: x.metadata?.name ?? '', namespace: o.namespace },
    }));
    wrote(await executePlan(ctx, revoke, 'none', { kube: remoteKube, where: here }), remote.context);
    // The old token must now be refused. The API server caches a token's successful authentication for
    // 10 s (TokenSuccessCacheTTL), so it is tried until refused, at most 15 s.
    const refusedAfter = await oldTokenRefused(ctx, stored, 15_000);
    const line = `link ${o.link} rotated: new token valid until ${describeExpiry(minted.token, ctx.clock.now())}; ${older.length} older token Secret(s) deleted; the previous token ${refusedAfter === undefined ? 'is still accepted' : `is refused by the API server (after ${formatDuration(refusedAfter)})`}`;
    if (refusedAfter === undefined)
      ctx.warn(`the previous token of ${o.link} is still accepted by ${old.server} after 15s; was it bound to a Secret of this link?`);
    const fields = {
      ...base,
      tokenExpires: tokenExpiry(minted.token),
      revokedTokenSecrets: revokes,
      previousTokenRefused: refusedAfter !== undefined,
      refusedAfterMs: refusedAfter ?? null,
    };
    await printChange(out, o.output, { kind: 'MeshRemoteRotation', fields, dryRun: o.dryRun, objects, lines: [line] });
  },
});

// kubectl meshremote unlink <name> --context PRIMARY [--remote-context REMOTE --purge]: the remote
// secret goes (istiod drops the cluster and its endpoints; we wait until it has), and with --purge the
// link's reader account, RBAC and token Secrets in the remote too, which revokes every token of it.
// Run again, it finds nothing to do and says so.
import { bool, defineCommand } from '../../../shared/cli/command.js';
import { dryRunFlag, readDryRun } from '../../../shared/cli/flags.js';
import { CliError, UsageError } from '../../../shared/errors.js';
import type { DryRun, KubeObject } from '../../../shared/kube/object.js';
import { executePlan, type Change } from '../../../shared/kube/plan.js';
import {
  appliedObjects,
  changeOutputFlag,
  printChange,
  readChangeOutput,
  workContext,
  type ChangeFormat,
  type ObjectChange,
} from '../../../shared/output/change.js';
import { tokenClaims } from '../../../shared/kube/tokens.js';
import { checkKubeconfig, registeredClusters, remoteSecretName } from '../../../shared/istio/multicluster.js';
import { checkRemoteContext, istioNamespaceFlag, linkArg, readIstioNamespace, readRemoteContext, readWait, remoteContextFlag, waitFlags } from '../flags.js';
import { readerName, REMOTE_UID_ANNOTATION } from '../names.js';
import { findSecret, observePrimary } from '../primary.js';
import { observeRemote, type RemoteState } from '../remote.js';
import { waitForIstiod } from '../sync.js';

interface Options {
  link: string;
  namespace: string;
  remoteContext?: string | undefined;
  purge: boolean;
  dryRun: DryRun;
  wait: boolean;
  timeoutMs: number;
  output: ChangeFormat;
}

const refOf = (o: KubeObject) => ({ apiVersion: o.apiVersion ?? 'v1', kind: o.kind ?? '', name: o.metadata?.name ?? '', namespace: o.metadata?.namespace });

/** The deletions that purge a link's reader from the remote (pure): bindings before the role, tokens before the account. */
export function planPurge(r: RemoteState): Change[] {
  const objects = [r.binding, r.clusterRole, ...r.tokenSecrets, r.serviceAccount].filter((x): x is KubeObject => Boolean(x));
  return objects.map((o) => ({ action: 'delete', ref: refOf(o) }));
}

export const unlinkCommand = defineCommand<Options>({
  command: 'unlink <name>',
  describe: 'Remove a remote from the primary (its remote secret), and with --purge the reader account and tokens in the remote',
  examples: [
    ['$0 unlink remote1 --context primary', 'istiod drops remote1 and its endpoints'],
    ['$0 unlink remote1 --context primary --remote-context remote1 --purge', 'Also delete the reader account, its RBAC and tokens in remote1'],
  ],
  builder: (y) =>
    waitFlags(dryRunFlag(changeOutputFlag(remoteContextFlag(istioNamespaceFlag(y), 'The kubeconfig context of the remote cluster (for --purge)'))))
      .positional('name', { type: 'string', describe: 'The cluster name the remote was linked as' })
      .option('purge', {
        type: 'boolean',
        default: false,
        describe: "Also delete the link's reader account, RBAC and token Secrets in the remote (revokes its tokens)",
      }),
  options: (args) => {
    const purge = bool(args, 'purge');
    const remoteContext = readRemoteContext(args, false);
    if (purge && !remoteContext) throw new UsageError('--purge needs --remote-context: the kubeconfig context of the remote cluster');
    if (!purge && remoteContext) throw new UsageError('--remote-context is only used with --purge');
    return {
      link: linkArg(args),
      namespace: readIstioNamespace(args),
      remoteContext,
      purge,
      dryRun: readDryRun(args),
      ...readWait(args),
      output: readChangeOutput(args),
    };
  },
  complete: (ctx, o) => {
    if (o.remoteContext) checkRemoteContext(ctx, o.remoteContext);
    return Promise.resolve(o);
  },
  run: async (out, o) => {
    // With -o, the lines go to stderr and stdout gets a MeshRemoteUnlink.
    const ctx = workContext(out, o.output);
    const primaryKube = ctx.kube();
    const remoteKube = o.remoteContext ? ctx.kubeFor(o.remoteContext) : undefined;
    const [primary, remote] = await Promise.all([
      observePrimary(primaryKube, o.namespace),
      remoteKube ? observeRemote(remoteKube, o.link, o.namespace) : undefined,
    ]);
    const secret = findSecret(primary, o.link);
    const there = ` (context ${primary.context})`;
    const objects: ObjectChange[] = [];
    const fields = { link: o.link, namespace: o.namespace, primaryContext: primary.context, remoteContext: remote?.context ?? null, purge: o.purge };
    const report = () => printChange(out, o.output, { kind: 'MeshRemoteUnlink', fields, dryRun: o.dryRun, objects });
    if (secret) {
      const others = registeredClusters(secret).filter((c) => c.id !== o.link);
      if (others.length) {
        throw new CliError(
          `secret ${o.namespace}/${remoteSecretName(o.link)} also registers ${others.map((c) => c.id).join(', ')}; remove the key ${o.link} from it by hand`,
        );
      }
      const uid = secret.metadata?.annotations?.[REMOTE_UID_ANNOTATION];
      if (remote && uid && uid !== remote.uid) {
        throw new CliError(
          `context "${remote.context}" is not the cluster ${o.link} was linked from (kube-system UID ${remote.uid}, the link records ${uid}); name the right --remote-context`,
        );
      }
      const deleted = await executePlan(ctx, [{ action: 'delete', ref: refOf(secret) }], o.dryRun, { kube: primaryKube, where: there });
      objects.push(...appliedObjects(deleted, primary.context));
      if (o.dryRun === 'none' && o.wait) {
        const line = await waitForIstiod(ctx, primaryKube, o.namespace, { cluster: o.link, want: 'absent', timeoutMs: o.timeoutMs });
        if (line) ctx.stdout.write(`${line}\n`);
      }
    } else {
      ctx.stdout.write(`secret/${remoteSecretName(o.link)} already gone${there}\n`);
      objects.push({ name: `secret/${remoteSecretName(o.link)}`, action: 'already gone', context: primary.context });
    }
    if (!remote) return report();
    // A token of an account meshremote did not make (istioctl's) is not ours to revoke.
    const stored = secret && registeredClusters(secret).find((c) => c.id === o.link)?.kubeconfig;
    const token = stored ? safeToken(stored) : undefined;
    const claims = token ? tokenClaims(token) : undefined;
    if (claims?.serviceAccount && claims.serviceAccount !== readerName(o.link)) {
      ctx.warn(
        `the link used a token of ${claims.namespace}/${claims.serviceAccount}, which meshremote did not create: left in place (delete its token Secret to revoke it)`,
      );
    }
    const purge = planPurge(remote);
    if (purge.length === 0) ctx.stdout.write(`no reader account of ${o.link} in context ${remote.context}: nothing to purge\n`);
    else objects.push(...appliedObjects(await executePlan(ctx, purge, o.dryRun, { kube: remoteKube!, where: ` (context ${remote.context})` }), remote.context));
    await report();
  },
});

function safeToken(kubeconfig: string): string | undefined {
  try {
    return checkKubeconfig(kubeconfig, 'stored', undefined, () => '').token;
  } catch {
    return undefined;
  }
}

// kubectl meshremote list --context PRIMARY: every remote secret istiod reads, with the server it
// names, whether that server answers now with the stored credentials (who they are), when the token
// expires, and istiod's own sync status for it (each istiod pod's /debug/clusterz, reached through
// the API server as istioctl reaches it). All of it read in parallel.
import { defineCommand } from '../../../shared/cli/command.js';
import { outputFlag, readOutput } from '../../../shared/cli/flags.js';
import type { CommandContext } from '../../../shared/context.js';
import { errorText, KubeApiError } from '../../../shared/errors.js';
import { isManagedBy } from '../../../shared/kube/ownership.js';
import { tokenClaims, whoAmI } from '../../../shared/kube/tokens.js';
import { TEMPLATE_FORMATS, type OutputFormat } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { checkKubeconfig, registeredClusters } from '../../../shared/istio/multicluster.js';
import { istioNamespaceFlag, readIstioNamespace } from '../flags.js';
import { API_VERSION, PLUGIN } from '../names.js';
import { observePrimary } from '../primary.js';
import { readIstiods, statusIn, summarize, type IstiodView } from '../sync.js';
import { humanDuration } from '../credentials.js';

interface Options {
  namespace: string;
  output: OutputFormat;
}

export interface RemoteRow {
  name: string;
  secret: string;
  server: string;
  managedBy: string;
  answers: { ok: boolean; user?: string | undefined; error?: string | undefined };
  token: { serviceAccount?: string | undefined; legacy: boolean; expiresAt?: string | undefined; boundTo?: string | undefined };
  istiod: { pod: string; status: string }[];
}

/** The ANSWERS cell: yes, or why not in a few words. */
export function answersCell(a: RemoteRow['answers']): string {
  if (a.ok) return 'yes';
  const e = a.error ?? '';
  if (/unauthorized/.test(e)) return 'no: 401 (token revoked or expired)';
  if (/forbidden/.test(e)) return 'no: 403';
  const m = /: ([^:;]+); is the cluster running/.exec(e);
  return `no: ${m ? m[1] : e.split(';')[0].slice(0, 60)}`;
}

export function expiresCell(t: RemoteRow['token'], now: Date): string {
  if (t.legacy) return 'never (legacy)';
  if (!t.expiresAt) return 'unknown';
  const ms = Date.parse(t.expiresAt) - now.getTime();
  return ms < 0 ? `expired ${humanDuration(-ms)} ago` : `${t.expiresAt.slice(0, 10)} (${humanDuration(ms)})`;
}

async function readRow(ctx: CommandContext, secretName: string, managedBy: string, id: string, kubeconfig: string, views: IstiodView[]): Promise<RemoteRow> {
  const source = `secret ${secretName}`;
  let server = '';
  let token: string | undefined;
  try {
    const c = checkKubeconfig(kubeconfig, source, undefined, () => '');
    server = c.server;
    token = c.token;
  } catch (err) {
    return { name: id, secret: secretName, server, managedBy, answers: { ok: false, error: errorText(err) }, token: { legacy: false }, istiod: [] };
  }
  const claims = token ? tokenClaims(token) : undefined;
  let answers: RemoteRow['answers'];
  try {
    answers = { ok: true, user: (await whoAmI(ctx.kubeForKubeconfig(kubeconfig, source))).username };
  } catch (err) {
    if (!(err instanceof KubeApiError)) throw err;
    answers = { ok: false, error: errorText(err) };
  }
  return {
    name: id,
    secret: secretName,
    server,
    managedBy,
    answers,
    token: {
      serviceAccount: claims?.namespace && claims.serviceAccount ? `${claims.namespace}/${claims.serviceAccount}` : undefined,
      legacy: claims?.legacy ?? false,
      expiresAt: claims?.expiresAt ? new Date(claims.expiresAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined,
      boundTo: claims && !claims.legacy ? claims.secret?.name : undefined,
    },
    istiod: views.map((v) => ({ pod: v.pod, status: v.error ? 'unknown' : statusIn(v, id) })),
  };
}

export const listCommand = defineCommand<Options>({
  command: 'list',
  describe: "The remotes istiod reads: server, whether it answers with the stored credentials, token expiry, istiod's sync status",
  examples: [
    ['$0 list --context primary', 'One row per remote cluster'],
    ['$0 list --context primary -o json | jq ".items[] | select(.answers.ok | not)"', 'Remotes whose credentials no longer work'],
  ],
  builder: (y) => outputFlag(istioNamespaceFlag(y), ['table', 'wide', 'json', 'yaml', ...TEMPLATE_FORMATS]),
  options: (args) => ({ namespace: readIstioNamespace(args), output: readOutput(args, ['table', 'wide', 'json', 'yaml', ...TEMPLATE_FORMATS]) }),
  run: async (ctx, o) => {
    const kube = ctx.kube();
    const [primary, views] = await Promise.all([
      observePrimary(kube, o.namespace),
      readIstiods(kube, o.namespace).catch((err: unknown) => [{ pod: '', error: errorText(err) }] as IstiodView[]),
    ]);
    const istiods = views.filter((v) => v.pod);
    const rows = await Promise.all(
      primary.secrets.flatMap((s) =>
        registeredClusters(s).map((c) =>
          readRow(ctx, `${o.namespace}/${s.metadata?.name ?? ''}`, isManagedBy(s, PLUGIN) ? 'kubectl-meshremote' : 'other', c.id, c.kubeconfig, istiods),
        ),
      ),
    );
    rows.sort((a, b) => a.name.localeCompare(b.name));
    for (const v of views.filter((x) => x.error)) ctx.warn(`cannot ask istiod${v.pod ? ` pod ${v.pod}` : ''} for its clusters: ${v.error}`);
    if (!views.length) ctx.warn(`no running istiod in ${o.namespace} (context "${primary.context}"): nothing reads these secrets`);
    const now = ctx.clock.now();
    await print(ctx, o.output, {
      data: {
        apiVersion: API_VERSION,
        kind: 'MeshRemoteList',
        primary: { context: primary.context, clusterID: primary.clusterID ?? null, istiods: istiods.map((v) => ({ pod: v.pod, error: v.error ?? null })) },
        items: rows,
      },
      rows,
      columns: [
        { header: 'Name', value: (r: RemoteRow) => r.name },
        { header: 'Server', value: (r) => r.server },
        { header: 'Answers', value: (r) => answersCell(r.answers) },
        { header: 'Token expires', value: (r) => expiresCell(r.token, now) },
        { header: 'Istiod', value: (r) => (istiods.length ? summarize(istiods, r.name) : 'no istiod') },
        { header: 'Secret', value: (r) => r.secret, wide: true },
        { header: 'Identity', value: (r) => r.answers.user ?? r.token.serviceAccount ?? '', wide: true },
        { header: 'Made by', value: (r) => r.managedBy, wide: true },
      ],
    });
    if (o.output === 'table' && rows.length === 0) ctx.stderr.write(`No remote secrets in ${o.namespace} (context "${primary.context}").\n`);
  },
});

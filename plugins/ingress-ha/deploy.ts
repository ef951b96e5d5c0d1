// Carrying out `deploy`: what it reads first (pure helpers decide names and settings from it), the
// server-side apply of every object with a kubectl-style line each (created, configured, unchanged),
// and the wait for the DaemonSet to be ready on the ingress nodes.
import type { CommandContext } from '../../shared/context.js';
import { CliError } from '../../shared/errors.js';
import type { KubeObject, ServerDryRun } from '../../shared/kube/object.js';
import { applyChangeReason, applyChanges } from '../../shared/kube/applied.js';
import { readState, stateAnnotations } from '../../shared/kube/ownership.js';
import { applyPlan, changeName, type ApplyResult, type Change } from '../../shared/kube/plan.js';
import { daemonSetRollout, waitFor } from '../../shared/kube/wait.js';
import { startProgress } from '../../shared/output/spinner.js';
import { INGRESS_SELECTOR, controllerName, podSelector, type IngressOptions } from './options.js';
import { findService, hasIngressTaint, isIngressNode, nameOf } from './observed.js';
import { suggestNodes } from './nodes.js';
import { counted } from '../../shared/output/plural.js';
import type { DaemonSet, Deployment, Node, Service } from '../../shared/kube/types.js';

/** State kept on an adopted Service (under the shared annotation prefix), to undo the switch. */
export const ADOPTED_FROM = 'adopted-from';
export const PREVIOUS_SELECTOR = 'previous-selector';

/** The one-line refusal when no node is labelled, with the command that fixes it. */
export function noIngressNodesMessage(nodes: Node[]): string {
  const suggestion = suggestNodes(nodes);
  return `no node is labelled ${INGRESS_SELECTOR}, so the controller would run nowhere; label two or more first (one per zone): kubectl ingress-ha nodes add ${suggestion.length ? suggestion.join(' ') : '<node>...'}`;
}

/**
 * The Service to put in front of the controller: --service if given; when adopting, the one in front
 * of the old Deployment (or the one already switched from it); else one already selecting our pods;
 * else "<name>-controller".
 */
export function resolveService(
  services: Service[],
  o: Pick<IngressOptions, 'controller' | 'name' | 'namespace'>,
  adopt?: { name: string; deployment?: Deployment | undefined },
  explicit?: string,
): Service | string {
  if (explicit) return services.find((s) => nameOf(s) === explicit) ?? explicit;
  if (adopt) {
    // A rerun after the switch (the Deployment may be gone already) finds the Service by what it recorded.
    const switched = services.find((s) => readState(s)[ADOPTED_FROM] === `deployment.apps/${adopt.name}`);
    if (switched) return switched;
    if (!adopt.deployment) throw new CliError(`deployment "${adopt.name}" not found in namespace "${o.namespace}"`);
    const front = findService(services, adopt.deployment.spec?.template?.metadata?.labels);
    if (!front)
      throw new CliError(
        `no Service in namespace "${o.namespace}" selects the pods of deployment "${adopt.name}"; there is nothing to keep, so deploy without --adopt`,
      );
    return front;
  }
  return findService(services, podSelector(o)) ?? controllerName(o.name);
}

/** Tolerate the ingress taint when asked, or when any ingress node carries it already. */
export function needsToleration(exclusive: boolean, nodes: Node[]): boolean {
  return exclusive || nodes.some((n) => isIngressNode(n) && hasIngressTaint(n));
}

/** One less than the ingress nodes (at least 1): a drain may take one controller pod at a time. */
export function minAvailableFor(nodes: Node[]): number {
  return Math.max(1, nodes.filter(isIngressNode).length - 1);
}

/** The desired Service keeps the undo state we recorded on it (adoption), which the builders do not know. */
export function withState<T extends KubeObject>(desired: T, existing: Service | undefined, extra: Record<string, string> = {}): T {
  const state = { ...readState(existing ?? {}), ...extra };
  if (Object.keys(state).length === 0) return desired;
  const annotations = { ...(desired.metadata?.annotations ?? {}), ...stateAnnotations(state).metadata.annotations };
  return { ...desired, metadata: { ...desired.metadata, annotations } };
}

const strip = (o: KubeObject | undefined): string => {
  if (!o) return '';
  const { status: _s, metadata, ...rest } = o;
  const { managedFields: _m, resourceVersion: _r, generation: _g, creationTimestamp: _c, uid: _u, ...meta } = metadata ?? {};
  return JSON.stringify({ ...rest, metadata: meta });
};

/** kubectl apply's words: created, configured or unchanged, from the object before and after. */
export function outcome(before: KubeObject | undefined, after: KubeObject | undefined): 'created' | 'configured' | 'unchanged' {
  if (!before) return 'created';
  // Not by resourceVersion: a server dry run answers with the changed object under the old one.
  return strip(before) === strip(after) ? 'unchanged' : 'configured';
}

const refOf = (o: KubeObject) => ({ apiVersion: o.apiVersion ?? '', kind: o.kind ?? '', name: o.metadata?.name ?? '', namespace: o.metadata?.namespace });

/**
 * Server-side apply of each object (one read each, and one write each that would change something:
 * a rerun writes nothing), printing what happened to it.
 */
export async function applyObjects(
  ctx: CommandContext,
  objects: KubeObject[],
  dryRun: ServerDryRun,
  /** Holds the controller's lock around the writes, taken only when something changes. */
  locked: <T>(work: () => Promise<T>) => Promise<T> = (work) => work(),
): Promise<KubeObject[]> {
  const kube = ctx.kube();
  const before = await Promise.all(objects.map((o) => kube.find(refOf(o))));
  const changing = objects.filter((o, i) => {
    if (dryRun !== 'none') return true;
    const why = applyChangeReason(o, before[i], kube.fieldManager);
    if (why && ctx.verbosity > 1) ctx.stderr.write(`I: ${changeName({ action: 'apply', object: o })} is applied: ${why}\n`);
    return why !== undefined;
  });
  // Server-side applies of the whole desired state: idempotent, so nothing to re-check under the lock.
  const apply = () =>
    applyPlan(
      kube,
      changing.map((object): Change => ({ action: 'apply', object })),
      dryRun,
    );
  const results = changing.length ? await locked(apply) : [];
  const suffix = dryRun === 'server' ? ' (server dry run)' : '';
  return objects.map((o, i) => {
    const r = results[changing.indexOf(o)];
    ctx.stdout.write(`${changeName({ action: 'apply', object: o })} ${r ? outcome(before[i], r.object) : 'unchanged'}${suffix}\n`);
    return r?.object ?? before[i] ?? {};
  });
}

/** One change as a step of a journaled change: an apply says created, configured or unchanged, as kubectl does. */
export async function applyStep(ctx: CommandContext, change: Change): Promise<ApplyResult> {
  const kube = ctx.kube();
  if (change.action !== 'apply') return (await applyPlan(kube, [change], 'none'))[0];
  const before = await kube.find(refOf(change.object));
  if (!applyChanges(change.object, before, kube.fieldManager))
    return { change, line: `${changeName(change)} unchanged`, verb: 'unchanged', ...(before ? { object: before } : {}) };
  const [r] = await applyPlan(kube, [change], 'none');
  const verb = outcome(before, r.object);
  return { ...r, line: `${changeName(change)} ${verb}`, verb };
}

/**
 * Wait until the DaemonSet runs an available pod on every ingress node: rolled out (kubectl's rules)
 * and scheduled on as many nodes as carry the label (a node with a taint it does not tolerate would
 * otherwise count as done with nothing on it).
 */
export async function waitForController(ctx: CommandContext, o: IngressOptions, ingressNodes: number, timeoutMs: number): Promise<void> {
  const name = controllerName(o.name);
  const what = `waiting for daemonset.apps/${name} on the ${counted(ingressNodes, 'ingress node')}`;
  const progress = await startProgress(ctx.stderr, ctx.interactive, ctx.color, what);
  const check = async () => {
    const ds = await ctx.kube().get<DaemonSet & KubeObject>({ apiVersion: 'apps/v1', kind: 'DaemonSet', name, namespace: o.namespace });
    const state = daemonSetRollout(ds);
    const scheduled = ds.status?.desiredNumberScheduled ?? 0;
    if (state.done && scheduled < ingressNodes)
      return { done: false, message: `pods run on ${scheduled} of ${ingressNodes} ingress nodes (the others have a taint it does not tolerate?)` };
    return state;
  };
  try {
    await waitFor(`daemonset.apps/${name} to run on every ingress node`, check, {
      timeoutMs,
      clock: ctx.clock,
      onProgress: (m) => progress.update(`${what}: ${m}`),
    });
    progress.stop();
  } catch (err) {
    progress.fail();
    throw err;
  }
}

// What nodes add and nodes remove share: read the named nodes (an unknown name is an error before
// anything is written), plan the label and taint changes, refuse to remove the last ingress nodes
// without --force, and warn when fewer than two are left.
import type { CommandContext } from '../../../../shared/context.js';
import { CliError } from '../../../../shared/errors.js';
import { type DryRun } from '../../../../shared/kube/object.js';
import { retryOnConflict } from '../../../../shared/kube/conflict.js';
import { executePlan, type ApplyResult } from '../../../../shared/kube/plan.js';
import { appliedObjects, printChange, workContext, type ChangeFormat } from '../../../../shared/output/change.js';
import { dnsSubdomain } from '../../../../shared/validate.js';
import { planAdd, planRemove } from '../../nodes.js';
import { hasIngressTaint, isIngressNode, nameOf } from '../../observed.js';
import type { Node } from '../../../../shared/kube/types.js';

export interface ChangeOptions {
  action: 'add' | 'remove';
  nodes: string[];
  exclusive: boolean;
  force: boolean;
  dryRun: DryRun;
  output: ChangeFormat;
}

/** A node in the document: an ingress node or not, exclusive (tainted) or not. */
const nodeState = (n: Node) => ({ ingress: isIngressNode(n), exclusive: hasIngressTaint(n) });

/** The node names given, valid and without repeats. */
export function nodeNames(names: string[]): string[] {
  return [...new Set(names.map((n) => dnsSubdomain(n, 'node name')))];
}

/** The named nodes, from one list of all nodes; an unknown name is an error before anything is written. */
async function readNodes(ctx: CommandContext, names: string[]): Promise<{ all: Node[]; named: Node[] }> {
  const all = await ctx.kube().list<Node>('v1', 'Node');
  const byName = new Map(all.map((n) => [nameOf(n), n]));
  const missing = names.filter((n) => !byName.has(n));
  if (missing.length)
    throw new CliError(`node${missing.length > 1 ? 's' : ''} ${missing.map((n) => `"${n}"`).join(', ')} not found (kubectl get nodes lists them)`);
  return { all, named: names.map((n) => byName.get(n)!) };
}

export async function change(out: CommandContext, o: ChangeOptions): Promise<void> {
  const ctx = workContext(out, o.output);
  let left = 0;
  let nodes: { node: string; before: ReturnType<typeof nodeState>; after: ReturnType<typeof nodeState> }[] = [];
  let applied: ApplyResult[] = [];
  await retryOnConflict(async () => {
    const { all, named } = await readNodes(ctx, o.nodes);
    const plan = o.action === 'add' ? planAdd(named, o.exclusive) : planRemove(named);
    const ingress = new Set(all.filter(isIngressNode).map(nameOf));
    for (const n of o.nodes)
      if (o.action === 'add') ingress.add(n);
      else ingress.delete(n);
    left = ingress.size;
    // Removing the last ingress nodes takes every controller pod away: the whole ingress layer stops.
    if (o.action === 'remove' && left === 0 && plan.changes.length && !o.force) {
      throw new CliError(
        `removing ${o.nodes.join(', ')} would leave no ingress node, so no controller pod would serve; add other nodes first (kubectl ingress-ha nodes add <node>...), or pass --force`,
      );
    }
    for (const line of plan.unchanged) ctx.stdout.write(`${line}\n`);
    applied = plan.changes.length ? await executePlan(ctx, plan.changes, o.dryRun) : [];
    nodes = named.map((n) => {
      const before = nodeState(n);
      const after = o.action === 'add' ? { ingress: true, exclusive: before.exclusive || o.exclusive } : { ingress: false, exclusive: false };
      return { node: nameOf(n), before, after };
    });
  }, ctx);
  const written = new Map(appliedObjects(applied).map((c) => [c.name, c.action]));
  await printChange(out, o.output, {
    kind: 'IngressNodeChange',
    fields: { action: o.action, nodes, ingressNodes: left },
    dryRun: o.dryRun,
    objects: nodes.map(({ node }) => ({ name: `node/${node}`, action: written.get(`node/${node}`) ?? 'unchanged' })),
  });
  if (left < 2) {
    ctx.warn(
      `${left === 0 ? 'no ingress node is' : 'only 1 ingress node is'} left: the ingress layer needs 2 or more (in different zones) to survive a node failure`,
    );
  }
}

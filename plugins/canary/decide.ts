// How a canary change is made, decided once from what was observed: replicas mode (the split is the
// canary's share of the pods behind the Service) or Istio mode (the weights of the one VirtualService
// routing the Service), or a refusal that says why. Pure: the topology and the flags in, the decision
// out; scale.ts only carries it out (set, promote, abort and run all go through it).
import { CliError, UsageError } from '../../shared/errors.js';
import type { VirtualService } from '../../shared/istio/types.js';
import type { Mode } from './flags.js';
import { otherCanary } from './target.js';
import type { Topology } from './topology.js';

export type Decision =
  { mode: 'replicas'; warnings: string[] } | { mode: 'istio'; virtualService: VirtualService; warnings: string[] } | { mode: 'refused'; error: CliError };

export interface DecideOptions {
  /** --mode: auto picks Istio when a VirtualService routes the Service. */
  mode?: Mode | undefined;
  /** --force: scale even when an autoscaler targets the Deployments (it may undo the change). */
  force: boolean;
}

/** A decision to go ahead: how the change is made. */
export type Decided = Exclude<Decision, { mode: 'refused' }>;

const nameOf = (o: { metadata?: { name?: string } }) => o.metadata?.name ?? '';
const refuse = (message: string, usage = false): Decision => ({ mode: 'refused', error: usage ? new UsageError(message) : new CliError(message) });

export function decideMode(t: Topology, o: DecideOptions): Decision {
  const service = nameOf(t.service);
  const other = otherCanary(t);
  if (other) {
    const ns = `-n ${t.namespace}`;
    return refuse(
      `service "${service}" is already being changed by canary ${other}; finish it (kubectl canary promote ${other} ${ns}) or undo it (kubectl canary abort ${other} ${ns}) before starting canary ${nameOf(t.canary)}`,
    );
  }
  const routed = t.virtualServices;
  if (o.mode === 'istio' && !routed.length) {
    return refuse(`no VirtualService in namespace "${t.namespace}" routes service "${service}"; --mode istio needs one (or use --mode replicas)`);
  }
  if (routed.length && o.mode === 'replicas') {
    // Under Istio the split follows the VirtualService's weights: changing replicas would not move traffic.
    const vs = routed.map((v) => `virtualservice.networking.istio.io/${nameOf(v)}`).join(', ');
    return refuse(
      `${vs} routes service "${service}", so its weights, not replica counts, decide the split; --mode replicas cannot move traffic, use --mode istio (or auto)`,
    );
  }
  if (routed.length > 1) {
    return refuse(`several VirtualServices route service "${service}": ${routed.map(nameOf).join(', ')}; keep one default route for it`, true);
  }
  // An autoscaler cannot touch VirtualService weights: under Istio it is no concern.
  if (routed.length === 1) return { mode: 'istio', virtualService: routed[0], warnings: [] };
  if (t.others.length) {
    // Their pods take a share too: a replica ratio between two of them is not the canary's share.
    return refuse(
      `service "${service}" also selects ${t.others.map((d) => `deployment.apps/${nameOf(d)}`).join(', ')}, whose pods take traffic too; replicas mode needs the canary and one stable Deployment alone behind the Service`,
    );
  }
  if (t.autoscalers.length) {
    // An autoscaler would undo replica changes.
    const list = t.autoscalers.map((h) => `horizontalpodautoscaler.autoscaling/${nameOf(h)}`).join(', ');
    if (!o.force) return refuse(`${list} scales these Deployments and would undo the change; remove it, or pass --force to scale anyway`);
    return { mode: 'replicas', warnings: [`${list} scales these Deployments and may undo the change`] };
  }
  return { mode: 'replicas', warnings: [] };
}

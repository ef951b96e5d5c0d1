// What the canary commands read from the cluster: one list per kind in the namespace, in parallel;
// kinds a cluster may not have (autoscaling/v2, Istio's CRDs) read as empty.
import type { CommandContext } from '../../shared/context.js';
import { VIEW_METADATA, type Fields } from '../../shared/kube/lean.js';
import { optionalList } from '../../shared/kube/api-errors.js';
import { findTopology, SeveralStablesError, type Topology } from './topology.js';
import type { DestinationRule, VirtualService } from '../../shared/istio/types.js';
import type { Deployment, HorizontalPodAutoscaler, Service } from '../../shared/kube/types.js';

/** Everything the canary commands read: one list per kind in the namespace (four requests). */
export async function observe(ctx: CommandContext, canary: string, service?: string, stable?: string): Promise<Topology> {
  const kube = ctx.kube();
  const namespace = kube.namespace;
  const [deployments, services, autoscalers, virtualServices] = await Promise.all([
    kube.list<Deployment>('apps/v1', 'Deployment', { namespace }),
    kube.list<Service>('v1', 'Service', { namespace }),
    optionalList(kube.list<HorizontalPodAutoscaler>('autoscaling/v2', 'HorizontalPodAutoscaler', { namespace })),
    optionalList(kube.list<VirtualService>('networking.istio.io/v1', 'VirtualService', { namespace })),
  ]);
  const input = { namespace, canaryName: canary, serviceName: service, stableName: stable, deployments, services, autoscalers, virtualServices };
  try {
    return findTopology(input);
  } catch (err) {
    // Several Deployments behind the Service: under Istio the route says which is stable (needs the subsets).
    if (!(err instanceof SeveralStablesError) || !virtualServices.length) throw err;
    return findTopology({ ...input, destinationRules: await listDestinationRules(ctx, namespace) });
  }
}

export async function listDestinationRules(ctx: CommandContext, namespace: string): Promise<DestinationRule[]> {
  return optionalList(ctx.kube().list<DestinationRule>('networking.istio.io/v1', 'DestinationRule', { namespace }));
}

/** What canaryViews (status, analyze, probe) read of Deployments and Services: lean lists keep only these. */
const DEPLOYMENT_FIELDS: Fields = {
  metadata: VIEW_METADATA,
  spec: { replicas: true, selector: true, template: { metadata: { labels: true } } },
  status: {
    replicas: true,
    readyReplicas: true,
    updatedReplicas: true,
    availableReplicas: true,
    observedGeneration: true,
    conditions: { type: true, status: true, reason: true },
  },
};
const SERVICE_FIELDS: Fields = { metadata: VIEW_METADATA, spec: { selector: true, type: true, ports: true } };

/**
 * What status and probe read: Deployments, Services and Istio's routes (four lists, whatever the number
 * of canaries). lean: for views that write nothing back (cut down to what they read as the pages arrive, see lean.ts).
 */
export async function listCanaryObjects(ctx: CommandContext, namespace: string, lean = false) {
  const kube = ctx.kube();
  const [deployments, services, virtualServices, destinationRules] = await Promise.all([
    kube.list<Deployment>('apps/v1', 'Deployment', { namespace, ...(lean ? { fields: DEPLOYMENT_FIELDS } : {}) }),
    kube.list<Service>('v1', 'Service', { namespace, ...(lean ? { fields: SERVICE_FIELDS } : {}) }),
    optionalList(kube.list<VirtualService>('networking.istio.io/v1', 'VirtualService', { namespace, lean })),
    optionalList(kube.list<DestinationRule>('networking.istio.io/v1', 'DestinationRule', { namespace, lean })),
  ]);
  return { deployments, services, istio: { virtualServices, destinationRules } };
}

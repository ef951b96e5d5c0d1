// The view model of `status` (pure): per ingress node its controller pod, and the load balancer in
// front: external address and which nodes it attaches.
import { INGRESS_SELECTOR } from './options.js';
import { findService, nameOf } from './observed.js';
import { nodeRows, type NodeRow } from './nodes.js';
import type { Layer } from './observe.js';
import { LEGACY_NODE_SELECTION_ANNOTATIONS, NODE_SELECTION_ANNOTATIONS } from './service.js';

export interface StatusView {
  namespace: string;
  controller: { daemonSet: string; image: string; desired: number; ready: number; available: number } | null;
  nodes: NodeRow[];
  service: {
    name: string;
    type: string;
    externalTrafficPolicy: string;
    /** IPs or host names the cloud gave the load balancer; empty while pending. */
    externalAddresses: string[];
    /** How the load balancer picks its backend nodes. */
    nodeSelection: string;
  } | null;
}

export function statusView(layer: Layer): StatusView {
  const ds = layer.daemonSet;
  const svc = ds ? findService(layer.services, ds.spec?.template?.metadata?.labels) : undefined;
  const annotations = svc?.metadata?.annotations ?? {};
  const key = [...Object.values(NODE_SELECTION_ANNOTATIONS), ...LEGACY_NODE_SELECTION_ANNOTATIONS].find((k) => annotations[k] !== undefined);
  return {
    namespace: layer.namespace,
    controller: ds
      ? {
          daemonSet: nameOf(ds),
          image: ds.spec?.template?.spec?.containers[0]?.image ?? '',
          desired: ds.status?.desiredNumberScheduled ?? 0,
          ready: ds.status?.numberReady ?? 0,
          available: ds.status?.numberAvailable ?? 0,
        }
      : null,
    nodes: nodeRows(layer.nodes, layer.controllerPods),
    service: svc
      ? {
          name: nameOf(svc),
          type: svc.spec?.type ?? 'ClusterIP',
          externalTrafficPolicy: svc.spec?.externalTrafficPolicy ?? 'Cluster',
          externalAddresses: (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '').filter(Boolean),
          nodeSelection: key
            ? `${annotations[key]}${annotations[key] === INGRESS_SELECTOR ? '' : ' (not the ingress label)'} via ${key}`
            : svc.spec?.externalTrafficPolicy === 'Local'
              ? 'every node registered; only nodes with a ready controller pod pass the health check (externalTrafficPolicy Local)'
              : 'every node',
        }
      : null,
  };
}

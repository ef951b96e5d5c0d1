// The LoadBalancer Service in front of the controller: externalTrafficPolicy Local (client addresses
// kept, no second hop through nodes without a controller), and the cloud's annotation that attaches
// only the labelled nodes to the load balancer (seed 001 chapter 3, step 3).
import type { KubeObject } from '../../shared/kube/object.js';
import { INGRESS_SELECTOR, podSelector, type Cloud, type IngressOptions } from './options.js';

/** The annotation each cloud's load balancer controller reads to pick backend nodes by label. */
export const NODE_SELECTION_ANNOTATIONS: Partial<Record<Cloud, string>> = {
  alibaba: 'service.beta.kubernetes.io/alibaba-cloud-loadbalancer-backend-label',
  aws: 'service.beta.kubernetes.io/aws-load-balancer-target-node-labels',
};

/** Older spellings still honoured (the seed's Alibaba console wrote "alicloud-"). */
export const LEGACY_NODE_SELECTION_ANNOTATIONS = ['service.beta.kubernetes.io/alicloud-loadbalancer-backend-label'];

export const EXCLUDE_FROM_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

/** Annotations for the chosen cloud, and a warning when it has no way to select nodes by label. */
export function cloudAnnotations(cloud: Cloud): { annotations: Record<string, string>; warning?: string } {
  const key = NODE_SELECTION_ANNOTATIONS[cloud];
  if (key) return { annotations: { [key]: INGRESS_SELECTOR } };
  if (cloud === 'none') return { annotations: {} };
  return {
    annotations: {},
    warning:
      `--cloud ${cloud} has no annotation that attaches only labelled nodes: its load balancer registers every node, and with externalTrafficPolicy Local ` +
      `its health check fails on nodes without a controller pod, so only ingress nodes take traffic; to keep the others out entirely, label them ${EXCLUDE_FROM_LB_LABEL}=true`,
  };
}

export function servicePorts(controller: IngressOptions['controller']): Record<string, unknown>[] {
  const p = (name: string, port: number) => ({ name, port, targetPort: port, protocol: 'TCP' });
  return controller === 'ingress-nginx' ? [p('http', 80), p('https', 443)] : [p('status-port', 15021), p('http2', 80), p('https', 443)];
}

export function loadBalancerService(o: IngressOptions, labels: Record<string, string>): KubeObject {
  const { annotations } = cloudAnnotations(o.cloud);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: o.serviceName, namespace: o.namespace, labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      selector: podSelector(o),
      ports: servicePorts(o.controller),
    },
  };
}

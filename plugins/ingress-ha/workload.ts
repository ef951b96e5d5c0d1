// The controller itself: a DaemonSet pinned to the ingress nodes (seed 001 chapter 3), its
// configuration, the IngressClass it serves and the PodDisruptionBudget that keeps drains from
// taking all of it at once.
import type { KubeObject } from '../../shared/kube/object.js';
import { INGRESS_LABEL, INGRESS_LABEL_VALUE, INGRESS_TAINT, ZONE_LABEL, controllerName, podSelector, type IngressOptions } from './options.js';
import { electionId, nginxConfigMaps } from './rbac.js';

/** Where each controller reports health: ingress-nginx on :10254/healthz, the Envoy gateway on :15021/healthz/ready. */
export const HEALTH: Record<IngressOptions['controller'], { port: number; path: string }> = {
  'ingress-nginx': { port: 10254, path: '/healthz' },
  'istio-gateway': { port: 15021, path: '/healthz/ready' },
};

export const CONTAINER_NAMES: Record<IngressOptions['controller'], string> = { 'ingress-nginx': 'controller', 'istio-gateway': 'istio-proxy' };

export function configMaps(o: IngressOptions, labels: Record<string, string>): KubeObject[] {
  if (o.controller !== 'ingress-nginx') return [];
  const names = nginxConfigMaps(o);
  const cm = (name: string, data: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: o.namespace, labels },
    data,
  });
  return [
    // Snippet annotations would let anyone who can write an Ingress inject raw nginx configuration.
    cm(names.configuration, { 'allow-snippet-annotations': 'false' }),
    cm(names.tcp, {}),
    cm(names.udp, {}),
  ];
}

export function ingressClass(o: IngressOptions, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: o.ingressClass, labels },
    spec: { controller: o.controller === 'ingress-nginx' ? 'k8s.io/ingress-nginx' : 'istio.io/ingress-controller' },
  };
}

function probe(o: IngressOptions, liveness: boolean): Record<string, unknown> {
  const h = HEALTH[o.controller];
  return {
    httpGet: { path: h.path, port: h.port, scheme: 'HTTP' },
    ...(liveness ? { initialDelaySeconds: 10 } : {}),
    periodSeconds: 10,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: liveness ? 5 : 3,
  };
}

const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });

function nginxContainer(o: IngressOptions): Record<string, unknown> {
  const cms = nginxConfigMaps(o);
  return {
    name: CONTAINER_NAMES['ingress-nginx'],
    image: o.image,
    imagePullPolicy: 'IfNotPresent',
    args: [
      '/nginx-ingress-controller',
      `--publish-service=$(POD_NAMESPACE)/${o.serviceName}`,
      `--election-id=${electionId(o)}`,
      '--controller-class=k8s.io/ingress-nginx',
      `--ingress-class=${o.ingressClass}`,
      `--configmap=$(POD_NAMESPACE)/${cms.configuration}`,
      `--tcp-services-configmap=$(POD_NAMESPACE)/${cms.tcp}`,
      `--udp-services-configmap=$(POD_NAMESPACE)/${cms.udp}`,
    ],
    env: [
      fieldEnv('POD_NAME', 'metadata.name'),
      fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
      { name: 'LD_PRELOAD', value: '/usr/local/lib/libmimalloc.so' },
    ],
    ports: [
      { name: 'http', containerPort: 80, protocol: 'TCP' },
      { name: 'https', containerPort: 443, protocol: 'TCP' },
      { name: 'metrics', containerPort: 10254, protocol: 'TCP' },
    ],
    livenessProbe: probe(o, true),
    readinessProbe: probe(o, false),
    // Finish open connections before the pod goes (the image ships this helper).
    lifecycle: { preStop: { exec: { command: ['/wait-shutdown'] } } },
    resources: { requests: { cpu: '100m', memory: '90Mi' } },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 101,
      runAsGroup: 82,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

function istioContainer(o: IngressOptions): Record<string, unknown> {
  return {
    name: CONTAINER_NAMES['istio-gateway'],
    // "auto": istiod's injector fills in the proxy image and its bootstrap (the gateway template).
    image: o.image,
    ports: [
      { name: 'status-port', containerPort: 15021, protocol: 'TCP' },
      { name: 'http2', containerPort: 80, protocol: 'TCP' },
      { name: 'https', containerPort: 443, protocol: 'TCP' },
    ],
    livenessProbe: probe(o, true),
    readinessProbe: probe(o, false),
    resources: { requests: { cpu: '100m', memory: '128Mi' } },
    securityContext: { runAsNonRoot: true, runAsUser: 1337, runAsGroup: 1337, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  };
}

export function daemonSet(o: IngressOptions, labels: Record<string, string>): KubeObject {
  const selector = podSelector(o);
  const istio = o.controller === 'istio-gateway';
  const podLabels = { ...selector, ...(istio ? { istio: 'ingressgateway', 'sidecar.istio.io/inject': 'true' } : {}) };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: controllerName(o.name), namespace: o.namespace, labels },
    spec: {
      selector: { matchLabels: selector },
      // One node at a time, and a node keeps its old pod until the new one is ready elsewhere.
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      minReadySeconds: 5,
      template: {
        metadata: { labels: podLabels, ...(istio ? { annotations: { 'inject.istio.io/templates': 'gateway' } } : {}) },
        spec: {
          serviceAccountName: o.name,
          nodeSelector: { [INGRESS_LABEL]: INGRESS_LABEL_VALUE, 'kubernetes.io/os': 'linux' },
          ...(o.exclusive ? { tolerations: [{ key: INGRESS_TAINT.key, operator: 'Equal', value: INGRESS_TAINT.value, effect: INGRESS_TAINT.effect }] } : {}),
          // One pod a node already; this keeps the zones balanced when nodes are added unevenly.
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE_LABEL, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } }],
          terminationGracePeriodSeconds: istio ? 30 : 300,
          // The gateway binds 80 and 443 without root.
          ...(istio ? { securityContext: { sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] } } : {}),
          containers: [istio ? istioContainer(o) : nginxContainer(o)],
        },
      },
    },
  };
}

export function podDisruptionBudget(o: IngressOptions, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: controllerName(o.name), namespace: o.namespace, labels },
    // A whole number: for a DaemonSet the disruption controller cannot work out percentages or maxUnavailable.
    spec: { minAvailable: o.minAvailable, selector: { matchLabels: podSelector(o) } },
  };
}

// The objects the status benches create: n of each kind in one namespace, with no pods to run.
// Shared by the one-shot benches (canary-status, bluegreen-status) and the -w request count (watch-requests).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../test/harness/binaries.js';

type Obj = Record<string, unknown>;

/** The seed's canary (new-nginx and old-nginx behind nginx) plus n-2 Deployments with 0 replicas and n-1 Services, as YAML/JSON documents. */
export function canaryObjects(n: number, NS: string): string[] {
  const docs: string[] = [
    readFileSync(join(REPO_ROOT, 'test/playground/scenarios/01-l4-canary.yaml'), 'utf8').replace(/namespace: default/g, `namespace: ${NS}`),
  ];
  for (let i = 0; i < n - 2; i++) {
    const labels = { app: `app-${i}` };
    docs.push(
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: `app-${i}`, namespace: NS, labels },
        spec: { replicas: 0, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
      }),
    );
  }
  for (let i = 0; i < n - 1; i++)
    docs.push(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `svc-${i}`, namespace: NS },
        spec: { selector: { app: `app-${i}` }, ports: [{ port: 80 }] },
      }),
    );
  return docs;
}

/**
 * n Ingresses (a tenth split by Alibaba weight annotations, a fifth pairs of an ingress-nginx Ingress
 * and its canary companion, the rest plain), a Service behind each backend and an EndpointSlice with
 * ready endpoints for each Service, and the IngressClass.
 */
export function blueGreenObjects(n: number, NS: string): { objects: Obj[]; ingresses: number; services: number } {
  const ingresses: Obj[] = [];
  const services: string[] = [];
  const ingress = (name: string, backends: string[], annotations: Record<string, string> = {}): Obj => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: NS, annotations },
    spec: {
      ingressClassName: 'nginx',
      rules: [
        {
          host: `${name}.example.com`,
          http: { paths: backends.map((s) => ({ path: '/', pathType: 'Prefix', backend: { service: { name: s, port: { number: 80 } } } })) },
        },
      ],
    },
  });
  // Blocks of ten Ingresses: one Alibaba split, one nginx main Ingress with its canary companion, seven plain.
  for (let b = 0; ingresses.length < n; b++) {
    const app = (k: number) => `app-${b * 10 + k}`;
    const [blue, green] = [`${app(0)}-blue`, `${app(0)}-green`];
    ingresses.push(ingress(app(0), [blue, green], { [`ingress.aliyun.weight/${green}`]: '20' }));
    services.push(blue, green);
    if (ingresses.length >= n) break;
    const [old, neu] = [`${app(1)}-blue`, `${app(1)}-green`];
    ingresses.push(ingress(app(1), [old]));
    services.push(old, neu);
    if (ingresses.length < n) {
      const companion = ingress(app(1), [neu], { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '30' });
      (companion['metadata'] as Obj)['name'] = `${app(1)}-canary`;
      ingresses.push(companion);
    }
    for (let k = 3; k < 10 && ingresses.length < n; k++) {
      ingresses.push(ingress(app(k), [app(k)]));
      services.push(app(k));
    }
  }
  // Services without a selector and an EndpointSlice of two ready endpoints each (no pods to run).
  const objects: Obj[] = [
    { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } },
    ...ingresses,
    ...services.map((name) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec: { ports: [{ port: 80 }] } })),
    ...services.map((name, i) => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-1`, namespace: NS, labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'bench' } },
      addressType: 'IPv4',
      ports: [{ port: 80, protocol: 'TCP' }],
      endpoints: [1, 2].map((k) => ({ addresses: [`10.${(i >> 8) & 255}.${i & 255}.${k}`], conditions: { ready: true } })),
    })),
  ];
  return { objects, ingresses: ingresses.length, services: services.length };
}

// `kubectl bluegreen status` on a namespace with 2,000 Ingresses (a tenth split by Alibaba weight
// annotations, a fifth pairs of an ingress-nginx Ingress and its canary companion, the rest plain), a
// Service behind each backend and an EndpointSlice with ready endpoints for each Service; side by side
// with `kubectl get ingress,svc,endpointslices -o json` (what a person would read instead) in one run.
//   node build/bench/bluegreen-status.js [--objects N] [--runs N]
import { join } from 'node:path';
import { startCluster } from '../test/harness/cluster.js';
import { REPO_ROOT, bin } from '../test/harness/binaries.js';
import { sideBySide, withBaseline } from './side-by-side.js';

const argv = process.argv.slice(2);
const n = Number(argv[argv.indexOf('--objects') + 1]) || 2000;
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 7;
const NS = 'bulk';

type Obj = Record<string, unknown>;
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

const cluster = await startCluster({ name: 'bench-bluegreen', istio: false });
try {
  await cluster.kubectl(['create', 'namespace', NS]);
  for (let i = 0; i < objects.length; i += 500) await cluster.apply(objects.slice(i, i + 500));
  const plugin = join(REPO_ROOT, 'dist', 'bin', 'kubectl-bluegreen');
  const flags = ['-n', NS, '--kubeconfig', cluster.kubeconfig];
  sideBySide(
    `${ingresses.length} Ingresses, ${services.length} Services and as many EndpointSlices in one namespace`,
    withBaseline(
      [
        { name: 'kubectl get ingress,svc,endpointslices -o json', cmd: bin('kubectl'), args: ['get', 'ingress,svc,endpointslices', '-o', 'json', ...flags] },
        { name: 'kubectl-bluegreen status', cmd: plugin, args: ['status', ...flags] },
        { name: 'kubectl-bluegreen status -o json', cmd: plugin, args: ['status', '-o', 'json', ...flags] },
      ],
      argv,
      join(REPO_ROOT, 'dist', 'bin'),
    ),
    runs,
  );
} finally {
  await cluster.stop();
}

// `kubectl bluegreen status` on a namespace with 2,000 Ingresses (a tenth split by Alibaba weight
// annotations, a fifth pairs of an ingress-nginx Ingress and its canary companion, the rest plain), a
// Service behind each backend and an EndpointSlice with ready endpoints for each Service; side by side
// with `kubectl get ingress,svc,endpointslices -o json` (what a person would read instead) in one run.
//   node build/bench/bluegreen-status.js [--objects N] [--runs N] [--baseline <another build's dist/bin>] [--keep <dir>]
import { join } from 'node:path';
import { REPO_ROOT, bin } from '../test/harness/binaries.js';
import { sideBySide, withBaseline } from './side-by-side.js';
import { blueGreenObjects } from './bulk-objects.js';
import { applyAll, benchCluster } from './bench-cluster.js';

const argv = process.argv.slice(2);
const n = Number(argv[argv.indexOf('--objects') + 1]) || 2000;
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 7;
const NS = 'bulk';

const { objects, ingresses, services } = blueGreenObjects(n, NS);

const { cluster, stop } = await benchCluster(argv, { name: 'bench-bluegreen', istio: false }, async (c) => {
  await c.kubectl(['create', 'namespace', NS]);
  await applyAll(c, objects);
});
try {
  const plugin = join(REPO_ROOT, 'dist', 'bin', 'kubectl-bluegreen');
  const flags = ['-n', NS, '--kubeconfig', cluster.kubeconfig];
  sideBySide(
    `${ingresses} Ingresses, ${services} Services and as many EndpointSlices in one namespace`,
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
  await stop();
}

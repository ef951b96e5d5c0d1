// kubectl ingress-ha on the real control plane (seed 001 chapter 3): nodes in two zones, the
// controller DaemonSet only on labelled nodes, idempotent deploys, dry runs, and check flagging each
// rule it is built to catch when the test breaks that rule.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../harness/binaries.js';
import { startCluster, until, type Cluster } from '../harness/cluster.js';

const NS = 'kube-system';
const DS = 'ingress-nginx-controller';
const SELECTOR = 'app.kubernetes.io/name=ingress-nginx,app.kubernetes.io/instance=ingress-nginx,app.kubernetes.io/component=controller';

function ha(c: Cluster, args: string[]) {
  return execa(join(REPO_ROOT, 'dist', 'bin', 'kubectl-ingress_ha'), [...args, '--kubeconfig', c.kubeconfig], {
    reject: false,
    stdin: 'ignore',
    env: { NO_COLOR: '1', PATH: process.env['PATH'] ?? '' },
    extendEnv: false,
  });
}

interface PodList {
  items: { metadata: { name: string }; spec: { nodeName?: string }; status: { conditions?: { type: string; status: string }[] } }[];
}

/** node -> Ready controller pod count. */
async function controllerPods(c: Cluster): Promise<Record<string, boolean>> {
  const list = JSON.parse((await c.kubectl(['-n', NS, 'get', 'pods', '-l', SELECTOR, '-o', 'json'])).stdout) as PodList;
  return Object.fromEntries(
    list.items.map((p) => [p.spec.nodeName ?? '', p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false]),
  );
}

async function verdicts(c: Cluster): Promise<{ code: number; rules: Record<string, { status: string; reason: string; fix: string }> }> {
  const r = await ha(c, ['check', '-n', NS, '-o', 'json']);
  assert.equal(r.stderr, '');
  const doc = JSON.parse(r.stdout) as { items: { rule: string; status: string; reason: string; fix: string }[] };
  return { code: r.exitCode ?? -1, rules: Object.fromEntries(doc.items.map((v) => [v.rule, v])) };
}

describe('kubectl ingress-ha (nodes, deploy, check, status)', function () {
  this.timeout(180_000);
  let c: Cluster;

  before(async () => {
    // A cluster of its own: these tests label and taint nodes, which would disturb other suites' pods.
    c = await startCluster({
      name: 'ingress-ha',
      istio: false,
      nodes: [
        { name: 'ing-a1', zone: 'zone-a' },
        { name: 'ing-a2', zone: 'zone-a' },
        { name: 'ing-b1', zone: 'zone-b' },
        { name: 'ing-b2', zone: 'zone-b' },
      ],
    });
  });
  after(async () => {
    await c?.stop();
  });

  it('deploy refuses while no node is labelled, naming the nodes add command to run', async () => {
    const r = await ha(c, ['deploy', '-n', NS]);
    assert.equal(r.exitCode, 1);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr.split('\n').at(-1),
      'error: no node is labelled node-role.kubernetes.io/ingress=true, so the controller would run nowhere; label two or more first (one per zone): kubectl ingress-ha nodes add ing-a1 ing-b1',
    );
  });

  it('bad input is one line: unknown node, unknown cloud, missing namespace', async () => {
    const node = await ha(c, ['nodes', 'add', 'ing-a1', 'nope']);
    assert.deepEqual([node.exitCode, node.stdout, node.stderr], [1, '', 'error: node "nope" not found (kubectl get nodes lists them)']);
    const cloud = await ha(c, ['deploy', '-n', NS, '--cloud', 'ibm']);
    assert.deepEqual([cloud.exitCode, cloud.stdout, cloud.stderr], [2, '', 'error: unknown cloud "ibm": use one of alibaba, aws, azure, gcp, none']);
    const ns = await ha(c, ['deploy', '-n', 'missing']);
    assert.deepEqual(
      [ns.exitCode, ns.stdout, ns.stderr],
      [1, '', 'error: namespace "missing" not found; create it first (kubectl create namespace missing) or choose another with -n'],
    );
    const labels = (await c.kubectl(['get', 'nodes', '-l', 'node-role.kubernetes.io/ingress', '-o', 'name'])).stdout;
    assert.equal(labels, '', 'nothing was labelled');
  });

  it('nodes add labels nodes in both zones; a second add says unchanged', async () => {
    const r = await ha(c, ['nodes', 'add', 'ing-a1', 'ing-b1']);
    assert.equal(r.exitCode, 0, r.stderr);
    // (execa drops the last newline.)
    assert.equal(r.stdout, 'node/ing-a1 labeled\nnode/ing-b1 labeled');
    const again = await ha(c, ['nodes', 'add', 'ing-a1']);
    assert.equal(again.stdout, 'node/ing-a1 unchanged (already an ingress node)');
    assert.equal(again.stderr, '', 'two ingress nodes: no warning');
  });

  it('deploy: pods only on the labelled nodes, all Ready; a second run changes nothing and says so', async () => {
    const r = await ha(c, ['deploy', '-n', NS, '--cloud', 'alibaba', '--timeout', '90s', '-v']);
    assert.equal(r.exitCode, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 12);
    assert.ok(
      lines.every((l) => l.endsWith(' created')),
      r.stdout,
    );
    assert.match(r.stderr, /^Warning: ingress-nginx is end-of-life since March 2026/);
    assert.deepEqual(await controllerPods(c), { 'ing-a1': true, 'ing-b1': true });

    const again = await ha(c, ['deploy', '-n', NS, '--cloud', 'alibaba', '-v']);
    assert.equal(again.exitCode, 0, again.stderr);
    assert.deepEqual(
      again.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' ').slice(1).join(' ')),
      Array(12).fill('unchanged'),
    );
    // One read and one (no-op) apply per object, plus the namespace, two lists and the readiness check;
    // the controller's lock (a Lease created and deleted) around the applies.
    assert.match(again.stderr, /\(get 1[34], list 2, create 1, patch 12, delete 1\)/);
    const chk = await ha(c, ['check', '-n', NS, '-v']);
    assert.equal(chk.exitCode, 0, chk.stdout);
    assert.match(chk.stdout, /\n13 passed, 0 warned, 0 failed$/);
    // Nodes, DaemonSets, PDBs, Services and the controller's pods: one list each, whatever the sizes.
    assert.match(chk.stderr, /^I: 5 API requests to \S+ \(list 5\)$/);
  });

  it('adding a node adds a controller pod on it; nodes list and status show it', async () => {
    // Taking every ingress node away would stop the whole ingress layer: refused without --force.
    const last = await ha(c, ['nodes', 'remove', 'ing-a1', 'ing-b1']);
    assert.deepEqual([last.exitCode, last.stdout], [1, '']);
    assert.equal(
      last.stderr,
      'error: removing ing-a1, ing-b1 would leave no ingress node, so no controller pod would serve; add other nodes first (kubectl ingress-ha nodes add <node>...), or pass --force',
    );
    const r = await ha(c, ['nodes', 'add', 'ing-a2']);
    assert.equal(r.exitCode, 0, r.stderr);
    await until('a Ready controller pod on ing-a2', async () => (await controllerPods(c))['ing-a2'] === true, 30_000);
    assert.deepEqual(Object.keys(await controllerPods(c)).sort(), ['ing-a1', 'ing-a2', 'ing-b1']);
    const list = await ha(c, ['nodes', 'list']);
    assert.match(
      list.stdout,
      /^NODE +ZONE +STATUS +EXCLUSIVE +CONTROLLER +POD-READY\ning-a1 +zone-a +Ready +no +kube-system\/ingress-nginx-controller-\w+ +true\ning-a2 .*\ning-b1 +zone-b .*true$/,
    );
    const status = JSON.parse((await ha(c, ['status', '-n', NS, '-o', 'json'])).stdout) as {
      controller: { daemonSet: string; desired: number; ready: number };
      nodes: { node: string; zone: string; podReady: boolean }[];
      service: { name: string; externalAddresses: string[]; nodeSelection: string };
    };
    assert.deepEqual([status.controller.daemonSet, status.controller.desired, status.controller.ready], [DS, 3, 3]);
    assert.deepEqual(
      status.nodes.map((n) => `${n.node}/${n.zone}/${n.podReady}`),
      ['ing-a1/zone-a/true', 'ing-a2/zone-a/true', 'ing-b1/zone-b/true'],
    );
    assert.deepEqual(status.service, {
      name: DS,
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      externalAddresses: [],
      nodeSelection: 'node-role.kubernetes.io/ingress=true via service.beta.kubernetes.io/alibaba-cloud-loadbalancer-backend-label',
    });
  });

  it('--dry-run=client prints every object; --dry-run=server validates a change without making it', async () => {
    const client = await ha(c, ['deploy', '-n', NS, '--dry-run=client', '--cloud', 'aws']);
    assert.equal(client.exitCode, 0, client.stderr);
    const kinds = [...client.stdout.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]);
    assert.deepEqual(kinds, [
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'ConfigMap',
      'ConfigMap',
      'ConfigMap',
      'IngressClass',
      'DaemonSet',
      'PodDisruptionBudget',
      'Service',
    ]);
    assert.match(client.stdout, /service\.beta\.kubernetes\.io\/aws-load-balancer-target-node-labels: node-role\.kubernetes\.io\/ingress=true/);
    const server = await ha(c, ['deploy', '-n', NS, '--dry-run=server', '--image', 'registry.k8s.io/ingress-nginx/controller:v1.13.2']);
    assert.equal(server.exitCode, 0, server.stderr);
    assert.match(server.stdout, /^daemonset\.apps\/ingress-nginx-controller configured \(server dry run\)$/m);
    assert.match(server.stdout, /^serviceaccount\/ingress-nginx unchanged \(server dry run\)$/m);
    const image = (await c.kubectl(['-n', NS, 'get', 'ds', DS, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).stdout;
    assert.equal(image, 'registry.k8s.io/ingress-nginx/controller:v1.13.3', 'nothing persisted');
  });

  it('changing --cloud updates the Service in place (same UID)', async () => {
    const uid = () => c.kubectl(['-n', NS, 'get', 'svc', DS, '-o', 'jsonpath={.metadata.uid} {.metadata.annotations}']).then((r) => r.stdout);
    const before = (await uid()).split(' ')[0];
    const r = await ha(c, ['deploy', '-n', NS, '--cloud', 'aws']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^service\/ingress-nginx-controller configured$/m);
    assert.match(r.stdout, /^daemonset\.apps\/ingress-nginx-controller unchanged$/m);
    const [after, annotations] = (await uid()).split(' ');
    assert.equal(after, before);
    assert.deepEqual(JSON.parse(annotations), { 'service.beta.kubernetes.io/aws-load-balancer-target-node-labels': 'node-role.kubernetes.io/ingress=true' });
  });

  it('--controller istio-gateway: the gateway DaemonSet on the ingress nodes, probed on 15021, and check passes', async () => {
    const ns = 'istio-ingress';
    await c.kubectl(['create', 'namespace', ns]);
    try {
      const r = await ha(c, ['deploy', '-n', ns, '--controller', 'istio-gateway', '--cloud', 'aws', '--timeout', '60s']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stderr.includes('end-of-life'), false);
      // No istiod here: the warning says the image "auto" will not be filled in (kwok runs the pods anyway).
      assert.match(
        r.stderr,
        /^Warning: no Istio sidecar injector in this cluster \(no istio-sidecar-injector webhook\): the gateway's image "auto" is filled in by istiod, so install Istio first or pass --image$/m,
      );
      assert.deepEqual(
        r.stdout.split('\n').map((l) => l.split(' ')[0]),
        [
          'serviceaccount/istio-ingressgateway',
          'role.rbac.authorization.k8s.io/istio-ingressgateway',
          'rolebinding.rbac.authorization.k8s.io/istio-ingressgateway',
          'ingressclass.networking.k8s.io/istio',
          'daemonset.apps/istio-ingressgateway-controller',
          'poddisruptionbudget.policy/istio-ingressgateway-controller',
          'service/istio-ingressgateway-controller',
        ],
      );
      const probe = (
        await c.kubectl(['-n', ns, 'get', 'ds', 'istio-ingressgateway-controller', '-o', 'jsonpath={.spec.template.spec.containers[0].readinessProbe.httpGet}'])
      ).stdout;
      assert.deepEqual(JSON.parse(probe), { path: '/healthz/ready', port: 15021, scheme: 'HTTP' });
      const pods = JSON.parse((await c.kubectl(['-n', ns, 'get', 'pods', '-o', 'json'])).stdout) as PodList;
      assert.deepEqual(pods.items.map((p) => p.spec.nodeName).sort(), ['ing-a1', 'ing-a2', 'ing-b1']);
      const chk = await ha(c, ['check', '-n', ns]);
      assert.equal(chk.exitCode, 0, chk.stdout);
    } finally {
      await c.kubectl(['delete', 'namespace', ns, '--wait=false']);
    }
  });

  describe('check flags each broken rule (and the fix)', () => {
    const ALSO: Record<string, string[]> = { 'ingress-nodes': ['zone-spread'], 'pods-placement': ['daemonset'] };
    const restore = () => ha(c, ['deploy', '-n', NS, '--cloud', 'aws', '--timeout', '60s']);
    // what is broken, how, the rule and verdict expected, the reason, how to repair; other rules that may
    // follow from the same break are listed in ALSO.
    const cases: [string, () => Promise<unknown>, string, string, RegExp, () => Promise<unknown>][] = [
      [
        'Service with externalTrafficPolicy Cluster',
        () => c.kubectl(['-n', NS, 'patch', 'svc', DS, '-p', '{"spec":{"externalTrafficPolicy":"Cluster"}}']),
        'service-policy',
        'FAIL',
        /externalTrafficPolicy Cluster/,
        restore,
      ],
      [
        'node-selection annotation naming another label',
        () => c.kubectl(['-n', NS, 'annotate', 'svc', DS, '--overwrite', 'service.beta.kubernetes.io/aws-load-balancer-target-node-labels=pool=web']),
        'service-node-selection',
        'FAIL',
        /="pool=web", not node-role/,
        restore,
      ],
      [
        'Service turned into a NodePort',
        () => c.kubectl(['-n', NS, 'patch', 'svc', DS, '-p', '{"spec":{"type":"NodePort"}}']),
        'service-type',
        'FAIL',
        /is of type NodePort/,
        restore,
      ],
      ['PDB deleted', () => c.kubectl(['-n', NS, 'delete', 'pdb', DS]), 'pdb', 'WARN', /no PodDisruptionBudget covers/, restore],
      [
        'readiness probe removed',
        () => c.kubectl(['-n', NS, 'patch', 'ds', DS, '--type', 'json', '-p', '[{"op":"remove","path":"/spec/template/spec/containers/0/readinessProbe"}]']),
        'probes',
        'FAIL',
        /lacks probes: controller \(readiness\)/,
        restore,
      ],
      [
        'DaemonSet unpinned: pods on every node',
        async () => {
          await c.kubectl([
            '-n',
            NS,
            'patch',
            'ds',
            DS,
            '--type',
            'json',
            '-p',
            '[{"op":"remove","path":"/spec/template/spec/nodeSelector/node-role.kubernetes.io~1ingress"}]',
          ]);
          await until('a controller pod on ing-b2', async () => (await controllerPods(c))['ing-b2'] !== undefined, 30_000);
        },
        'pods-placement',
        'FAIL',
        /controller pods off the ingress nodes: ingress-nginx-controller-\w+ on ing-b2/,
        async () => {
          await restore();
          await until('no controller pod on ing-b2', async () => (await controllerPods(c))['ing-b2'] === undefined, 30_000);
        },
      ],
      [
        'an ingress node with a taint the controller does not tolerate',
        async () => {
          await c.kubectl(['taint', 'node', 'ing-b1', 'maintenance=true:NoExecute']);
          await until('the pod on ing-b1 to go', async () => (await controllerPods(c))['ing-b1'] === undefined, 30_000);
        },
        'pods-ready',
        'FAIL',
        /no Ready controller pod on ing-b1/,
        () => c.kubectl(['taint', 'node', 'ing-b1', 'maintenance-']),
      ],
      [
        'ingress nodes all in one zone',
        () => ha(c, ['nodes', 'remove', 'ing-b1']),
        'zone-spread',
        'FAIL',
        /ingress nodes are all in zone zone-a while the cluster spans 2 zones/,
        () => ha(c, ['nodes', 'add', 'ing-b1']),
      ],
      [
        'a single ingress node',
        () => ha(c, ['nodes', 'remove', 'ing-a2', 'ing-b1']),
        'ingress-nodes',
        'FAIL',
        /only ing-a1 is an ingress node/,
        () => ha(c, ['nodes', 'add', 'ing-a2', 'ing-b1']),
      ],
      [
        'a control-plane node carrying ingress',
        () => c.kubectl(['label', 'node', 'ing-a2', 'node-role.kubernetes.io/control-plane=']),
        'control-plane',
        'WARN',
        /control-plane nodes carry ingress traffic: ing-a2/,
        () => c.kubectl(['label', 'node', 'ing-a2', 'node-role.kubernetes.io/control-plane-']),
      ],
      [
        'an ordinary pod on an exclusive ingress node',
        async () => {
          await c.kubectl(['create', 'namespace', 'shop']);
          await c.kubectl(['-n', 'shop', 'run', 'web', '--image=nginx', '--overrides={"spec":{"nodeName":"ing-a1"}}']);
          await ha(c, ['nodes', 'add', 'ing-a1', 'ing-a2', 'ing-b1', '--exclusive']);
        },
        'exclusive-nodes',
        'WARN',
        /ordinary pods on exclusive ingress nodes: shop\/web on ing-a1/,
        () => c.kubectl(['delete', 'namespace', 'shop', '--wait=false']),
      ],
    ];
    for (const [what, breakIt, rule, status, reason, fixIt] of cases) {
      it(`${what}: ${rule} ${status}`, async () => {
        await breakIt();
        try {
          const v = await verdicts(c);
          assert.equal(v.rules[rule]?.status, status, JSON.stringify(v.rules[rule]));
          assert.match(v.rules[rule].reason, reason);
          assert.notEqual(v.rules[rule].fix, '');
          assert.equal(v.code, status === 'FAIL' ? 3 : 0);
          // The PDB's minAvailable follows the node count at deploy time, so it may warn when nodes go.
          const allowed = new Set([rule, 'pdb', ...(ALSO[rule] ?? [])]);
          const others = Object.entries(v.rules).filter(([k, x]) => x.status !== 'PASS' && !allowed.has(k));
          assert.deepEqual(others, [], 'only the broken rule changes');
        } finally {
          await fixIt();
        }
        await until('check to pass again', async () => (await verdicts(c)).code === 0, 60_000);
      });
    }
  });
});

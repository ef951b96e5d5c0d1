// deploy --adopt on the real control plane: the seed's nginx-ingress-controller Deployment behind the
// nginx-ingress-lb LoadBalancer Service is replaced by the DaemonSet with the Service kept (same UID)
// and, watched all along, never without a Ready controller pod or a ready endpoint.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../harness/binaries.js';
import { startCluster, type Cluster } from '../harness/cluster.js';
import { loadKubeconfig } from '../../shared/kube/kubeconfig.js';
import { Kube } from '../../shared/kube/client.js';
import { type KubeObject } from '../../shared/kube/object.js';

const OLD = 'nginx-ingress-controller';
const LB = 'nginx-ingress-lb';

function ha(c: Cluster, ns: string, args: string[]) {
  return execa(join(REPO_ROOT, 'dist', 'bin', 'kubectl-ingress_ha'), [...args, '-n', ns, '--kubeconfig', c.kubeconfig], {
    reject: false,
    stdin: 'ignore',
    env: { NO_COLOR: '1', PATH: process.env['PATH'] ?? '' },
    extendEnv: false,
  });
}

/** The controller of seed 001 chapter 3 before the migration: a Deployment and its LoadBalancer Service. */
function legacy(ns: string): object[] {
  const labels = { app: 'ingress-nginx' };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: OLD, namespace: ns, labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'nginx-ingress-controller',
                image: 'registry.cn-hangzhou.aliyuncs.com/acs/aliyun-ingress-controller:aliyun-nginx-0.9.0-beta.19.2',
                ports: [
                  { name: 'http', containerPort: 80 },
                  { name: 'https', containerPort: 443 },
                ],
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: LB, namespace: ns, labels: { app: LB } },
      spec: {
        type: 'LoadBalancer',
        selector: labels,
        ports: [
          { name: 'http', port: 80, targetPort: 80 },
          { name: 'https', port: 443, targetPort: 443 },
        ],
      },
    },
  ];
}

interface Sample {
  readyPods: number;
  readyEndpoints: number;
  uid: string;
}

type PodItem = KubeObject & { status?: { conditions?: { type: string; status: string }[] } };
type SliceItem = KubeObject & { endpoints?: { conditions?: { ready?: boolean } }[] | null };

/** Poll (every 50 ms) Ready controller pods, old or new, the Service's ready endpoints and its UID. */
function watch(kube: Kube, ns: string): { stop: () => Promise<Sample[]> } {
  const samples: Sample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const [pods, slices, svc] = await Promise.all([
        kube.list<PodItem>('v1', 'Pod', { namespace: ns }),
        kube.list<SliceItem>('discovery.k8s.io/v1', 'EndpointSlice', { namespace: ns, labelSelector: `kubernetes.io/service-name=${LB}` }),
        kube.get({ apiVersion: 'v1', kind: 'Service', name: LB, namespace: ns }),
      ]);
      const controller = pods.filter(
        (p) => p.metadata?.labels?.['app'] === 'ingress-nginx' || p.metadata?.labels?.['app.kubernetes.io/name'] === 'ingress-nginx',
      );
      samples.push({
        readyPods: controller.filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'))
          .length,
        readyEndpoints: slices.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length,
        uid: svc.metadata?.uid ?? '',
      });
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}

describe('kubectl ingress-ha deploy --adopt', function () {
  this.timeout(180_000);
  let c: Cluster;
  let kube: Kube;

  before(async () => {
    c = await startCluster({
      name: 'ingress-ha-adopt',
      istio: false,
      nodes: [
        { name: 'ad-a1', zone: 'zone-a', labels: { 'node-role.kubernetes.io/ingress': 'true' } },
        { name: 'ad-a2', zone: 'zone-a' },
        { name: 'ad-b1', zone: 'zone-b', labels: { 'node-role.kubernetes.io/ingress': 'true' } },
        { name: 'ad-b2', zone: 'zone-b' },
      ],
    });
    kube = new Kube(loadKubeconfig({ kubeconfig: c.kubeconfig }, {}), 'test-watch');
  });
  after(async () => {
    kube?.close();
    await c?.stop();
  });

  async function setUp(ns: string): Promise<string> {
    await c.apply(legacy(ns));
    await c.kubectl(['-n', ns, 'rollout', 'status', `deployment/${OLD}`, '--timeout=60s']);
    return (await c.kubectl(['-n', ns, 'get', 'svc', LB, '-o', 'jsonpath={.metadata.uid}'])).stdout;
  }

  it('switches without downtime: the Service keeps its UID, a Ready controller and a ready endpoint throughout', async () => {
    const ns = 'legacy';
    const uid = await setUp(ns);
    // The EndpointSlice controller lists the old pods before the switch starts.
    for (let i = 0; i < 100; i++) {
      const [s] = await kube.list<SliceItem>('discovery.k8s.io/v1', 'EndpointSlice', { namespace: ns, labelSelector: `kubernetes.io/service-name=${LB}` });
      if ((s?.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const w = watch(kube, ns);
    const r = await ha(c, ns, ['deploy', '--adopt', OLD, '--cloud', 'alibaba', '--timeout', '90s']);
    // Let the old pods finish terminating while still watching.
    await new Promise((res) => setTimeout(res, 1500));
    const samples = await w.stop();
    assert.equal(r.exitCode, 0, r.stderr);
    const lines = r.stdout.split('\n');
    // The Service switched to the new pods first (policy kept), then set to Local, then the old controller deleted.
    assert.deepEqual(lines.slice(-4), [
      'poddisruptionbudget.policy/ingress-nginx-controller created',
      `service/${LB} configured`,
      `service/${LB} configured`,
      `deployment.apps/${OLD} deleted`,
    ]);
    assert.ok(samples.length > 20, `${samples.length} samples`);
    assert.deepEqual([...new Set(samples.map((s) => s.uid))], [uid], 'the Service was never recreated');
    assert.ok(Math.min(...samples.map((s) => s.readyPods)) >= 1, `Ready controller pods: ${samples.map((s) => s.readyPods).join(' ')}`);
    assert.ok(Math.min(...samples.map((s) => s.readyEndpoints)) >= 1, `ready endpoints: ${samples.map((s) => s.readyEndpoints).join(' ')}`);
    assert.ok(Math.max(...samples.map((s) => s.readyPods)) >= 4, 'old and new pods overlapped');

    const svc = JSON.parse((await c.kubectl(['-n', ns, 'get', 'svc', LB, '-o', 'json'])).stdout) as {
      spec: { selector: Record<string, string>; externalTrafficPolicy: string };
      metadata: { annotations: Record<string, string> };
    };
    assert.deepEqual(svc.spec.selector, {
      'app.kubernetes.io/name': 'ingress-nginx',
      'app.kubernetes.io/instance': 'ingress-nginx',
      'app.kubernetes.io/component': 'controller',
    });
    assert.equal(svc.spec.externalTrafficPolicy, 'Local');
    assert.equal(svc.metadata.annotations['service.beta.kubernetes.io/alibaba-cloud-loadbalancer-backend-label'], 'node-role.kubernetes.io/ingress=true');
    assert.equal(svc.metadata.annotations['traffic.kubectl-plugins.io/previous-selector'], '{"app":"ingress-nginx"}');
    assert.equal((await c.kubectl(['-n', ns, 'get', 'deploy', OLD], { reject: false })).exitCode, 1, 'the old Deployment is gone');

    const check = await ha(c, ns, ['check']);
    assert.equal(check.exitCode, 0, check.stdout);
    // Run again: the adoption is recorded, nothing changes.
    const again = await ha(c, ns, ['deploy', '--adopt', OLD, '--cloud', 'alibaba']);
    assert.equal(again.exitCode, 0, again.stderr);
    assert.ok(
      again.stdout.split('\n').every((l) => l.endsWith(' unchanged')),
      again.stdout,
    );
    assert.match(again.stderr, new RegExp(`deployment.apps/${OLD} was adopted already \\(service/${LB} records it\\); applying the rest`));
  });

  it('a failure before the switch leaves the old controller serving and says how to go on; the rerun finishes', async () => {
    const ns = 'legacy-stuck';
    const uid = await setUp(ns);
    for (const [args, message] of [
      [['--adopt', 'nope'], `error: deployment "nope" not found in namespace "${ns}"`],
      [['--adopt', OLD, '--service', 'nope'], `error: service "nope" not found in namespace "${ns}"; --adopt keeps an existing Service`],
    ] as const) {
      const bad = await ha(c, ns, ['deploy', ...args]);
      assert.deepEqual([bad.exitCode, bad.stdout, bad.stderr.split('\n').at(-1)], [1, '', message]);
    }
    // The new DaemonSet cannot run on ad-b1 while this taint is there.
    await c.kubectl(['taint', 'node', 'ad-b1', 'maintenance=true:NoSchedule']);
    try {
      const r = await ha(c, ns, ['deploy', '--adopt', OLD, '--ingress-class', 'stuck', '--timeout', '4s']);
      assert.equal(r.exitCode, 1);
      const error = r.stderr.split('\n').at(-1)!;
      assert.match(error, /^error: timed out after 4s waiting for daemonset\.apps\/ingress-nginx-controller to run on every ingress node: /);
      assert.match(
        error,
        new RegExp(
          // The command to go on is the one typed, every flag kept (issue 11: it dropped them).
          `; deployment\\.apps/${OLD} still serves service/${LB}, which is unchanged; to finish it: kubectl ingress-ha deploy --adopt ${OLD} --ingress-class stuck --timeout 4s -n ${ns} --kubeconfig \\S+; ` +
            `to undo it: kubectl -n ${ns} patch service ${LB} .* && kubectl -n ${ns} delete daemonset\\.apps/ingress-nginx-controller$`,
        ),
      );
      const svc = (await c.kubectl(['-n', ns, 'get', 'svc', LB, '-o', 'jsonpath={.metadata.uid} {.spec.selector}'])).stdout;
      assert.equal(svc, `${uid} {"app":"ingress-nginx"}`);
      assert.equal((await c.kubectl(['-n', ns, 'get', 'deploy', OLD, '-o', 'jsonpath={.status.readyReplicas}'])).stdout, '2');
    } finally {
      await c.kubectl(['taint', 'node', 'ad-b1', 'maintenance-']);
    }
    const rerun = await ha(c, ns, ['deploy', '--adopt', OLD, '--ingress-class', 'stuck', '--timeout', '60s']);
    assert.equal(rerun.exitCode, 0, rerun.stderr);
    assert.match(rerun.stdout, new RegExp(`\nservice/${LB} configured\n(service/${LB} (configured|unchanged)\n)?deployment.apps/${OLD} deleted$`));
    assert.equal((await c.kubectl(['-n', ns, 'get', 'svc', LB, '-o', 'jsonpath={.metadata.uid}'])).stdout, uid);
  });
});

// What "real" means for the test control plane: controllers, scheduler, kwok, admission, RBAC,
// token issuance and the Istio CRDs all behave as on a cluster.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { sharedCluster } from '../support/fixture.js';
import { until, type Cluster } from '../harness/cluster.js';
import { bin } from '../harness/binaries.js';

async function json<T>(c: Cluster, args: string[]): Promise<T> {
  return JSON.parse((await c.kubectl([...args, '-o', 'json'])).stdout) as T;
}

interface PodList {
  items: { metadata: { name: string }; spec: { nodeName?: string }; status: { podIP?: string; conditions?: { type: string; status: string }[] } }[];
}

const VS = (name: string, extra = '') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: harness}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 90}
    - {destination: {host: reviews, subset: v2}, weight: 10}
${extra}`;

const DR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: harness}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;

describe('test control plane (real apiserver, controllers, scheduler, kwok)', function () {
  this.timeout(120_000);
  let c: Cluster;

  before(async () => {
    c = await sharedCluster();
    await c.kubectl(['create', 'namespace', 'harness']);
  });

  it('starts with Ready nodes carrying the zones and labels asked for, and a Pod CIDR each', async () => {
    const nodes = await json<{ items: { metadata: { name: string; labels: Record<string, string> }; spec: { podCIDR?: string } }[] }>(c, ['get', 'nodes']);
    assert.deepEqual(nodes.items.map((n) => n.metadata.name).sort(), ['node-a1', 'node-a2', 'node-b1']);
    const a1 = nodes.items.find((n) => n.metadata.name === 'node-a1')!;
    assert.equal(a1.metadata.labels['topology.kubernetes.io/zone'], 'zone-a');
    assert.equal(a1.metadata.labels['node-role.kubernetes.io/ingress'], 'true');
    for (const n of nodes.items) assert.ok(n.spec.podCIDR?.startsWith(c.state.podCIDR.split('.').slice(0, 2).join('.')), `podCIDR of ${n.metadata.name}`);
  });

  it('keeps every node healthy with a renewed Lease, as kubelets do (else the node controller marks them NotReady)', async () => {
    const leases = await json<{ items: { metadata: { name: string }; spec: { renewTime?: string } }[] }>(c, ['-n', 'kube-node-lease', 'get', 'leases']);
    assert.deepEqual(leases.items.map((l) => l.metadata.name).sort(), ['node-a1', 'node-a2', 'node-b1']);
    const now = Date.now();
    for (const l of leases.items) assert.ok(now - Date.parse(l.spec.renewTime ?? '') < 40_000, `lease of ${l.metadata.name} renewed recently`);
  });

  it('rolls out a Deployment: pods scheduled on kwok nodes, Ready, with IPs from the Pod CIDR', async () => {
    await c.kubectl(['-n', 'harness', 'create', 'deployment', 'web', '--image=nginx', '--replicas=3']);
    await c.kubectl(['-n', 'harness', 'rollout', 'status', 'deployment/web', '--timeout=60s']);
    const pods = await json<PodList>(c, ['-n', 'harness', 'get', 'pods', '-l', 'app=web']);
    assert.equal(pods.items.length, 3);
    for (const p of pods.items) {
      assert.ok(p.spec.nodeName?.startsWith('node-'), 'scheduled');
      assert.equal(p.status.conditions?.find((x) => x.type === 'Ready')?.status, 'True');
      assert.ok(p.status.podIP?.startsWith(c.state.podCIDR.split('.').slice(0, 2).join('.')), `pod IP ${p.status.podIP}`);
    }
  });

  it('fills EndpointSlices for a Service with the ready pods', async () => {
    await c.kubectl(['-n', 'harness', 'expose', 'deployment', 'web', '--port=80']);
    const pods = await json<PodList>(c, ['-n', 'harness', 'get', 'pods', '-l', 'app=web']);
    const want = pods.items.map((p) => p.status.podIP).sort();
    let got: string[] = [];
    await until(
      'endpointslice for web',
      async () => {
        const s = await json<{ items: { endpoints?: { addresses: string[]; conditions: { ready: boolean } }[] }[] }>(c, [
          '-n',
          'harness',
          'get',
          'endpointslices',
          '-l',
          'kubernetes.io/service-name=web',
        ]);
        got = s.items
          .flatMap((i) => i.endpoints ?? [])
          .filter((e) => e.conditions.ready)
          .flatMap((e) => e.addresses)
          .sort();
        return got.length === want.length;
      },
      30_000,
    );
    assert.deepEqual(got, want);
    const svc = await json<{ spec: { clusterIP: string } }>(c, ['-n', 'harness', 'get', 'service', 'web']);
    assert.ok(svc.spec.clusterIP.startsWith(c.state.serviceCIDR.split('.').slice(0, 2).join('.')), 'cluster IP from the Service CIDR');
  });

  it('places one DaemonSet pod on each node matching its selector', async () => {
    await c.apply([
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'edge', namespace: 'harness' },
        spec: {
          selector: { matchLabels: { app: 'edge' } },
          template: {
            metadata: { labels: { app: 'edge' } },
            spec: { nodeSelector: { 'node-role.kubernetes.io/ingress': 'true' }, containers: [{ name: 'c', image: 'nginx' }] },
          },
        },
      },
    ]);
    await c.kubectl(['-n', 'harness', 'rollout', 'status', 'daemonset/edge', '--timeout=60s']);
    const pods = await json<PodList>(c, ['-n', 'harness', 'get', 'pods', '-l', 'app=edge']);
    assert.deepEqual(pods.items.map((p) => p.spec.nodeName).sort(), ['node-a1', 'node-b1']);
  });

  it('issues tokens: a service-account-token Secret is filled, and TokenRequest works', async () => {
    await c.kubectl(['-n', 'harness', 'create', 'serviceaccount', 'reader']);
    await c.apply([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/service-account-token',
        metadata: { name: 'reader-token', namespace: 'harness', annotations: { 'kubernetes.io/service-account.name': 'reader' } },
      },
    ]);
    let token = '';
    await until(
      'the token controller to fill reader-token',
      async () => {
        token = (await c.kubectl(['-n', 'harness', 'get', 'secret', 'reader-token', '-o', 'jsonpath={.data.token}'])).stdout;
        return token !== '';
      },
      30_000,
    );
    const jwt = Buffer.from(token, 'base64').toString();
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as { sub: string };
    assert.equal(claims.sub, 'system:serviceaccount:harness:reader');
    const requested = (await c.kubectl(['-n', 'harness', 'create', 'token', 'reader', '--duration=10m'])).stdout.trim();
    assert.equal(requested.split('.').length, 3);
    // The token authenticates: the API server says who it is.
    const who = await execa(
      bin('kubectl'),
      [
        '--server',
        c.server,
        '--certificate-authority',
        join(c.state.dir, 'pki', 'ca.crt'),
        '--token',
        requested,
        'auth',
        'whoami',
        '-o',
        'jsonpath={.status.userInfo.username}',
      ],
      { stdin: 'ignore' },
    );
    assert.equal(who.stdout, 'system:serviceaccount:harness:reader');
  });

  it('accepts a VirtualService and DestinationRule, and the CRD schema rejects an invalid one', async () => {
    await c.apply(DR + '---\n' + VS('reviews'));
    const vs = await json<{ spec: { http: unknown[] } }>(c, ['-n', 'harness', 'get', 'virtualservice', 'reviews']);
    assert.equal(vs.spec.http.length, 2);
    const bad = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bad, namespace: harness}
spec:
  hosts: reviews
`;
    const r = await c.kubectl(['apply', '-f', '-'], { input: bad, reject: false });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /spec\.hosts: Invalid value: "string": spec\.hosts in body must be of type array/);
  });

  it('istioctl validate and analyze work on files and against the cluster', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'istio-'));
    writeFileSync(join(dir, 'ok.yaml'), DR + '---\n' + VS('ok'));
    writeFileSync(join(dir, 'bad.yaml'), VS('bad').replace('{exact: jason}', '{regex: "(("}'));
    const istioctl = bin('istioctl');
    const ok = await execa(istioctl, ['validate', '-f', join(dir, 'ok.yaml')], { reject: false, stdin: 'ignore' });
    assert.equal(ok.exitCode, 0, ok.stderr);
    const bad = await execa(istioctl, ['validate', '-f', join(dir, 'bad.yaml')], { reject: false, stdin: 'ignore' });
    assert.notEqual(bad.exitCode, 0);
    assert.match(bad.stderr + bad.stdout, /VirtualService\/harness\/bad: "headers": error parsing regexp: missing closing \)/);
    const offline = await execa(istioctl, ['analyze', '--use-kube=false', join(dir, 'ok.yaml')], { reject: false, stdin: 'ignore' });
    assert.ok([0, 79].includes(offline.exitCode ?? -1), offline.stderr);
    // Against the cluster: a route to a subset no DestinationRule defines is reported (IST0101).
    await c.apply(
      VS('ghost')
        .replace(/subset: v2}}]/, 'subset: v9}}]')
        .replace('hosts: [reviews]', 'hosts: [ghost.example.com]'),
    );
    const live = await execa(istioctl, ['analyze', '--kubeconfig', c.kubeconfig, '-n', 'harness'], { reject: false, stdin: 'ignore' });
    assert.match(live.stdout + live.stderr, /IST0101/);
    assert.match(live.stdout + live.stderr, /v9/);
  });

  it('enforces RBAC: a user without rights is denied, with rights is allowed', async () => {
    const kc = await c.userKubeconfig('mallory', ['developers']);
    const denied = await c.kubectl(['-n', 'harness', 'get', 'pods'], { kubeconfig: kc, reject: false });
    assert.notEqual(denied.exitCode, 0);
    assert.match(denied.stderr, /User "mallory" cannot list resource "pods" in API group "" in the namespace "harness"/);
    await c.kubectl(['-n', 'harness', 'create', 'role', 'pod-reader', '--verb=get,list', '--resource=pods']);
    await c.kubectl(['-n', 'harness', 'create', 'rolebinding', 'devs-read', '--role=pod-reader', '--group=developers']);
    await until(
      'the role binding to apply',
      async () => (await c.kubectl(['-n', 'harness', 'get', 'pods'], { kubeconfig: kc, reject: false })).exitCode === 0,
      10_000,
    );
  });
});

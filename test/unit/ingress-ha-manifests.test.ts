// The ingress-ha manifest builders: golden YAML for each controller and cloud (a change to any object
// shows up as a diff here; UPDATE_GOLDEN=1 rewrites the files), and the properties that matter.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/binaries.js';
import { renderYamlStream } from '../../shared/output/printers.js';
import type { KubeObject } from '../../shared/kube/object.js';
import { buildManifests, NGINX_EOL_WARNING } from '../../plugins/ingress-ha/manifests.js';
import { ingressOptions, type Cloud, type Controller } from '../../plugins/ingress-ha/options.js';

const GOLDEN = join(REPO_ROOT, 'test/unit/golden/ingress-ha');

const build = (controller: Controller, cloud: Cloud, extra: { exclusive?: boolean; serviceName?: string; minAvailable?: number } = {}) =>
  buildManifests(ingressOptions({ namespace: 'kube-system', controller, cloud, plugin: 'ingress-ha', ...extra }));

const find = (objects: KubeObject[], kind: string): KubeObject => {
  const o = objects.find((x) => x.kind === kind);
  assert.ok(o, `no ${kind}`);
  return o;
};

interface PodSpecLike {
  nodeSelector?: Record<string, string>;
  tolerations?: { key: string; value?: string; effect?: string; operator?: string }[];
  topologySpreadConstraints?: { topologyKey: string; maxSkew: number }[];
  serviceAccountName?: string;
  containers: {
    image: string;
    livenessProbe?: { httpGet: { path: string; port: number } };
    readinessProbe?: { httpGet: { path: string; port: number } };
    resources?: { requests?: Record<string, string> };
    args?: string[];
  }[];
}
const podSpec = (ds: KubeObject) => (ds.spec as { template: { spec: PodSpecLike } }).template.spec;

describe('ingress-ha manifests (golden)', () => {
  const cases: [string, Controller, Cloud, { exclusive?: boolean; serviceName?: string; minAvailable?: number }][] = [
    ['nginx-alibaba', 'ingress-nginx', 'alibaba', { serviceName: 'nginx-ingress-lb', minAvailable: 1 }],
    ['nginx-aws-exclusive', 'ingress-nginx', 'aws', { exclusive: true, minAvailable: 2 }],
    ['istio-gcp-exclusive', 'istio-gateway', 'gcp', { exclusive: true }],
  ];
  for (const [name, controller, cloud, extra] of cases) {
    it(`${name}.yaml`, () => {
      const text = renderYamlStream(build(controller, cloud, extra).objects);
      const file = join(GOLDEN, `${name}.yaml`);
      if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, text);
      assert.ok(existsSync(file), `${file} is missing; create it with UPDATE_GOLDEN=1 and review it`);
      assert.equal(text, readFileSync(file, 'utf8'), `${file} differs; if the change is meant, rerun with UPDATE_GOLDEN=1 and review the diff`);
    });
  }
});

describe('ingress-ha manifests', () => {
  it('ingress-nginx: every object a controller needs, in apply order, all marked as ours', () => {
    const { objects } = build('ingress-nginx', 'alibaba');
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.metadata?.name}`),
      [
        'ServiceAccount/ingress-nginx',
        'ClusterRole/ingress-nginx-kube-system',
        'ClusterRoleBinding/ingress-nginx-kube-system',
        'Role/ingress-nginx',
        'RoleBinding/ingress-nginx',
        'ConfigMap/ingress-nginx-controller',
        'ConfigMap/ingress-nginx-tcp-services',
        'ConfigMap/ingress-nginx-udp-services',
        'IngressClass/nginx',
        'DaemonSet/ingress-nginx-controller',
        'PodDisruptionBudget/ingress-nginx-controller',
        'Service/ingress-nginx-controller',
      ],
    );
    for (const o of objects) assert.equal(o.metadata?.labels?.['app.kubernetes.io/managed-by'], 'kubectl-ingress_ha', `${o.kind}`);
  });

  it('ingress-nginx RBAC: no wildcards, writes only events, Ingress status and its own Lease', () => {
    const { objects } = build('ingress-nginx', 'none');
    type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
    const rules = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role').flatMap((o) => o['rules'] as Rule[]);
    const writes = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
    const written = rules
      .filter((r) => r.verbs.some((v) => writes.has(v)))
      .map((r) => `${r.resources.join(',')}:${r.verbs.join(',')}${r.resourceNames ? `@${r.resourceNames.join(',')}` : ''}`);
    assert.deepEqual(written.sort(), ['events:create,patch', 'ingresses/status:update', 'leases:create', 'leases:get,update@ingress-nginx-leader'].sort());
    for (const r of rules) {
      assert.ok(!r.verbs.includes('*') && !r.resources.includes('*') && !r.apiGroups.includes('*'), JSON.stringify(r));
    }
    // The controller's reads: Ingresses, classes, Services, EndpointSlices, Secrets everywhere.
    const reads = (res: string) => rules.some((r) => r.resources.includes(res) && r.verbs.includes('watch'));
    for (const res of ['ingresses', 'ingressclasses', 'services', 'endpointslices', 'secrets', 'configmaps', 'leases']) assert.ok(reads(res), res);
    const sa = find(objects, 'ClusterRoleBinding')['subjects'];
    assert.deepEqual(sa, [{ kind: 'ServiceAccount', name: 'ingress-nginx', namespace: 'kube-system' }]);
  });

  it('the DaemonSet runs only on ingress nodes, with probes, requests, one-at-a-time updates and zone spread', () => {
    const ds = find(build('ingress-nginx', 'none').objects, 'DaemonSet');
    const spec = podSpec(ds);
    assert.equal(spec.nodeSelector?.['node-role.kubernetes.io/ingress'], 'true');
    assert.equal(spec.tolerations, undefined, 'no toleration without --exclusive');
    const c = spec.containers[0];
    assert.deepEqual(c.livenessProbe?.httpGet.port, 10254);
    assert.deepEqual(c.readinessProbe?.httpGet.path, '/healthz');
    assert.ok(c.resources?.requests?.['cpu'] && c.resources.requests['memory']);
    assert.ok(c.args?.includes('--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller'));
    assert.deepEqual((ds.spec as { updateStrategy: unknown }).updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    assert.equal(spec.topologySpreadConstraints?.[0]?.topologyKey, 'topology.kubernetes.io/zone');
    assert.equal(spec.serviceAccountName, 'ingress-nginx');
  });

  it('--exclusive: the controller tolerates the ingress taint', () => {
    const spec = podSpec(find(build('ingress-nginx', 'none', { exclusive: true }).objects, 'DaemonSet'));
    assert.deepEqual(spec.tolerations, [{ key: 'node-role.kubernetes.io/ingress', operator: 'Equal', value: 'true', effect: 'NoSchedule' }]);
  });

  it('istio-gateway: probes on 15021/healthz/ready, no ClusterRole, an IngressClass for istio', () => {
    const { objects, warnings } = build('istio-gateway', 'none');
    const c = podSpec(find(objects, 'DaemonSet')).containers[0];
    assert.deepEqual(c.readinessProbe?.httpGet, { path: '/healthz/ready', port: 15021, scheme: 'HTTP' });
    assert.equal(objects.filter((o) => o.kind === 'ClusterRole').length, 0);
    assert.deepEqual(find(objects, 'IngressClass').spec, { controller: 'istio.io/ingress-controller' });
    assert.deepEqual(warnings, [], 'no end-of-life warning, and cloud none needs none');
  });

  const annotations = (cloud: Cloud) => find(build('ingress-nginx', cloud).objects, 'Service').metadata?.annotations;
  const cloudCases: [Cloud, Record<string, string> | undefined, boolean][] = [
    ['alibaba', { 'service.beta.kubernetes.io/alibaba-cloud-loadbalancer-backend-label': 'node-role.kubernetes.io/ingress=true' }, false],
    ['aws', { 'service.beta.kubernetes.io/aws-load-balancer-target-node-labels': 'node-role.kubernetes.io/ingress=true' }, false],
    ['azure', undefined, true],
    ['gcp', undefined, true],
    ['none', undefined, false],
  ];
  for (const [cloud, expected, warns] of cloudCases) {
    it(`--cloud ${cloud}: ${expected ? 'node-selection annotation' : 'no annotation'}${warns ? ', warned as unsupported' : ''}`, () => {
      assert.deepEqual(annotations(cloud), expected);
      const w = build('ingress-nginx', cloud).warnings;
      assert.equal(w[0], NGINX_EOL_WARNING);
      assert.equal(w.length, warns ? 2 : 1);
      if (warns) assert.match(w[1], new RegExp(`^--cloud ${cloud} has no annotation that attaches only labelled nodes`));
    });
  }

  it('the Service: LoadBalancer, Local policy, selecting exactly the DaemonSet pods', () => {
    const { objects } = build('ingress-nginx', 'aws', { serviceName: 'nginx-ingress-lb' });
    const svc = find(objects, 'Service');
    const ds = find(objects, 'DaemonSet');
    const spec = svc.spec as { type: string; externalTrafficPolicy: string; selector: Record<string, string> };
    assert.equal(svc.metadata?.name, 'nginx-ingress-lb');
    assert.equal(spec.type, 'LoadBalancer');
    assert.equal(spec.externalTrafficPolicy, 'Local');
    assert.deepEqual(spec.selector, (ds.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels);
    assert.deepEqual((find(objects, 'PodDisruptionBudget').spec as { selector: unknown }).selector, { matchLabels: spec.selector });
  });
});

// The status view model: the controller, its pods per node, and how the load balancer picks nodes.
import assert from 'node:assert/strict';
import { statusView } from '../../plugins/ingress-ha/status.js';
import { buildManifests } from '../../plugins/ingress-ha/manifests.js';
import { ingressOptions, type Cloud } from '../../plugins/ingress-ha/options.js';
import type { Layer } from '../../plugins/ingress-ha/observe.js';
import type { DaemonSet, Node, Service } from '../../shared/kube/types.js';

function layer(cloud: Cloud, lb?: { ip?: string; hostname?: string }[]): Layer {
  const { objects } = buildManifests(ingressOptions({ namespace: 'kube-system', controller: 'ingress-nginx', cloud, plugin: 'ingress-ha' }));
  const ds = structuredClone(objects.find((o) => o.kind === 'DaemonSet')) as DaemonSet;
  ds.status = { desiredNumberScheduled: 2, numberReady: 1, numberAvailable: 1 };
  const svc = structuredClone(objects.find((o) => o.kind === 'Service')) as Service;
  if (lb) svc.status = { loadBalancer: { ingress: lb } };
  const node = (name: string, zone: string): Node => ({
    metadata: { name, labels: { 'node-role.kubernetes.io/ingress': 'true', 'topology.kubernetes.io/zone': zone } },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  });
  return {
    namespace: 'kube-system',
    nodes: [node('b1', 'zone-b'), node('a1', 'zone-a')],
    daemonSet: ds,
    controllerPods: [
      {
        metadata: { name: 'c-a1', namespace: 'kube-system' },
        spec: { nodeName: 'a1', containers: [] },
        status: { conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ restartCount: 1 }] },
      },
    ],
    pdbs: [],
    services: [svc],
  };
}

describe('ingress-ha status view', () => {
  it('controller counts, a row per ingress node (missing pod shown), the LB address and node selection', () => {
    const v = statusView(layer('aws', [{ hostname: 'lb-1.elb.example' }]));
    assert.deepEqual(v.controller, {
      daemonSet: 'ingress-nginx-controller',
      image: 'registry.k8s.io/ingress-nginx/controller:v1.13.3',
      desired: 2,
      ready: 1,
      available: 1,
    });
    assert.deepEqual(
      v.nodes.map((n) => [n.node, n.pod, n.podReady, n.restarts]),
      [
        ['a1', 'c-a1', true, 1],
        ['b1', '', false, 0],
      ],
    );
    assert.deepEqual(v.service, {
      name: 'ingress-nginx-controller',
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      externalAddresses: ['lb-1.elb.example'],
      nodeSelection: 'node-role.kubernetes.io/ingress=true via service.beta.kubernetes.io/aws-load-balancer-target-node-labels',
    });
  });

  it('without a node annotation: every node registered, the Local health check filters', () => {
    const v = statusView(layer('gcp'));
    assert.equal(v.service?.nodeSelection, 'every node registered; only nodes with a ready controller pod pass the health check (externalTrafficPolicy Local)');
    assert.deepEqual(v.service?.externalAddresses, []);
  });

  it('no controller: null, and no Service picked', () => {
    const l = layer('none');
    delete l.daemonSet;
    const v = statusView(l);
    assert.equal(v.controller, null);
    assert.equal(v.service, null);
  });
});

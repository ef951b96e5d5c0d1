import { strict as assert } from 'node:assert';
import { slim } from '../../shared/kube/lean.js';

describe('slim (lean lists for read-only views)', () => {
  it('drops managedFields, the last-applied copy and the pod template spec, keeps what views read', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'new-nginx',
        namespace: 'default',
        labels: { app: 'nginx' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":true}', 'traffic.kubectl-plugins.io/state': '{"a":1}' },
        managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
      },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'nginx' } },
        template: { metadata: { labels: { app: 'nginx', version: 'v2' } }, spec: { containers: [{ name: 'c' }] } },
      },
      status: {
        readyReplicas: 2,
        conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'long', lastUpdateTime: 't' }],
      },
    };
    assert.deepEqual(slim(structuredClone(deployment)), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'new-nginx', namespace: 'default', labels: { app: 'nginx' }, annotations: { 'traffic.kubectl-plugins.io/state': '{"a":1}' } },
      spec: { replicas: 2, selector: { matchLabels: { app: 'nginx' } }, template: { metadata: { labels: { app: 'nginx', version: 'v2' } } } },
      status: { readyReplicas: 2, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }] },
    });
  });

  it('leaves objects without those fields as they are', () => {
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'nginx' }, spec: { selector: { app: 'nginx' }, ports: [{ port: 80 }] } };
    assert.deepEqual(slim(structuredClone(service)), service);
  });
});

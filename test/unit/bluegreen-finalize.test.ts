import assert from 'node:assert/strict';
import type { KubeObject } from '../../shared/kube/client.js';
import { oldServices } from '../../plugins/bluegreen/commands/finalize.js';
import type { IngressLike, ServiceLike } from '../../plugins/bluegreen/model.js';
import type { Cluster } from '../../plugins/bluegreen/observe.js';
import type { BlueGreenPlan } from '../../plugins/bluegreen/plan.js';

const ing = (name: string, services: string[]): IngressLike => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name },
  spec: { rules: [{ host: 'h.io', http: { paths: services.map((s) => ({ path: '/', backend: { service: { name: s } } })) } }] },
});
const svc = (name: string): ServiceLike => ({ metadata: { name } });

describe('bluegreen finalize --delete-old', () => {
  it('deletes the released Services that exist, but not one another Ingress still routes to', () => {
    const target = ing('echo', ['new-nginx']);
    const cluster: Cluster = {
      namespace: 'shop',
      target: target as KubeObject,
      ingresses: [target, ing('echo-canary', ['old-nginx']), ing('admin', ['legacy'])],
      services: ['new-nginx', 'old-nginx', 'legacy'].map(svc),
      slices: [],
      classes: [],
    };
    const plan = {
      read: { slots: [], warnings: [] },
      plan: { desired: [], state: {}, selected: [], newService: 'new-nginx', released: ['old-nginx', 'legacy', 'gone-already'] },
      changes: [{ action: 'delete', ref: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'echo-canary', namespace: 'shop' } }],
    } satisfies BlueGreenPlan;
    const r = oldServices(cluster, plan);
    assert.deepEqual(r.deletes, [{ action: 'delete', ref: { apiVersion: 'v1', kind: 'Service', name: 'old-nginx', namespace: 'shop' } }]);
    assert.deepEqual(r.stillRouted, [['legacy', 'admin']]);
  });
});

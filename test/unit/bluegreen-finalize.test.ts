import assert from 'node:assert/strict';
import type { KubeObject } from '../../shared/kube/object.js';
import { oldServices } from '../../plugins/bluegreen/commands/finalize.js';
import type { IngressLike } from '../../plugins/bluegreen/model.js';
import type { Cluster } from '../../plugins/bluegreen/observe.js';
import type { BlueGreenPlan } from '../../plugins/bluegreen/plan.js';
import type { Service } from '../../shared/kube/types.js';

const ing = (name: string, services: string[]): IngressLike => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name },
  spec: { rules: [{ host: 'h.io', http: { paths: services.map((s) => ({ path: '/', backend: { service: { name: s } } })) } }] },
});
const svc = (name: string): Service => ({ metadata: { name } });

describe('bluegreen finalize --delete-old', () => {
  it('deletes the released Services that exist, but not one another Ingress still routes to', () => {
    const target = ing('echo', ['new-nginx']);
    const cluster: Cluster = {
      namespace: 'shop',
      target: target,
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
    assert.deepEqual(r.stillRouted, [['legacy', 'ingress/admin']]);
  });

  it('an HTTPRoute target of the same name as an Ingress, and other routes, keep the Services they route to', () => {
    const route = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'echo' },
      spec: { rules: [{ backendRefs: [{ name: 'new-nginx' }] }] },
    };
    const cluster: Cluster = {
      namespace: 'shop',
      target: route,
      // An Ingress named like the target still routes to old-nginx (a migration in progress).
      ingresses: [ing('echo', ['old-nginx'])],
      services: ['new-nginx', 'old-nginx', 'api', 'stats'].map(svc),
      slices: [],
      classes: [],
    };
    const plan = {
      read: { slots: [], warnings: [] },
      plan: { desired: [], state: {}, selected: [], newService: 'new-nginx', released: ['old-nginx', 'api', 'stats'] },
      changes: [],
    } satisfies BlueGreenPlan;
    const others: KubeObject[] = [
      route,
      { kind: 'VirtualService', metadata: { name: 'api' }, spec: { http: [{ route: [{ destination: { host: 'api.shop.svc.cluster.local' } }] }] } },
      { kind: 'HTTPRoute', metadata: { name: 'elsewhere' }, spec: { rules: [{ backendRefs: [{ name: 'stats', namespace: 'other' }] }] } },
    ];
    const r = oldServices(cluster, plan, others);
    assert.deepEqual(r.stillRouted, [
      ['old-nginx', 'ingress/echo'],
      ['api', 'virtualservice/api'],
    ]);
    assert.deepEqual(
      r.deletes.map((d) => (d.action === 'delete' ? d.ref.name : '')),
      ['stats'],
      "a backendRef to another namespace's stats is not this one",
    );
  });
});

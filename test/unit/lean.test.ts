import { strict as assert } from 'node:assert';
import { ListReader, pick, readListText, slim } from '../../shared/kube/lean.js';

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

describe('readListText (a list page read item by item)', () => {
  const read = (text: string) => {
    const items: unknown[] = [];
    const rest = readListText(text, (it) => items.push(it));
    return { items, rest };
  };

  it('gives each item without managedFields, and the rest of the list', () => {
    const list = {
      kind: 'DeploymentList',
      apiVersion: 'apps/v1',
      metadata: { resourceVersion: '12', continue: 'abc' },
      items: [
        {
          metadata: { name: 'a', managedFields: [{ manager: 'x', fieldsV1: { 'f:spec': { 'k:{"name":"c"}': {} } } }], labels: { a: '"managedFields":[' } },
          spec: { x: [1, { y: '}]' }] },
        },
        { metadata: { managedFields: [], name: 'b' } },
        { metadata: { name: 'c', managedFields: [{ s: 'a\\"]}' }], annotations: { managedFields: 'kept' } } },
        { metadata: { managedFields: [{}] } },
      ],
    };
    const { items, rest } = read(JSON.stringify(list));
    assert.deepEqual(items, [
      { metadata: { name: 'a', labels: { a: '"managedFields":[' } }, spec: { x: [1, { y: '}]' }] } },
      { metadata: { name: 'b' } },
      { metadata: { name: 'c', annotations: { managedFields: 'kept' } } },
      { metadata: {} },
    ]);
    assert.deepEqual(rest, { kind: 'DeploymentList', apiVersion: 'apps/v1', metadata: { resourceVersion: '12', continue: 'abc' } });
  });

  it('reads indented text, an empty list and a list without items', () => {
    const list = { metadata: { resourceVersion: '1' }, items: [{ metadata: { name: 'a', managedFields: [{ m: 1 }] }, n: -1.5e3, t: true, z: null }] };
    assert.deepEqual(read(JSON.stringify(list, null, 2)).items, [{ metadata: { name: 'a' }, n: -1.5e3, t: true, z: null }]);
    assert.deepEqual(read('{"items":[],"metadata":{}}'), { items: [], rest: { metadata: {} } });
    assert.deepEqual(read(' {"kind":"Status"} '), { items: [], rest: { kind: 'Status' } });
  });

  it('reads the same when the text comes in pieces of any size (a chunk may end inside a string, a key or an escape)', () => {
    const list = {
      metadata: { resourceVersion: '7', continue: '' },
      items: Array.from({ length: 20 }, (_, i) => ({
        metadata: { name: `n-${i}`, annotations: { a: 'x\\"y\u00e9', managedFields: 'kept' }, managedFields: [{ f: { 'k:{"a":1}': {} } }] },
        spec: { n: i * 1.5, ok: i % 2 === 0, none: null, list: [[], {}, ''] },
      })),
    };
    for (const text of [JSON.stringify(list), JSON.stringify(list, null, 1)]) {
      const whole = read(text);
      for (const size of [1, 2, 3, 7, 64, 1000]) {
        const items: unknown[] = [];
        const reader = new ListReader((it) => items.push(it));
        for (let i = 0; i < text.length; i += size) reader.push(text.slice(i, i + size));
        assert.deepEqual({ items, rest: reader.end() }, whole, `pieces of ${size}`);
      }
    }
    const whole = read(JSON.stringify(list));
    assert.equal(whole.items.length, 20);
    assert.deepEqual(whole.items[3], { metadata: { name: 'n-3', annotations: { a: 'x\\"y\u00e9', managedFields: 'kept' } }, spec: list.items[3].spec });
  });

  it('fails on text that is not JSON', () => {
    for (const bad of ['{"items":[{"a":1}', '{"items":[1 2]}', '{"a":1} x', '<html>']) assert.throws(() => read(bad), SyntaxError, bad);
  });
});

describe('pick (the fields a view reads)', () => {
  it('keeps the fields named, whole or in part, over arrays too, and copies', () => {
    const pod = {
      metadata: { name: 'p', uid: 'u', labels: { a: 'b' } },
      spec: { nodeName: 'n', containers: [{ name: 'c', image: 'i' }] },
      status: { phase: 'Running' },
    };
    const fields = { metadata: { name: true, labels: true, missing: true }, spec: { containers: { name: true } } } as const;
    const picked = pick(pod, fields) as typeof pod;
    assert.deepEqual(picked, { metadata: { name: 'p', labels: { a: 'b' } }, spec: { containers: [{ name: 'c' }] } });
    assert.notEqual(picked.metadata, pod.metadata);
  });
});

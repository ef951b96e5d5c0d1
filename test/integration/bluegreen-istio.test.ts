// kubectl bluegreen on an Istio VirtualService bound to a Gateway, on the real control plane with
// Istio's CRDs: weights between destinations, a preview route; istioctl validate accepts what we write.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { sharedCluster } from '../support/fixture.js';
import { bin } from '../harness/binaries.js';
import type { Cluster } from '../harness/cluster.js';
import { startDataPlane, type DataPlane } from '../playground/dataplane.js';
import { applySeed, bluegreenIn, getJson } from '../support/bluegreen.js';

const NS = 'bg-istio';
const HOST = 'istio.mini-echo.io';

describe('kubectl bluegreen on an Istio VirtualService', function () {
  this.timeout(180_000);
  let c: Cluster;
  let run: ReturnType<typeof bluegreenIn>;
  let dp: DataPlane;
  const validate = async () => {
    const yaml = (await c.kubectl(['-n', NS, 'get', 'virtualservice,gateway.networking.istio.io', '-o', 'yaml'])).stdout;
    const v = await execa(bin('istioctl'), ['validate', '-f', '-'], { input: yaml, reject: false });
    assert.equal(v.exitCode, 0, v.stderr + v.stdout);
  };

  before(async () => {
    c = await sharedCluster();
    await applySeed(c, NS, { ingress: false });
    await c.apply(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: ${NS}}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [${HOST}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo, namespace: ${NS}}
spec:
  hosts: [${HOST}]
  gateways: [gw]
  http:
  - route: [{destination: {host: old-nginx, port: {number: 80}}}]
`);
    run = bluegreenIn(c, NS);
    dp = await startDataPlane({ kubeconfig: c.kubeconfig, refreshMs: 100 });
  });
  after(async () => dp?.close());

  it('set 25 and a cookie preview: weights between destinations, the preview route first; istioctl validate accepts them', async () => {
    const r = await run(['set', 'echo', 'new-nginx', '25']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(
      r.stdout,
      `virtualservice.networking.istio.io/echo configured\nvirtualservice.networking.istio.io/echo routes ${HOST}/ old-nginx 75%, new-nginx 25% (provider istio)`,
    );
    const p = await run(['preview', 'vs/echo', 'new-nginx', '--cookie', 'beta']);
    assert.equal(p.exitCode, 0, p.stderr);
    const vs = await getJson<{ spec: { http: { name?: string; match?: unknown[]; route: { destination: { host: string }; weight?: number }[] }[] } }>(c, NS, [
      'virtualservice',
      'echo',
    ]);
    assert.equal(vs.spec.http.length, 2);
    assert.equal(vs.spec.http[0].name, 'bluegreen-preview');
    assert.deepEqual(
      vs.spec.http[1].route.map((d) => [d.destination.host, d.weight]),
      [
        ['old-nginx', 75],
        ['new-nginx', 25],
      ],
    );
    await validate();
    // The data plane follows VirtualServices: the cookie reaches new-nginx only.
    await dp.refresh();
    const cookie = await run(['probe', `http://127.0.0.1:${dp.port}/`, '--host', HOST, '-H', 'Cookie: a=1; beta=always', '--count', '50', '-o', 'json']);
    assert.deepEqual(
      (JSON.parse(cookie.stdout) as { versions: { version: string }[] }).versions.map((v) => v.version),
      ['new'],
    );
  });

  it('a header-pattern preview replaces the cookie one; finalize leaves one destination without weight; validate still passes', async () => {
    assert.equal((await run(['preview', 'echo', 'new-nginx', '--header-pattern', 'x-env=^te.*'])).exitCode, 0);
    const st = JSON.parse((await run(['status', 'echo', '-o', 'json'])).stdout) as {
      items: { provider: string; warnings: string[]; slots: { preview: unknown }[] }[];
    };
    assert.equal(st.items[0].provider, 'istio');
    assert.deepEqual(st.items[0].slots[0].preview, { service: 'new-nginx', header: { name: 'x-env', pattern: '^te.*' }, ready: 1 });
    await validate();
    const fin = await run(['finalize', 'echo']);
    assert.equal(fin.exitCode, 0, fin.stderr);
    const vs = await getJson<{ spec: { http: unknown[] } }>(c, NS, ['virtualservice', 'echo']);
    assert.deepEqual(vs.spec.http, [{ route: [{ destination: { host: 'new-nginx', port: { number: 80 } } }] }]);
    await validate();
  });
});

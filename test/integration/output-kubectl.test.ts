// Our -o jsonpath and -o custom-columns next to the real kubectl on the same data, byte for byte: a
// table of templates through `kubectl label --local` (no server: kubectl's jsonpath printer on one
// object), and list templates and custom columns through `kubectl get` of custom resources on the
// control plane. Also: kubectl takes our ObjectList as a list of its objects.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { bin } from '../harness/binaries.js';
import type { Cluster } from '../harness/cluster.js';
import { sharedCluster } from '../support/fixture.js';
import { JSONPATH_CASES, SAMPLE } from '../support/output-cases.js';
import { objectList } from '../../shared/output/api.js';
import { parseOutputFormat } from '../../shared/output/format.js';
import { render } from '../../shared/output/printers.js';

const ours = (format: string, data: unknown): { ok: boolean; out: string } => {
  try {
    return { ok: true, out: render(parseOutputFormat(format), { data, rows: [], columns: [] }) };
  } catch {
    return { ok: false, out: '' };
  }
};

const sameAsKubectl = (format: string, k: { exitCode?: number | undefined; stdout: string; stderr: string }, data: unknown) => {
  const o = ours(format, data);
  assert.equal(o.ok, k.exitCode === 0, `${format}: kubectl exit ${k.exitCode} (${k.stderr.split('\n')[0]}), ours ${o.ok ? 'printed' : 'failed'}`);
  if (o.ok) assert.equal(o.out, k.stdout, format);
};

describe('output: -o jsonpath and custom-columns against kubectl', function () {
  this.timeout(180_000);
  const dir = mkdtempSync(join(tmpdir(), 'output-kubectl-'));
  // kubectl label --local reads no cluster, but wants a kubeconfig to exist.
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {}}]\ncurrent-context: c\n',
  );
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('JSONPath: every template of the table prints what kubectl prints (or fails where kubectl fails)', async () => {
    const file = join(dir, 'sample.json');
    writeFileSync(file, JSON.stringify(SAMPLE));
    const runs = await Promise.all(
      JSONPATH_CASES.map(([template]) =>
        execa(bin('kubectl'), ['--kubeconfig', kubeconfig, 'label', '--local', '-f', file, 'unused-', '-o', `jsonpath=${template}`], {
          reject: false,
          stdin: 'ignore',
          stripFinalNewline: false,
        }),
      ),
    );
    JSONPATH_CASES.forEach(([template, want], i) => {
      const k = runs[i];
      sameAsKubectl(`jsonpath=${template}`, k, SAMPLE);
      // The unit tests' expectations are kubectl's output too.
      assert.equal(k.exitCode === 0 ? k.stdout : undefined, want, template);
    });
  });

  it('an ObjectList is a list of its objects to kubectl (apply -f takes it)', async () => {
    const file = join(dir, 'objects.json');
    const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { a: '1' } });
    writeFileSync(file, JSON.stringify(objectList('meshvm', [cm('one'), cm('two')])));
    const r = await execa(bin('kubectl'), ['--kubeconfig', kubeconfig, 'label', '--local', '-f', file, 'unused-', '-o', 'name'], {
      reject: false,
      stdin: 'ignore',
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, 'configmap/one\nconfigmap/two');
  });

  describe('on the control plane: kubectl get of custom resources', () => {
    let c: Cluster;
    const NS = 'output-kubectl';
    const CRD = 'outputsamples.test.kubectl-plugins.io';
    let list: unknown;

    before(async () => {
      c = await sharedCluster();
      await c.apply([
        {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: CRD },
          spec: {
            group: 'test.kubectl-plugins.io',
            names: { plural: 'outputsamples', singular: 'outputsample', kind: 'OutputSample', listKind: 'OutputSampleList' },
            scope: 'Namespaced',
            versions: [
              { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
            ],
          },
        },
      ]);
      await c.kubectl(['wait', '--for=condition=Established', '--timeout=30s', `crd/${CRD}`]);
      await c.kubectl(['create', 'namespace', NS]);
      const sample = (name: string, spec: Record<string, unknown>) => ({
        apiVersion: 'test.kubectl-plugins.io/v1',
        kind: 'OutputSample',
        metadata: { name, namespace: NS },
        spec,
      });
      await c.apply([
        sample('a', {
          w: 10,
          ok: true,
          f: 2.5,
          big: 1234567.5,
          ports: [
            { port: 80, name: 'http' },
            { port: 443, name: 'https' },
          ],
          m: { y: '<&>', z: 1 },
        }),
        sample('b', { w: 90, ok: false, f: 0.00001, ports: [], tags: ['x', 'y'] }),
        sample('c', { w: 0, ok: true, note: null }),
      ]);
      list = JSON.parse((await c.kubectl(['-n', NS, 'get', 'outputsamples', '-o', 'json'])).stdout) as unknown;
    });

    after(async () => {
      await c?.kubectl(['delete', 'namespace', NS, '--wait=false'], { reject: false });
      await c?.kubectl(['delete', 'crd', CRD, '--wait=false'], { reject: false });
    });

    // Not c.kubectl: the output is compared with its last newline.
    const get = (format: string) =>
      execa(bin('kubectl'), ['--kubeconfig', c.kubeconfig, '-n', NS, 'get', 'outputsamples', '-o', format], {
        reject: false,
        stdin: 'ignore',
        stripFinalNewline: false,
      });

    it('custom-columns: the same table, byte for byte', async () => {
      const specs = [
        'NAME:.metadata.name,W:.spec.w,OK:.spec.ok',
        'NAME:metadata.name,PORTS:.spec.ports[*].port,PORT-NAMES:{.spec.ports[*].name},MISSING:.spec.nothing',
        'N:.metadata.name,F:.spec.f,BIG:.spec.big,M:.spec.m,TAGS:.spec.tags,NOTE:.spec.note',
        'FIRST-PORT:.spec.ports[0].port',
        'Name:.metadata.name,Ready?:.spec.ports[?(@.port==443)].name,KIND:.kind',
      ];
      for (const spec of specs) sameAsKubectl(`custom-columns=${spec}`, await get(`custom-columns=${spec}`), list);
      const file = join(dir, 'columns.txt');
      writeFileSync(file, 'NAME    WEIGHT\n.metadata.name   .spec.w\n');
      sameAsKubectl(`custom-columns-file=${file}`, await get(`custom-columns-file=${file}`), list);
    });

    it('jsonpath on the list: the same text', async () => {
      const templates = [
        '{.items[*].metadata.name}',
        '{range .items[*]}{.metadata.name}{"\\t"}{.spec.w}{"\\t"}{.spec.f}{"\\n"}{end}',
        '{.items[?(@.spec.ok==true)].metadata.name}',
        '{.items[?(@.spec.w>=10)].spec.w}',
        '{.items[0].spec.m}',
        '{.items[*].spec.ports[*].port}',
        '{.items[-1:].metadata.name}',
        '{.kind} {.items[1].spec.tags}',
        '{range .items[*]}{.metadata.name}:{range .spec.ports[*]}{.name}/{.port} {end}{"\\n"}{end}',
      ];
      for (const t of templates) sameAsKubectl(`jsonpath=${t}`, await get(`jsonpath=${t}`), list);
    });
  });
});

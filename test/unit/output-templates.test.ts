// The column padder, kubectl's JSONPath and custom-columns, and -o parsing. The same templates are
// compared with the real kubectl in test/integration/output-kubectl.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { objectList, outputApiVersion, outputDocument } from '../../shared/output/api.js';
import { painter } from '../../shared/output/color.js';
import { parseCustomColumns, parseCustomColumnsFile, renderCustomColumns } from '../../shared/output/custom-columns.js';
import { isDocumentFormat, outputTemplate, parseOutputFormat } from '../../shared/output/format.js';
import { goFmtV, goJson, goText } from '../../shared/output/go-values.js';
import { parseJsonPath, runJsonPath } from '../../shared/output/jsonpath.js';
import { render, renderTable, renderWrappedTable, type Column } from '../../shared/output/printers.js';
import { padColumns } from '../../shared/output/table.js';
import { CliError, UsageError } from '../../shared/errors.js';
import { JSONPATH_CASES, SAMPLE } from '../support/output-cases.js';

describe('output: column padder', () => {
  it("lays rows out as kubectl's tabwriter: 3 spaces after the widest cell, at least 6 wide, last column unpadded", () => {
    assert.equal(
      padColumns([
        ['NAME', 'A', 'READY'],
        ['old-nginx', 'x', '3/3'],
      ]),
      'NAME        A     READY\nold-nginx   x     3/3\n',
    );
    // An empty last cell leaves the padding of the cell before it, as kubectl does.
    assert.equal(
      padColumns([
        ['N', 'V'],
        ['long-name', ''],
      ]),
      'N           V\nlong-name   \n',
    );
    assert.equal(padColumns([]), '');
  });

  it('aligns by visible width: colour escapes take no room', () => {
    const red = painter(true)('red', 'FAIL');
    assert.equal(
      padColumns([
        ['STATUS', 'X'],
        [red, 'y'],
      ]),
      `STATUS   X\n${red}     y\n`,
    );
  });

  it('renders 2,000 rows x 7 columns well under 50 ms', () => {
    const columns: Column<number>[] = ['Name', 'Namespace', 'Mode', 'Weight', 'Effective', 'Ready', 'Status'].map((header, c) => ({
      header,
      value: (i: number) => `${header.toLowerCase()}-${(i * 7919 + c) % 1000}`,
    }));
    const rows = Array.from({ length: 2000 }, (_, i) => i);
    // The best of five runs: a single run on a loaded machine measures the load, not the padder.
    let ms = Infinity;
    let out = '';
    for (let run = 0; run < 5; run++) {
      const start = process.hrtime.bigint();
      out = renderTable(columns, rows);
      ms = Math.min(ms, Number(process.hrtime.bigint() - start) / 1e6);
    }
    assert.equal(out.split('\n').length, 2002);
    assert.ok(ms < 50, `2,000 x 7 took ${ms.toFixed(1)} ms`);
    console.log(`      2,000 rows x 7 columns: ${ms.toFixed(1)} ms`);
  });

  it('wraps the wrap columns to the terminal width; a table that fits prints as the plain one', () => {
    const columns: Column<{ rule: string; reason: string }>[] = [
      { header: 'Rule', value: (r) => r.rule },
      { header: 'Reason', value: (r) => r.reason, wrap: true },
    ];
    const rows = [{ rule: 'zones', reason: 'the ingress nodes are all in one zone, so one zone outage stops every controller pod' }];
    assert.equal(renderWrappedTable(columns, rows, 200), renderTable(columns, rows));
    const out = renderWrappedTable(columns, rows, 40);
    const lines = out.trimEnd().split('\n');
    assert.ok(lines.length > 2, out);
    assert.ok(
      lines.every((l) => l.length <= 40),
      out,
    );
    assert.match(lines[1] ?? '', /^zones {3}the ingress/);
    assert.equal(lines.slice(1).join(' ').replace(/\s+/g, ' ').replace('zones ', ''), rows[0]?.reason);
  });
});

describe('output: JSONPath as kubectl', () => {
  for (const [template, want] of JSONPATH_CASES) {
    it(template, () => {
      const segments = parseJsonPath(template);
      if (want === undefined) assert.throws(() => runJsonPath(segments, SAMPLE));
      else assert.equal(runJsonPath(segments, SAMPLE), want);
    });
  }

  it('refuses templates that cannot run when parsed', () => {
    for (const bad of ['{.a', '{end}', '{range .items[*]}{.x}', '{foo}', '{.a[x]}', '{"unterminated}', '{.a[?(@.x=="y"]}', '{.a b}']) {
      assert.throws(() => parseJsonPath(bad), Error, bad);
    }
  });

  it('prints values as Go does: ints, floats (%v), JSON with sorted keys and HTML escapes', () => {
    assert.equal(goText(1234567.5, 'null'), '1.2345675e+06');
    assert.equal(goText(0.00001, 'null'), '1e-05');
    assert.equal(goText(123456.5, 'null'), '123456.5');
    assert.equal(goText(1e21, 'null'), '1e+21');
    assert.equal(goText(2 ** 60, 'null'), '1152921504606846976');
    assert.equal(goJson({ b: 1, a: ['<x>', 1.5e-7] }), '{"a":["\\u003cx\\u003e",1.5e-7],"b":1}');
    assert.equal(goFmtV({ b: [1, 'x'], a: null }), 'map[a:<nil> b:[1 x]]');
  });
});

describe('output: custom-columns as kubectl', () => {
  const list = { apiVersion: 'v', kind: 'L', items: SAMPLE.spec.items };

  it('one row per item; values joined with commas; <none> when nothing is found; headers as given', () => {
    const cols = parseCustomColumns('NAME:.name,PORTS:.ports[*].port,Ok:{.ok},W:w,MISSING:.nope');
    assert.equal(
      renderCustomColumns(cols, list),
      [
        'NAME   PORTS    Ok      W     MISSING',
        'a      80,443   true    10    <none>',
        'b      <none>   false   90    <none>',
        'c      <none>   true    0     <none>',
        '',
      ].join('\n'),
    );
    assert.equal(renderCustomColumns(cols, list, { noHeaders: true }).split('\n')[0], 'a     80,443   true    10    <none>');
    assert.equal(
      renderCustomColumns(parseCustomColumns('P:.ports'), { items: [SAMPLE.spec.items[0]] }),
      'P\n[map[name:http port:80] map[name:https port:443]]\n',
    );
    assert.equal(renderCustomColumns(cols, { items: [] }), '');
  });

  it('a single object is one row; the file form is a line of headers and a line of paths', () => {
    const cols = parseCustomColumnsFile('NAME   KIND\n.metadata.name   {.kind}\n');
    assert.equal(renderCustomColumns(cols, SAMPLE), 'NAME   KIND\nx      CanaryStatus\n');
  });

  it('refuses specs kubectl refuses', () => {
    for (const bad of ['', 'NAME', 'N:{.a}{.b}', 'N:.a[x]']) assert.throws(() => parseCustomColumns(bad), Error, bad);
    assert.throws(() => parseCustomColumnsFile('A B\n.a\n'), /number of headers/);
  });
});

describe('output: -o', () => {
  it('refuses an empty -o, an unknown format and a bad template as usage errors, in one line', () => {
    const usage = (v: string, re: RegExp, allowed?: Parameters<typeof parseOutputFormat>[1]) =>
      assert.throws(
        () => parseOutputFormat(v, allowed),
        (e: Error) => e instanceof UsageError && re.test(e.message) && !e.message.includes('\n'),
        v,
      );
    usage('', /-o needs a value: use one of wide\|json\|yaml\|name\|jsonpath=TEMPLATE/);
    usage('xml', /unknown output format "xml"/);
    usage('jsonpath', /unknown output format "jsonpath"/);
    usage('jsonpath=', /no template given/);
    usage('jsonpath={.a', /invalid -o jsonpath template "\{\.a": unclosed action/);
    usage('jsonpath={range .items[*]}{.x}', /range without \{end\}/);
    usage('custom-columns=NAME', /expected <header>:<json-path-expr>/);
    usage('custom-columns=', /no custom columns given/);
    usage('jsonpath={.a}', /unknown output format/, ['table', 'json', 'yaml']);
    usage('jsonpath-file=/nonexistent/t.txt', /cannot read the template file for -o jsonpath-file: ENOENT/);
    assert.equal(parseOutputFormat(undefined), 'table');
    assert.equal(parseOutputFormat('jsonpath={.items[*].name}'), 'jsonpath={.items[*].name}');
    assert.equal(isDocumentFormat('custom-columns=N:.name'), true);
    assert.equal(isDocumentFormat('wide'), false);
  });

  it('template files are read when -o is parsed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'output-templates-'));
    writeFileSync(join(dir, 't.jsonpath'), '{.kind}');
    writeFileSync(join(dir, 'c.txt'), 'NAME\n.metadata.name\n');
    const jp = parseOutputFormat(`jsonpath-file=${join(dir, 't.jsonpath')}`);
    assert.equal(outputTemplate(jp)?.kind, 'jsonpath');
    assert.equal(render(jp, { data: SAMPLE, rows: [], columns: [] }), 'CanaryStatus');
    assert.equal(render(parseOutputFormat(`custom-columns-file=${join(dir, 'c.txt')}`), { data: SAMPLE, rows: [], columns: [] }), 'NAME\nx\n');
  });

  it('templates see what -o json prints (dates as strings, no undefined); a runtime error exits 1', () => {
    const data = { at: new Date('2026-01-02T03:04:05Z'), gone: undefined, items: [{ n: 1 }] };
    assert.equal(render('jsonpath={.at}{.gone}', { data, rows: [], columns: [] }), '2026-01-02T03:04:05.000Z');
    assert.throws(
      () => render('jsonpath={.items[3]}', { data, rows: [], columns: [] }),
      (e: Error) => e instanceof CliError && !(e instanceof UsageError) && /array index out of bounds: index 3, length 1/.test(e.message),
    );
  });

  it('our documents: <plugin>.traffic.kubectl-plugins.io/v1alpha1, ObjectList for written objects', () => {
    assert.equal(outputApiVersion('ingress-ha'), 'ingress-ha.traffic.kubectl-plugins.io/v1alpha1');
    assert.deepEqual(outputDocument('canary', 'CanaryWeight', { a: 1 }), {
      apiVersion: 'canary.traffic.kubectl-plugins.io/v1alpha1',
      kind: 'CanaryWeight',
      a: 1,
    });
    assert.deepEqual(objectList('meshvm', [{ kind: 'WorkloadEntry' }]), {
      apiVersion: 'meshvm.traffic.kubectl-plugins.io/v1alpha1',
      kind: 'ObjectList',
      items: [{ kind: 'WorkloadEntry' }],
    });
  });
});

import assert from 'node:assert/strict';
import {
  objectName,
  parseOutputFormat,
  render,
  renderJson,
  renderTable,
  renderTree,
  renderYaml,
  renderYamlStream,
  type Column,
} from '../../shared/output/printers.js';
import { colorEnabled, painter, visibleLength } from '../../shared/output/color.js';
import { UsageError } from '../../shared/errors.js';

interface Row {
  name: string;
  ready: string;
  weight: number;
  node: string;
}
const columns: Column<Row>[] = [
  { header: 'Name', value: (r) => r.name },
  { header: 'Ready', value: (r) => r.ready },
  { header: 'Weight', value: (r) => `${r.weight}%` },
  { header: 'Node', value: (r) => r.node, wide: true },
];
const rows: Row[] = [
  { name: 'old-nginx', ready: '3/3', weight: 50, node: 'kwok-node-1' },
  { name: 'new-nginx', ready: '1/1', weight: 50, node: 'kwok-node-2' },
];

describe('printers', () => {
  it('table: kubectl layout, three spaces between columns, no trailing blanks', () => {
    assert.equal(renderTable(columns, rows), 'NAME        READY   WEIGHT\nold-nginx   3/3     50%\nnew-nginx   1/1     50%\n');
  });

  it('wide adds the wide columns; --no-headers drops the header', () => {
    assert.equal(renderTable(columns, rows, { wide: true, noHeaders: true }), 'old-nginx   3/3   50%   kwok-node-1\nnew-nginx   1/1   50%   kwok-node-2\n');
    assert.equal(renderTable(columns, [], { noHeaders: true }), '');
  });

  it('json (4-space indent like kubectl) and yaml, dates as strings', () => {
    const data = { name: 'x', at: new Date('2026-01-02T03:04:05Z'), items: [1] };
    assert.equal(renderJson(data), '{\n    "name": "x",\n    "at": "2026-01-02T03:04:05.000Z",\n    "items": [\n        1\n    ]\n}\n');
    assert.equal(renderYaml(data), "name: x\nat: '2026-01-02T03:04:05.000Z'\nitems:\n  - 1\n");
    assert.equal(renderYamlStream([{ a: 1 }, { b: 2 }]), 'a: 1\n---\nb: 2\n');
  });

  it('name: kind.group/name', () => {
    assert.equal(objectName('apps/v1', 'Deployment', 'new-nginx'), 'deployment.apps/new-nginx');
    assert.equal(objectName('v1', 'Service', 'nginx'), 'service/nginx');
    assert.equal(objectName('networking.istio.io/v1', 'VirtualService', 'reviews'), 'virtualservice.networking.istio.io/reviews');
  });

  it('tree', () => {
    const out = renderTree({
      label: 'service/nginx',
      children: [
        { label: 'deployment.apps/old-nginx', children: [{ label: 'pod/old-1' }, { label: 'pod/old-2' }] },
        { label: 'deployment.apps/new-nginx', children: [{ label: 'pod/new-1' }] },
      ],
    });
    assert.equal(
      out,
      [
        'service/nginx',
        '├── deployment.apps/old-nginx',
        '│   ├── pod/old-1',
        '│   └── pod/old-2',
        '└── deployment.apps/new-nginx',
        '    └── pod/new-1',
        '',
      ].join('\n'),
    );
  });

  it('render dispatches on -o and refuses unknown formats and unsupported -o name', () => {
    assert.equal(parseOutputFormat(undefined), 'table');
    assert.equal(parseOutputFormat('wide'), 'wide');
    assert.throws(
      () => parseOutputFormat('xml'),
      (e: Error) => e instanceof UsageError && /unknown output format "xml": use one of wide\|json\|yaml\|name/.test(e.message),
    );
    assert.throws(() => parseOutputFormat('name', ['table', 'json']), UsageError);
    assert.throws(() => render('name', { data: {}, rows, columns }), /-o name is not supported/);
    assert.equal(render('name', { data: {}, rows, columns, names: ['service/nginx'] }), 'service/nginx\n');
    assert.equal(render('json', { data: { a: 1 }, rows, columns }), '{\n    "a": 1\n}\n');
  });

  it('colour: NO_COLOR and --no-color win, off when not a terminal', () => {
    assert.equal(colorEnabled({}, false, true), true);
    assert.equal(colorEnabled({ NO_COLOR: '1' }, false, true), false);
    assert.equal(colorEnabled({ NO_COLOR: '' }, false, true), true);
    assert.equal(colorEnabled({}, true, true), false);
    assert.equal(colorEnabled({}, false, false), false);
    assert.equal(colorEnabled({ TERM: 'dumb' }, false, true), false);
    assert.equal(painter(false)('red', 'x'), 'x');
    assert.equal(painter(true)('red', 'x'), '\u001b[31mx\u001b[39m');
    assert.equal(visibleLength(painter(true)('green', 'abc')), 3);
  });
});

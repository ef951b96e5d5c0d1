// Rendering a status table of N rows x 7 columns: our column padder (what every list prints with) next
// to cli-table3 with its borders blanked (what lists used before), on the same cells.
//   node build/bench/table-render.js [ROWS] [RUNS]
import Table from 'cli-table3';
import { BORDER_CHARS, renderTable, type Column } from '../shared/output/printers.js';

const rows = Number(process.argv[2] ?? 2000);
const runs = Number(process.argv[3] ?? 20);
const headers = ['Namespace', 'Canary', 'Stable', 'Service', 'Weight', 'Ready', 'Status'];
const columns: Column<number>[] = headers.map((header, c) => ({ header, value: (i: number) => `${header.toLowerCase()}-${(i * 7919 + c * 104729) % 100000}` }));
const data = Array.from({ length: rows }, (_, i) => i);

function cliTable3(): string {
  const t = new Table({
    chars: { ...Object.fromEntries(BORDER_CHARS.map((k) => [k, ''])), middle: '   ' },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
  });
  t.push(columns.map((c) => c.header.toUpperCase()));
  for (const r of data) t.push(columns.map((c) => c.value(r)));
  return t.toString();
}

function median(fn: () => unknown, n: number): number {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? NaN;
}

const padder = median(() => renderTable(columns, data), runs);
// cli-table3 grows quadratically: a few runs are enough.
const old = median(cliTable3, Math.min(runs, 3));
const same =
  renderTable(columns, data) ===
  cliTable3()
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n') +
    '\n';
console.log(
  `${rows} rows x ${columns.length} columns: padder ${padder.toFixed(1)} ms (median of ${runs}), cli-table3 ${old.toFixed(0)} ms; same text: ${same}`,
);

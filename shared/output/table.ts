// kubectl's table layout (its text/tabwriter with minwidth 6, padding 3, pad character ' '): every
// column but the last padded to its widest cell plus three spaces, at least six wide; the last column
// not padded. A plain padder: linear in the number of cells (cli-table3 re-scans earlier rows per cell).
import { visibleLength } from './color.js';

const MIN_WIDTH = 6;
const PADDING = 3;

/** Rows of cells (colour escapes allowed) laid out as kubectl lays out `get` output; '' for no rows. */
export function padColumns(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths: number[] = [];
  const lengths = rows.map((cells) =>
    cells.map((cell, i) => {
      const n = cell.includes('\u001b') ? visibleLength(cell) : cell.length;
      if (i < cells.length - 1 && n + PADDING > (widths[i] ?? MIN_WIDTH)) widths[i] = n + PADDING;
      return n;
    }),
  );
  let out = '';
  rows.forEach((cells, r) => {
    const lens = lengths[r] ?? [];
    cells.forEach((cell, i) => {
      out += cell;
      if (i < cells.length - 1) out += ' '.repeat((widths[i] ?? MIN_WIDTH) - (lens[i] ?? 0));
    });
    out += '\n';
  });
  return out;
}

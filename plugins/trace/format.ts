// How trace times read: span durations from microseconds up, and kubectl's AGE column.
import { ValidationError } from '../../shared/errors.js';

/** 850µs, 3.42ms, 23.4ms, 1.25s, 2m3.4s: three significant digits, as trace UIs show them. */
export function formatMicros(us: number): string {
  const sign = us < 0 ? '-' : '';
  const a = Math.abs(us);
  // Each unit up to where rounding would reach 1000 of it (999.6µs shows as 1ms, not 1000µs).
  if (a < 999.5) return `${sign}${Math.round(a)}µs`;
  if (a < 999_500) return `${sign}${sig3(a / 1000)}ms`;
  if (a < 59_950_000) return `${sign}${sig3(a / 1_000_000)}s`;
  // Minutes (and hours) with seconds to a tenth, rounded before splitting so 59.99s is 1m.
  const tenths = Math.round(a / 100_000);
  const h = Math.floor(tenths / 36_000);
  const m = Math.floor((tenths - h * 36_000) / 600);
  const sec = (tenths - h * 36_000 - m * 600) / 10;
  return `${sign}${h ? `${h}h` : ''}${m || h ? `${m}m` : ''}${sec ? `${sec}s` : ''}`;
}

function sig3(x: number): string {
  const digits = x >= 100 ? 0 : x >= 10 ? 1 : 2;
  let s = x.toFixed(digits);
  if (digits === 0) return s;
  // Drop trailing zeros of the fraction (and the point): 3.40 -> 3.4, 12.0 -> 12.
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  if (end !== s.length) s = s.slice(0, end);
  return s;
}

/** kubectl's age: 45s, 3m12s, 2h5m, 3d4h, 12d. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
  return `${d}d`;
}

/** Cut a string to a visible width with an ellipsis. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return '';
  if (s.length <= width) return s;
  return width === 1 ? '…' : `${s.slice(0, width - 1)}…`;
}

const UNIT_MICROS: Record<string, number> = { us: 1, µs: 1, ms: 1000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 };

/** A span duration as typed: 500us, 100ms, 1.5s, 1m30s (a bare number is milliseconds). Microseconds. */
export function parseMicros(value: string, what: string): number {
  const s = value.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const re = /(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_MICROS[m[2]];
    matched = re.lastIndex;
  }
  if (s.length === 0 || matched !== s.length)
    throw new ValidationError(`${what} "${value}" is not a duration: use a number with a unit, e.g. 500us, 100ms, 1.5s`);
  return Math.round(total);
}

/** Cut a string to a width in the middle, keeping both ends (a host's start and a path's end). */
export function truncateMiddle(s: string, width: number): string {
  if (s.length <= width) return s;
  if (width <= 3) return truncate(s, width);
  const head = Math.ceil((width - 1) / 2);
  const tail = width - 1 - head;
  return `${s.slice(0, head)}…${s.slice(s.length - tail)}`;
}

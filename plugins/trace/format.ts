// How trace times read: span durations from microseconds up, and kubectl's AGE column.
import { ValidationError } from '../../shared/errors.js';

/** 850µs, 3.42ms, 23.4ms, 1.25s, 2m3.4s: three significant digits, as trace UIs show them. */
export function formatMicros(us: number): string {
  const sign = us < 0 ? '-' : '';
  const a = Math.abs(us);
  if (a < 1000) return `${sign}${Math.round(a)}µs`;
  if (a < 1_000_000) return `${sign}${sig3(a / 1000)}ms`;
  if (a < 60_000_000) return `${sign}${sig3(a / 1_000_000)}s`;
  const m = Math.floor(a / 60_000_000);
  const s = (a - m * 60_000_000) / 1_000_000;
  return `${sign}${m}m${s >= 0.05 ? `${s.toFixed(1).replace(/\.0$/, '')}s` : ''}`;
}

function sig3(x: number): string {
  const digits = x >= 100 ? 0 : x >= 10 ? 1 : 2;
  return x.toFixed(digits).replace(/\.?0+$/, '');
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

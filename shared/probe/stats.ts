// Summaries of probe samples, pure: the share each version got (with a confidence interval, so ten
// samples are not over-read), errors, and latency percentiles.

export interface Sample {
  /** The version that answered, or undefined for an error. */
  version?: string;
  /** HTTP status, or undefined when no response came (then `error` says why). */
  status?: number;
  error?: string;
  ms: number;
}

export interface Share {
  version: string;
  count: number;
  percent: number;
  /** 95% Wilson score interval of the share, in percent. */
  low: number;
  high: number;
}

export interface Summary {
  requests: number;
  ok: number;
  errors: number;
  errorRate: number;
  errorKinds: Record<string, number>;
  versions: Share[];
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}

const r1 = (x: number) => Math.round(x * 10) / 10;

/** 95% Wilson score interval for x successes in n trials, in percent. */
export function wilson(x: number, n: number, z = 1.96): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 100 };
  const p = x / n;
  const z2 = z * z;
  const center = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { low: r1(Math.max(0, center - half) * 100), high: r1(Math.min(1, center + half) * 100) };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export function summarize(samples: Sample[]): Summary {
  const ok = samples.filter((s) => s.version !== undefined);
  const counts = new Map<string, number>();
  for (const s of ok) counts.set(s.version!, (counts.get(s.version!) ?? 0) + 1);
  const errorKinds: Record<string, number> = {};
  for (const s of samples) {
    if (s.version !== undefined) continue;
    const kind = s.status !== undefined ? `HTTP ${s.status}` : (s.error ?? 'error');
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  }
  const lat = samples.map((s) => s.ms).sort((a, b) => a - b);
  const versions = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([version, count]) => ({ version, count, percent: r1((count / Math.max(ok.length, 1)) * 100), ...wilson(count, ok.length) }));
  const errors = samples.length - ok.length;
  return {
    requests: samples.length,
    ok: ok.length,
    errors,
    errorRate: r1((errors / Math.max(samples.length, 1)) * 100),
    errorKinds,
    versions,
    latencyMs: { p50: r1(percentile(lat, 50)), p95: r1(percentile(lat, 95)), p99: r1(percentile(lat, 99)), max: r1(lat[lat.length - 1] ?? 0) },
  };
}

/** Is an observed share consistent with the configured one? (the configured value inside the 95% interval) */
export function consistent(configured: number, share: { low: number; high: number }): boolean {
  return configured >= share.low && configured <= share.high;
}

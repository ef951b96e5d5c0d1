// Times commands side by side in one run (interleaved, so machine noise hits each alike) and prints the
// median, the ratio to the first command (kubectl's) and the peak memory of one more run of each.
import { spawnSync } from 'node:child_process';

export interface Case {
  name: string;
  cmd: string;
  args: string[];
  /** Exit codes that count as success (audit commands exit non-zero on findings); default [0]. */
  ok?: number[];
}

const MAX_BUFFER = 512 * 1024 * 1024;

function run(c: Case, cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: MAX_BUFFER });
  if (r.error) throw r.error;
  if (!(c.ok ?? [0]).includes(r.status ?? -1)) throw new Error(`${c.name} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  return r;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The median of a case's times, as sideBySide returned them. */
export function medianOf(times: Map<string, number[]>, name: string): number {
  return median(times.get(name) ?? []);
}

/** Median wall time of `runs` interleaved runs and max RSS (from /usr/bin/time) of each case; the times by case. */
export function sideBySide(title: string, cases: Case[], runs: number): Map<string, number[]> {
  const times = new Map(cases.map((c) => [c.name, [] as number[]]));
  for (const c of cases) run(c, c.cmd, c.args); // warm the page cache and the API server's
  for (let r = 0; r < runs; r++) {
    for (const c of cases) {
      const t = process.hrtime.bigint();
      run(c, c.cmd, c.args);
      times.get(c.name)!.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  const rss = (c: Case) =>
    Number(
      run(c, '/usr/bin/time', ['-f', '%M', c.cmd, ...c.args])
        .stderr.trim()
        .split('\n')
        .pop(),
    ) / 1024;
  const base = median(times.get(cases[0].name)!);
  const width = Math.max(...cases.map((c) => c.name.length)) + 2;
  console.log(`${title}; median of ${runs} interleaved runs`);
  for (const c of cases) {
    const m = median(times.get(c.name)!);
    console.log(`${c.name.padEnd(width)} ${`${m.toFixed(0)} ms`.padStart(8)}  ${(m / base).toFixed(2)}x  max RSS ${rss(c).toFixed(0)} MiB`);
  }
  return times;
}

/**
 * `--baseline <dir>` (another build's dist/bin, e.g. main's): each plugin case again with that build's
 * binary, so before and after are measured in the same run on the same cluster.
 */
export function withBaseline(cases: Case[], argv: string[], pluginDir: string): Case[] {
  const i = argv.indexOf('--baseline');
  if (i < 0) return cases;
  const dir = argv[i + 1];
  if (!dir) throw new Error('--baseline needs a directory (a dist/bin of another build)');
  const extra = cases.filter((c) => c.cmd.startsWith(pluginDir)).map((c) => ({ ...c, name: `${c.name} (baseline)`, cmd: c.cmd.replace(pluginDir, dir) }));
  return [...cases, ...extra];
}

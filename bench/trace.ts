// kubectl trace on a 10,000-span trace held by a real Jaeger and a real Zipkin (loopback):
//   1. the fetch itself: our GET of the trace URL beside curl of the same URL, interleaved in one run;
//   2. from the fetched JSON to the printed waterfall with critical path (target <= 200 ms, <= 150 MiB);
//   3. the whole command (`kubectl trace show`) beside `curl` of the same URL, as processes.
//   node build/bench/trace.js [--spans N] [--runs N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../test/harness/binaries.js';
import { postZipkin, startJaeger, startZipkin, waitForTrace, type TracingServer } from '../test/harness/tracing.js';
import { bigTrace } from '../test/support/traces.js';
import { urlClient } from '../plugins/trace/backends/http.js';
import { sideBySide } from './side-by-side.js';

const argv = process.argv.slice(2);
const spans = Number(argv[argv.indexOf('--spans') + 1]) || 10_000;
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 9;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), 'bench-trace-'));
const servers: TracingServer[] = [];
try {
  const [jaeger, zipkin] = await Promise.all([startJaeger({ basePath: '/jaeger' }), startZipkin()]);
  servers.push(jaeger, zipkin);
  const t = bigTrace(spans, Date.now() * 1000 - 60_000_000);
  for (const s of servers) {
    await postZipkin(s, t.spans);
    await waitForTrace(s, t.traceId, t.spans.length, 120_000);
  }
  console.log(`${spans}-span trace ${t.traceId}, Jaeger ${jaeger.queryUrl} and Zipkin ${zipkin.queryUrl}\n`);

  const results: string[] = [];
  for (const s of servers) {
    const path = s.kind === 'jaeger' ? `/api/traces/${t.traceId}` : `/api/v2/trace/${t.traceId}`;
    const url = `${s.queryUrl}${path}`;
    // 1. The fetch: ours (the client `show --url` uses) and curl's own time_total, interleaved.
    const client = urlClient(new URL(s.queryUrl), {}, 60_000);
    const ours: number[] = [];
    const curls: number[] = [];
    let body = '';
    for (let i = 0; i < runs + 1; i++) {
      const t0 = performance.now();
      body = (await client.get(path, {})).body;
      if (i > 0) ours.push(performance.now() - t0);
      const c = spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{time_total}', url], { encoding: 'utf8' });
      if (c.status !== 0) throw new Error(`curl ${url}: ${c.stderr}`);
      if (i > 0) curls.push(Number(c.stdout) * 1000);
    }
    client.close();
    const file = join(dir, `${s.kind}.json`);
    writeFileSync(file, body);
    console.log(
      `${s.kind.padEnd(7)} fetch ${(body.length / 1024 / 1024).toFixed(1)} MiB: ours ${median(ours).toFixed(1)} ms, curl ${median(curls).toFixed(1)} ms (${(median(ours) / median(curls)).toFixed(2)}x), median of ${runs}`,
    );
    // 2. JSON to waterfall, in a child of its own so its peak memory is measured alone.
    const renders = Array.from({ length: runs }, () => {
      const r = spawnSync(process.execPath, [join(REPO_ROOT, 'build/bench/trace-render.js'), file, s.kind, '160'], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      if (r.status !== 0) throw new Error(r.stderr);
      return JSON.parse(r.stderr.trim().split('\n').pop()!) as { processMs: number; totalMs: number; cpuMs: number; maxRssMiB: number; lines: number };
    });
    const ms = median(renders.map((x) => x.totalMs));
    const rss = Math.max(...renders.map((x) => x.maxRssMiB));
    // CPU time beside wall time: on a shared machine the wall time also counts waiting for a core.
    const cpu = median(renders.map((x) => x.cpuMs));
    const load = loadavg()[0].toFixed(1);
    const line = `${s.kind.padEnd(7)} JSON to waterfall with critical path: ${ms.toFixed(0)} ms (target <= 200; CPU ${cpu.toFixed(0)} ms, load ${load}), peak RSS ${rss.toFixed(0)} MiB (target <= 150), ${renders[0].lines} lines`;
    console.log(line);
    results.push(line);
    // 3. The whole command beside curl, as processes.
    sideBySide(
      `${s.kind}: kubectl trace show beside curl of the same URL`,
      [
        { name: 'curl', cmd: 'curl', args: ['-s', '-o', '/dev/null', url] },
        {
          name: 'kubectl trace show',
          cmd: join(REPO_ROOT, 'dist/bin/kubectl-trace'),
          args: ['show', t.traceId, '--url', s.queryUrl, '--backend-type', s.kind, '--width', '160'],
        },
        {
          name: 'kubectl trace show -o json',
          cmd: join(REPO_ROOT, 'dist/bin/kubectl-trace'),
          args: ['show', t.traceId, '--url', s.queryUrl, '--backend-type', s.kind, '-o', 'json'],
        },
      ],
      Math.max(3, Math.floor(runs / 2)),
    );
    console.log('');
  }
} finally {
  for (const s of servers) await s.stop();
  rmSync(dir, { recursive: true, force: true });
}

// One measured run of `show`'s work after the fetch: JSON text in, waterfall with critical path out.
// Run as a child of bench/trace.js so its peak memory is its own:
//   node build/bench/trace-render.js FILE jaeger|zipkin WIDTH
import { readFileSync } from 'node:fs';
import { fromJaegerTrace, type JaegerTrace } from '../plugins/trace/backends/jaeger.js';
import { fromZipkinTrace, type ZipkinSpan } from '../plugins/trace/backends/zipkin.js';
import { analyze } from '../plugins/trace/view.js';
import { renderWaterfall } from '../plugins/trace/waterfall.js';
import { painter } from '../shared/output/color.js';

const [file, kind, width] = process.argv.slice(2);
const text = readFileSync(file, 'utf8');
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const trace = kind === 'jaeger' ? fromJaegerTrace((JSON.parse(text) as { data: JaegerTrace[] }).data[0]) : fromZipkinTrace(JSON.parse(text) as ZipkinSpan[]);
const view = analyze(trace);
const out = renderWaterfall(view, { width: Number(width) || 160, criticalOnly: false, tags: false, paint: painter(true) });
const ms = performance.now() - t0;
// Written like the command writes it; the time to hand it to the pipe is counted.
process.stdout.write(out, () => {
  const total = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  process.stderr.write(
    `${JSON.stringify({ processMs: ms, totalMs: total, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024, spans: trace.spans.length, lines: out.split('\n').length })}\n`,
  );
});

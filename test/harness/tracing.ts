// Real tracing backends for the tests and the playground: Jaeger v2 (built from its Go module by
// test/controlplane/build.sh, in-memory storage) and Zipkin's server (the exec jar from Maven Central),
// each bound to one address (loopback by default) on free ports, with helpers to post spans to them.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binDir } from './binaries.js';
import { until } from './cluster.js';
import { freePort, removeOnExit, startProcess, stopProcess, type Started } from './processes.js';

export type TracingKind = 'jaeger' | 'zipkin';

export interface TracingServer {
  kind: TracingKind;
  /** The query API's base URL, base path included: http://127.0.0.1:PORT[/jaeger]. */
  queryUrl: string;
  /** Where Zipkin v2 JSON spans are POSTed (Zipkin itself, or Jaeger's Zipkin receiver). */
  zipkinSpansUrl: string;
  /** Jaeger only: OTLP/HTTP traces endpoint. */
  otlpTracesUrl?: string;
  /** The address it listens on, and its query port (for a Service pointing at it). */
  host: string;
  queryPort: number;
  process: Started;
  stop(): Promise<void>;
}

export interface TracingOptions {
  /** Address to bind (a pod IP inside the harness's network namespace, or loopback). */
  host?: string;
  /** Jaeger's query base path (Istio's addon uses /jaeger). */
  basePath?: string;
  /** Run the process inside this network namespace (ip netns exec). */
  netns?: string;
  dir?: string;
}

/** A file in the control-plane cache folder, or a clear message on how to build it. */
export function tracingArtifact(name: 'jaeger' | 'zipkin-server.jar'): string {
  const path = join(binDir([]), name);
  if (!existsSync(path)) throw new Error(`${name} is not built in ${binDir([])}; run 'bash test/controlplane/build.sh' (npm test does)`);
  return path;
}

async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return { status: r.status, body: await r.text() };
}

/** Stop the server and remove its folder (unless the caller gave one). */
function stopper(proc: Started, dir: string, opts: TracingOptions, forget: () => void): () => Promise<void> {
  return async () => {
    await stopProcess(proc);
    if (!opts.dir) {
      rmSync(dir, { recursive: true, force: true });
      forget();
    }
  };
}

/** POST a JSON body; resolves to the status (202 from both receivers). */
export function postJson(url: string, body: unknown): Promise<number> {
  const payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': payload.length }, timeout: 30_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`POST ${url}: timeout`)));
    req.on('error', reject);
    req.end(payload);
  });
}

function command(opts: TracingOptions, cmd: string, args: string[]): [string, string[]] {
  return opts.netns ? ['ip', ['netns', 'exec', opts.netns, cmd, ...args]] : [cmd, args];
}

export async function startJaeger(opts: TracingOptions = {}): Promise<TracingServer> {
  const binary = tracingArtifact('jaeger');
  const host = opts.host ?? '127.0.0.1';
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'kplugins-jaeger-'));
  const forget = opts.dir ? () => {} : removeOnExit(dir);
  // Ports are picked on loopback; inside a network namespace the pod IP has them all to itself.
  const [query, grpc, otlp, zipkin] = opts.netns ? [16686, 16685, 4318, 9411] : await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const basePath = opts.basePath ?? '';
  const config = [
    'service:',
    '  extensions: [jaeger_storage, jaeger_query]',
    '  pipelines:',
    '    traces:',
    '      receivers: [otlp, zipkin]',
    '      processors: [batch]',
    '      exporters: [jaeger_storage_exporter]',
    '  telemetry:',
    '    metrics:',
    '      level: none',
    '    logs:',
    '      level: warn',
    'extensions:',
    '  jaeger_query:',
    '    storage:',
    '      traces: memstore',
    ...(basePath ? [`    base_path: ${basePath}`] : []),
    '    http:',
    `      endpoint: ${host}:${query}`,
    '    grpc:',
    `      endpoint: ${host}:${grpc}`,
    '  jaeger_storage:',
    '    backends:',
    '      memstore:',
    '        memory:',
    '          max_traces: 100000',
    'receivers:',
    '  otlp:',
    '    protocols:',
    '      http:',
    `        endpoint: ${host}:${otlp}`,
    '        max_request_body_size: 67108864',
    '  zipkin:',
    `    endpoint: ${host}:${zipkin}`,
    'processors:',
    '  batch:',
    '    timeout: 50ms',
    'exporters:',
    '  jaeger_storage_exporter:',
    '    trace_storage: memstore',
    '',
  ].join('\n');
  const configFile = join(dir, 'jaeger.yaml');
  writeFileSync(configFile, config);
  const [cmd, args] = command(opts, binary, ['--config', configFile]);
  const proc = startProcess('jaeger', cmd, args, join(dir, 'jaeger.log'));
  const queryUrl = `http://${host}:${query}${basePath}`;
  try {
    await until('jaeger query API', async () => (await httpGet(`${queryUrl}/api/services`)).status === 200, 90_000, [proc]);
  } catch (err) {
    await stopProcess(proc);
    throw err;
  }
  return {
    kind: 'jaeger',
    queryUrl,
    zipkinSpansUrl: `http://${host}:${zipkin}/api/v2/spans`,
    otlpTracesUrl: `http://${host}:${otlp}/v1/traces`,
    host,
    queryPort: query,
    process: proc,
    stop: stopper(proc, dir, opts, forget),
  };
}

export async function startZipkin(opts: TracingOptions = {}): Promise<TracingServer> {
  const jar = tracingArtifact('zipkin-server.jar');
  const host = opts.host ?? '127.0.0.1';
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'kplugins-zipkin-'));
  const forget = opts.dir ? () => {} : removeOnExit(dir);
  const port = opts.netns ? 9411 : await freePort();
  const [cmd, args] = command(opts, 'java', [
    '-Xmx512m',
    '-XX:TieredStopAtLevel=1',
    '-Dlogging.level.root=WARN',
    '-jar',
    jar,
    `--armeria.ports[0].port=${port}`,
    `--armeria.ports[0].ip=${host}`,
    '--armeria.ports[0].protocols[0]=http',
  ]);
  const proc = startProcess('zipkin', cmd, args, join(dir, 'zipkin.log'), { env: { ...process.env, JAVA_TOOL_OPTIONS: '' } });
  const queryUrl = `http://${host}:${port}`;
  try {
    await until('zipkin query API', async () => (await httpGet(`${queryUrl}/api/v2/services`)).status === 200, 120_000, [proc]);
  } catch (err) {
    await stopProcess(proc);
    throw err;
  }
  return {
    kind: 'zipkin',
    queryUrl,
    zipkinSpansUrl: `${queryUrl}/api/v2/spans`,
    host,
    queryPort: port,
    process: proc,
    stop: stopper(proc, dir, opts, forget),
  };
}

/** POST Zipkin v2 spans in batches (a receiver limits the body size). */
export async function postZipkin(server: TracingServer, spans: unknown[], batch = 2000): Promise<void> {
  for (let i = 0; i < spans.length; i += batch) {
    const status = await postJson(server.zipkinSpansUrl, spans.slice(i, i + batch));
    if (status !== 202 && status !== 200) throw new Error(`POST ${server.zipkinSpansUrl} answered ${status}`);
  }
}

/** Wait until the backend returns the trace with all its spans (receivers batch before storing). */
export async function waitForTrace(server: TracingServer, traceId: string, spans: number, timeoutMs = 30_000): Promise<void> {
  const path = server.kind === 'jaeger' ? `/api/traces/${traceId}` : `/api/v2/trace/${traceId}`;
  await until(
    `trace ${traceId} with ${spans} spans in ${server.kind}`,
    async () => {
      const r = await httpGet(`${server.queryUrl}${path}`);
      if (r.status !== 200) return false;
      const doc = JSON.parse(r.body) as { data?: { spans: unknown[] }[] } | unknown[];
      const n = Array.isArray(doc) ? doc.length : (doc.data?.[0]?.spans.length ?? 0);
      return n >= spans;
    },
    timeoutMs,
    [server.process],
  );
}

export { httpGet as tracingGet };

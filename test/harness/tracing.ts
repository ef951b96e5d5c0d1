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
  /** The process when it runs on this machine (until() fails fast when it dies). */
  process?: Started;
  stop(): Promise<void>;
}

export interface TracingOptions {
  /** Address to bind (default loopback). */
  host?: string;
  /** Jaeger's query base path (Istio's addon uses /jaeger). */
  basePath?: string;
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

/** Jaeger v2's configuration: in-memory storage, the query API (and its base path), OTLP/HTTP and Zipkin receivers on `host`. */
export function jaegerConfig(host: string, ports: { query: number; grpc: number; otlp: number; zipkin: number }, basePath = ''): string {
  const { query, grpc, otlp, zipkin } = ports;
  return [
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
}

export async function startJaeger(opts: TracingOptions = {}): Promise<TracingServer> {
  const binary = tracingArtifact('jaeger');
  const host = opts.host ?? '127.0.0.1';
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'kplugins-jaeger-'));
  const forget = opts.dir ? () => {} : removeOnExit(dir);
  const [query, grpc, otlp, zipkin] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const basePath = opts.basePath ?? '';
  const config = jaegerConfig(host, { query, grpc, otlp, zipkin }, basePath);
  const configFile = join(dir, 'jaeger.yaml');
  writeFileSync(configFile, config);
  const proc = startProcess('jaeger', binary, ['--config', configFile], join(dir, 'jaeger.log'));
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

/** Zipkin's server on `host`:`port` (both may be placeholders the caller fills in), in-memory storage. */
export function zipkinArgs(jar: string, host: string, port: string): string[] {
  return [
    '-Xmx512m',
    '-XX:TieredStopAtLevel=1',
    '-Dlogging.level.root=WARN',
    '-jar',
    jar,
    `--armeria.ports[0].port=${port}`,
    `--armeria.ports[0].ip=${host}`,
    '--armeria.ports[0].protocols[0]=http',
  ];
}

export async function startZipkin(opts: TracingOptions = {}): Promise<TracingServer> {
  const jar = tracingArtifact('zipkin-server.jar');
  const host = opts.host ?? '127.0.0.1';
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'kplugins-zipkin-'));
  const forget = opts.dir ? () => {} : removeOnExit(dir);
  const port = await freePort();
  const proc = startProcess('zipkin', 'java', zipkinArgs(jar, host, String(port)), join(dir, 'zipkin.log'), { env: { ...process.env, JAVA_TOOL_OPTIONS: '' } });
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
export async function waitForTrace(server: TracingServer, traceId: string, spans: number, timeoutMs = 90_000): Promise<void> {
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
    server.process ? [server.process] : [],
  );
}

export { httpGet as tracingGet };

/** What serving a pod's address with a real program needs from the test network (test/harness/network). */
export interface PodServer {
  serve(
    rule: { namespace: string; selector?: Record<string, string>; pod?: string; command: string; args?: string[]; env?: Record<string, string> },
    opts?: { waitForPort?: number; timeoutMs?: number },
  ): Promise<{ programs: () => Promise<{ ip: string; log: string }[]>; stop: () => Promise<void> }>;
  assertRouted(address: string): Promise<void>;
}

/**
 * The backend of Istio's tracing addon in a cluster with a test network: the addon's Deployment and
 * Services (test/playground/tracing.ts lays them out), and the real Jaeger or Zipkin serving the pod's
 * address inside the network namespace, where the API server's service proxy reaches it.
 */
export async function serveTracing(
  cluster: { apply(manifest: object[]): Promise<void>; kubectl(args: string[]): Promise<unknown> },
  net: PodServer,
  kind: TracingKind,
  manifests: object[],
  dir: string,
  namespace = 'istio-system',
): Promise<TracingServer> {
  const app = kind === 'jaeger' ? 'jaeger' : 'zipkin';
  await cluster.apply(manifests);
  await cluster.kubectl(['wait', '--for=condition=Available', `deployment/${app}`, '-n', namespace, '--timeout=60s']);
  // The program reads its own address from POD_IP (Jaeger expands ${env:...} in its configuration).
  const rule =
    kind === 'jaeger'
      ? (() => {
          const file = join(dir, `jaeger-${namespace}.yaml`);
          writeFileSync(file, jaegerConfig('${env:POD_IP}', { query: 16686, grpc: 16685, otlp: 4318, zipkin: 9411 }, '/jaeger'));
          return { command: tracingArtifact('jaeger'), args: ['--config', file] };
        })()
      : { command: 'java', args: zipkinArgs(tracingArtifact('zipkin-server.jar'), '{podIP}', '9411') };
  const served = await net.serve({ namespace, selector: { app }, ...rule }, { waitForPort: kind === 'jaeger' ? 16686 : 9411, timeoutMs: 180_000 });
  const [program] = await served.programs();
  await net.assertRouted(program.ip);
  const queryUrl = kind === 'jaeger' ? `http://${program.ip}:16686/jaeger` : `http://${program.ip}:9411`;
  await until(
    `${kind} query API at ${program.ip}`,
    async () => (await httpGet(`${queryUrl}${kind === 'jaeger' ? '/api/services' : '/api/v2/services'}`)).status === 200,
    120_000,
  );
  return {
    kind,
    queryUrl,
    zipkinSpansUrl: `http://${program.ip}:9411/api/v2/spans`,
    ...(kind === 'jaeger' ? { otlpTracesUrl: `http://${program.ip}:4318/v1/traces` } : {}),
    host: program.ip,
    queryPort: kind === 'jaeger' ? 16686 : 9411,
    stop: served.stop,
  };
}

// A real Prometheus for the metric analysis tests (Debian's package, /usr/bin/prometheus): on loopback
// scraping given targets, or as Istio's addon runs it, a `prometheus` pod in istio-system served at its
// pod IP on the cluster's test network, scraping each pod's Envoy stats port, where the responder serves Istio's metrics
// (network/istio-metrics.ts). Its own config and data folder, removed on stop.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from './cluster.js';
import { ISTIO_STATS_PATH, ISTIO_STATS_PORT, ISTIO_TARGETS_PATH } from './network/istio-metrics.js';
import { freePort, isRunning, removeOnExit, startProcess, stopProcess } from './processes.js';
import { until } from './wait.js';

export const PROMETHEUS_PORT = 9090;
/** Scrapes this often: a test's step interval of a few seconds holds several samples, as rate() needs. */
export const SCRAPE_INTERVAL_S = 1;

export function prometheusBinary(): string | undefined {
  const path = process.env['KPLUGINS_PROMETHEUS'] ?? '/usr/bin/prometheus';
  return existsSync(path) ? path : undefined;
}

export interface PrometheusServer {
  /** http://address:port: the query API is under /api/v1. */
  url: string;
  stop(): Promise<void>;
}

/** Scrape given host:port targets at Envoy's stats path. */
export function staticConfig(targets: string[]): string {
  return [
    'global:',
    `  scrape_interval: ${SCRAPE_INTERVAL_S}s`,
    `  evaluation_interval: ${SCRAPE_INTERVAL_S}s`,
    'scrape_configs:',
    '  - job_name: envoy-stats',
    `    metrics_path: ${ISTIO_STATS_PATH}`,
    '    static_configs:',
    `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
    '',
  ].join('\n');
}

/**
 * Istio's envoy-stats job: every pod with an address, at its Envoy stats port. Debian's Prometheus is
 * built without Kubernetes discovery, so the pods come from the network agent (which watches them
 * through the API server) in http_sd's format, refreshed every second.
 */
export function networkConfig(targetsUrl: string): string {
  return [
    'global:',
    `  scrape_interval: ${SCRAPE_INTERVAL_S}s`,
    `  evaluation_interval: ${SCRAPE_INTERVAL_S}s`,
    'scrape_configs:',
    '  - job_name: envoy-stats',
    `    metrics_path: ${ISTIO_STATS_PATH}`,
    '    http_sd_configs:',
    `      - url: ${targetsUrl}`,
    `        refresh_interval: ${SCRAPE_INTERVAL_S}s`,
    '',
  ].join('\n');
}

function args(dir: string, listen: string): string[] {
  return [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=${listen}`,
    '--storage.tsdb.retention.time=2h',
    '--log.level=warn',
  ];
}

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })).status === 200;
  } catch {
    return false;
  }
}

/** Prometheus on a free loopback port, scraping the given loopback targets. */
export async function startPrometheus(targets: string[]): Promise<PrometheusServer> {
  const binary = prometheusBinary();
  if (!binary) throw new Error("prometheus is not installed (bash scripts/debian-packages.sh installs Debian's package)");
  const dir = mkdtempSync(join(tmpdir(), 'kplugins-prometheus-'));
  const forget = removeOnExit(dir);
  writeFileSync(join(dir, 'prometheus.yml'), staticConfig(targets));
  const port = await freePort();
  const proc = startProcess('prometheus', binary, args(dir, `127.0.0.1:${port}`), join(dir, 'prometheus.log'));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcess(proc);
    rmSync(dir, { recursive: true, force: true });
    forget();
  };
  try {
    await until('prometheus', () => ready(url), 60_000, [proc]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}

/**
 * Istio's Prometheus addon on the cluster's network: Service istio-system/prometheus:9090 in front of
 * a `prometheus` pod whose address runs the real Prometheus (the plugin reaches it through the API
 * server's service proxy). url is the pod's address, routed from this machine into the namespace.
 */
export async function servePrometheus(c: Cluster, opts: { dir?: string } = {}): Promise<PrometheusServer> {
  const net = c.network;
  if (!net) throw new Error('servePrometheus needs the cluster on the test network (startCluster({ network: true }) as root)');
  const binary = prometheusBinary();
  if (!binary) throw new Error("prometheus is not installed (bash scripts/debian-packages.sh installs Debian's package)");
  // A given folder (the playground's, outliving this process) is the caller's to remove.
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'kplugins-prometheus-'));
  const forget = opts.dir ? () => {} : removeOnExit(dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'prometheus.yml'), networkConfig(`http://${net.insideAddress}:${ISTIO_STATS_PORT}${ISTIO_TARGETS_PATH}`));
  await c.kubectl(['create', 'namespace', 'istio-system'], { reject: false });
  await c.apply([
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'prometheus', namespace: 'istio-system', labels: { app: 'prometheus' } },
      spec: { containers: [{ name: 'prometheus-server', image: 'prom/prometheus', ports: [{ containerPort: PROMETHEUS_PORT }] }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'prometheus', namespace: 'istio-system', labels: { app: 'prometheus' } },
      spec: { selector: { app: 'prometheus' }, ports: [{ name: 'http', port: PROMETHEUS_PORT, targetPort: PROMETHEUS_PORT }] },
    },
  ]);
  const served = await net.serve(
    { namespace: 'istio-system', pod: 'prometheus', command: binary, args: args(dir, `{podIP}:${PROMETHEUS_PORT}`) },
    { waitForPort: PROMETHEUS_PORT, timeoutMs: 60_000 },
  );
  const [p] = await served.programs();
  const url = `http://${p.ip}:${PROMETHEUS_PORT}`;
  const stop = async () => {
    await served.stop().catch(() => undefined);
    await c.kubectl(['-n', 'istio-system', 'delete', 'pod/prometheus', 'service/prometheus', '--ignore-not-found', '--wait=false'], { reject: false });
    // The program gets SIGTERM when its rule goes (SIGKILL 3 s later); its folder goes once it has let go of it.
    await until('prometheus to stop', async () => !isRunning(p.pid), 10_000).catch(() => undefined);
    if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    forget();
  };
  try {
    await net.assertRouted(p.ip);
    await until('prometheus', () => ready(url), 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}

// The API server's way out to pods, Services and nodes (its "cluster" egress: the service and pod
// proxy, webhooks by Service): an HTTP CONNECT proxy on a unix socket that connects only to loopback
// and to addresses whose route (`ip route get`) goes into one of this cluster's network namespaces.
// Without a network nothing but loopback is reachable, so a proxied request to a pod IP fails here
// instead of leaving through the machine's default gateway.
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, isIPv4 } from 'node:net';
import { pathToFileURL } from 'node:url';
import { isLoopback } from './cidr.js';
import { routeGet } from './ip.js';

/** The API server's --egress-selector-config-file: the "cluster" traffic through the guard's socket. */
export function egressSelectorConfig(socket: string): string {
  return [
    'apiVersion: apiserver.k8s.io/v1beta1',
    'kind: EgressSelectorConfiguration',
    'egressSelections:',
    '- name: cluster',
    '  connection:',
    '    proxyProtocol: HTTPConnect',
    '    transport:',
    '      uds:',
    `        udsName: ${socket}`,
    '',
  ].join('\n');
}

export interface GuardConfig {
  socket: string;
  /** Interfaces on this machine that lead into the cluster's namespaces (empty: no network). */
  devices: string[];
  log: string;
}

/** Why a target may not be connected to, or undefined when it may. */
export async function refusal(host: string, devices: string[], cache = new Map<string, { at: number; why?: string }>()): Promise<string | undefined> {
  if (isLoopback(host)) return undefined;
  if (!isIPv4(host)) return `${host} is not an IPv4 address; only loopback and the test network are reachable`;
  const hit = cache.get(host);
  if (hit && Date.now() - hit.at < 1000) return hit.why;
  const r = await routeGet(host);
  const why =
    r?.dev && devices.includes(r.dev) && r.type !== 'unreachable'
      ? undefined
      : `${host} is not routed into this cluster's network namespace (route: ${r ? `${r.gateway ? `via ${r.gateway} ` : ''}dev ${r.dev ?? '?'}` : 'none'})${devices.length ? '' : '; the cluster runs without a network'}`;
  cache.set(host, { at: Date.now(), why });
  return why;
}

export async function runGuard(cfg: GuardConfig): Promise<() => Promise<void>> {
  rmSync(cfg.socket, { force: true });
  const cache = new Map<string, { at: number; why?: string }>();
  const server = createServer((_req, res) => res.writeHead(405).end('CONNECT only\n'));
  server.on('connect', (req, client, head) => {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(req.url ?? '');
    const fail = (why: string) => {
      appendFileSync(cfg.log, `${new Date().toISOString()} refused ${req.url}: ${why}\n`);
      client.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${why}\n`);
    };
    if (!m) return fail('not a host:port');
    void refusal(m[1], cfg.devices, cache).then((why) => {
      if (why) return fail(why);
      const upstream = connect({ host: m[1], port: Number(m[2]) }, () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', (err) => (client.writable ? client.end(`HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n${err.message}\n`) : client.destroy()));
      client.on('error', () => upstream.destroy());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.socket, () => resolve());
  });
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
}

/** Where the guard's configuration lives; the network rewrites it when devices change. */
export function writeGuardConfig(file: string, cfg: GuardConfig): void {
  writeFileSync(file, JSON.stringify(cfg));
}

// Run as a process: node egress.js CONFIG.json
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8')) as GuardConfig;
  const stop = await runGuard(cfg);
  process.stdout.write(`egress guard on ${cfg.socket}\n`);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void stop().then(() => process.exit(0)));
}

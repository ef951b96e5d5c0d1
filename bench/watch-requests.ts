// API requests per minute of `canary status -w` and `bluegreen status -w` on 2,000 objects each,
// counted by a loopback proxy every request goes through (the plugin talks plain http to it; it
// forwards to the API server over TLS as the cluster admin). Each command runs --seconds (60), one
// at a time; with --before <dir>, that checkout's dist/bin runs too (main, for the before figure).
//   node build/bench/watch-requests.js [--objects N] [--seconds S] [--before /path/to/checkout]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../test/harness/cluster.js';
import { REPO_ROOT } from '../test/harness/binaries.js';
import { blueGreenObjects, canaryObjects } from './bulk-objects.js';

const argv = process.argv.slice(2);
const opt = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const n = Number(opt('--objects')) || 2000;
const seconds = Number(opt('--seconds')) || 60;
const before = opt('--before');

/** Requests seen: reads (GET: list pages, discovery), watch requests opened, anything else. */
interface Counts {
  get: number;
  watch: number;
  other: number;
}

const cluster = await startCluster({ name: 'bench-watch', istio: false });
const dir = mkdtempSync(join(tmpdir(), 'watch-bench-'));
let counts: Counts = { get: 0, watch: 0, other: 0 };
const pki = join(cluster.state.dir, 'pki');
const tls = { ca: readFileSync(join(pki, 'ca.crt')), cert: readFileSync(join(pki, 'admin.crt')), key: readFileSync(join(pki, 'admin.key')) };
const upstream = new URL(cluster.server);
const proxy = createServer((req: IncomingMessage, res: ServerResponse) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true') counts.watch++;
  else if (req.method === 'GET') counts.get++;
  else counts.other++;
  const up = httpsRequest(
    { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host }, ...tls },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    },
  );
  up.on('error', () => res.destroy());
  req.pipe(up);
  res.on('close', () => up.destroy());
});
await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
const port = (proxy.address() as { port: number }).port;
const kubeconfig = join(dir, 'kubeconfig');
writeFileSync(
  kubeconfig,
  `clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
);

/** Run a -w command for `seconds`, then Ctrl-C; the requests it sent, and how many tables it printed. */
async function measure(binary: string, args: string[]): Promise<{ counts: Counts; prints: number }> {
  counts = { get: 0, watch: 0, other: 0 };
  const child = spawn(binary, [...args, '--kubeconfig', kubeconfig], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const got = { ...counts };
  child.kill('SIGINT');
  await new Promise((r) => child.once('close', r));
  if (!out) {
    const direct = spawnSync(binary, [...args.filter((a) => a !== '-w'), '--kubeconfig', cluster.kubeconfig, '-v'], { encoding: 'utf8' });
    throw new Error(`${binary} ${args.join(' ')} printed nothing: ${err}; without the proxy: ${direct.stdout} ${direct.stderr}`);
  }
  return { counts: got, prints: out.split('\n\n').filter((t) => t.trim()).length };
}

try {
  await cluster.kubectl(['create', 'namespace', 'bulk-canary']);
  await cluster.kubectl(['create', 'namespace', 'bulk-bg']);
  const [seed, ...docs] = canaryObjects(n, 'bulk-canary');
  await cluster.apply(seed);
  // Before the bulk: 2,000 Deployments keep the controller-manager busy for minutes.
  const setBin = join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary');
  const set = spawnSync(setBin, ['set', 'new-nginx', '25', '--total', '4', '-n', 'bulk-canary', '--kubeconfig', cluster.kubeconfig], { encoding: 'utf8' });
  if (set.status !== 0) throw new Error(`canary set: ${set.stderr}`);
  for (let i = 0; i < docs.length; i += 500) await cluster.apply(docs.slice(i, i + 500).join('\n'));
  const bg = blueGreenObjects(n, 'bulk-bg');
  for (let i = 0; i < bg.objects.length; i += 500) await cluster.apply(bg.objects.slice(i, i + 500));
  const builds = [...(before ? [{ label: 'before', root: before }] : []), { label: 'after', root: REPO_ROOT }];
  const cases = [
    { name: 'canary status -w', plugin: 'kubectl-canary', args: ['status', '-w', '-n', 'bulk-canary'] },
    { name: 'bluegreen status -w', plugin: 'kubectl-bluegreen', args: ['status', '-w', '-n', 'bulk-bg'] },
  ];
  console.log(
    `${n - 1} Deployments + ${n - 1} Services (canary), ${bg.ingresses} Ingresses + ${bg.services} Services + EndpointSlices (bluegreen); ${seconds}s each, nothing changing`,
  );
  for (const c of cases) {
    for (const b of builds) {
      const r = await measure(join(b.root, 'dist', 'bin', c.plugin), c.args);
      const total = r.counts.get + r.counts.watch + r.counts.other;
      const perMin = (total * 60) / seconds;
      console.log(
        `${c.name.padEnd(22)} ${b.label.padEnd(7)} ${perMin.toFixed(0).padStart(6)} requests/min  (GET ${r.counts.get}, watches ${r.counts.watch}, other ${r.counts.other}; printed ${r.prints}x)`,
      );
    }
  }
} finally {
  proxy.close();
  rmSync(dir, { recursive: true, force: true });
  await cluster.stop();
}

// The lock of a traffic target under contention, on the real control plane: N concurrent
// `kubectl-canary set` runs on one Service (the built dist/kubectl-canary.cjs), counting the requests
// each made while waiting for the lock (from its -v counts by verb) and checking that no update was lost; then how long a SIGKILLed holder's lock takes to be taken over.
//   node build/bench/lock-contention.js [--runs N] [--kills N]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../test/harness/cluster.js';
import { REPO_ROOT } from '../test/harness/binaries.js';
import { replicasByName } from '../test/support/replicas.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const runs = arg('--runs', 50);
const kills = arg('--kills', 2);
const NS = 'lock-bench';
const TOTAL = 10;
const LEASE = 'kubectl-traffic.service.nginx';
const PLUGIN = join(REPO_ROOT, 'dist', 'kubectl-canary.cjs');

interface Run {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** ms from the start of the batch to the first byte on stdout (the lock acquired and the first write made). */
  firstOutputMs?: number;
  endedMs: number;
}

function plugin(c: Cluster, args: string[], t0: number, onStderr?: (all: string) => void): { done: Promise<Run>; kill: () => void } {
  const child = spawn(process.execPath, [PLUGIN, ...args, '-n', NS, '--kubeconfig', c.kubeconfig], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { NO_COLOR: '1', PATH: process.env['PATH'] ?? '' },
  });
  const r: Run = { exitCode: null, stdout: '', stderr: '', endedMs: 0 };
  child.stdout.on('data', (d: Buffer) => {
    r.firstOutputMs ??= Date.now() - t0;
    r.stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    r.stderr += d.toString();
    onStderr?.(r.stderr);
  });
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code) => {
      r.exitCode = code;
      r.endedMs = Date.now() - t0;
      resolve(r);
    }),
  );
  return { done, kill: () => child.kill('SIGKILL') };
}

/** A run's API requests by verb, from its -v line ("I: 12 API requests to ... (list 8, create 1, ...)"). */
function verbs(stderr: string): Record<string, number> {
  const inner = /I: \d+ API requests to \S+ \(([^)]*)\)/.exec(stderr)?.[1] ?? '';
  return Object.fromEntries(
    inner
      .split(', ')
      .filter(Boolean)
      .map((kv) => kv.split(' '))
      .map(([k, v]) => [k, Number(v)]),
  );
}

const spec = (c: Cluster) => replicasByName(c, NS);

const cluster = await startCluster({ name: 'bench-lock', istio: false });
try {
  await cluster.kubectl(['create', 'namespace', NS]);
  await cluster.apply(readFileSync(join(REPO_ROOT, 'test/playground/scenarios/01-l4-canary.yaml'), 'utf8').replace(/namespace: default/g, `namespace: ${NS}`));
  await cluster.kubectl(['-n', NS, 'wait', '--for=condition=Available', 'deployment', '--all', '--timeout=60s']);

  // 1. N concurrent sets of one canary on one Service, each asking for a different share.
  const percents = Array.from({ length: runs }, (_, i) => ((i * 37) % 11) * 10);
  const t0 = Date.now();
  const results = await Promise.all(
    percents.map((p) => plugin(cluster, ['set', 'new-nginx', String(p), '--total', String(TOTAL), '--wait=false', '--timeout', '10m', '-v'], t0).done),
  );
  const wall = Date.now() - t0;
  const failed = results.filter((r) => r.exitCode !== 0);
  // No lost update: the state is the split of the run that finished last (the last to hold the lock).
  const last = results.reduce((a, b) => (b.endedMs > a.endedMs ? b : a));
  const lastPercent = percents[results.indexOf(last)];
  const final = await spec(cluster);
  const perRun = results.map((r) => Number(/I: (\d+) API requests/.exec(r.stderr)?.[1] ?? NaN)).sort((a, b) => a - b);
  const waited = results.filter((r) => r.stderr.includes('waiting for kubectl canary')).length;
  const waitLines = results.map((r) => r.stderr.split('\n').filter((l) => l.startsWith('waiting for kubectl canary')).length);
  // Requests while waiting, from each run's -v counts: the creates refused (all but the one that took the
  // lock), and per watch started one read of the Lease and the watch itself (a read precedes every watch).
  const byRun = results.map((r) => verbs(r.stderr));
  const waitingPerRun = byRun.map((v) => (v['create'] ?? 1) - 1 + 2 * (v['watch'] ?? 0)).sort((a, b) => a - b);
  const waiting = waitingPerRun.reduce((a, b) => a + b, 0);
  const watches = byRun.reduce((n, v) => n + (v['watch'] ?? 0), 0);
  const updates = byRun.reduce((n, v) => n + (v['update'] ?? 0), 0);
  console.log(`${runs} concurrent kubectl-canary set runs on service/nginx (--total ${TOTAL}), ${(wall / 1000).toFixed(1)} s wall`);
  console.log(`  exit 0: ${runs - failed.length} of ${runs}${failed.length ? `; first failure: ${failed[0].stderr.trim().split('\n').pop()}` : ''}`);
  console.log(`  waited for the lock: ${waited} runs; "waiting for" lines per run: max ${Math.max(...waitLines)}`);
  console.log(
    `  requests while waiting: ${waiting} in all; per run median ${waitingPerRun[Math.floor(runs / 2)]}, max ${waitingPerRun[runs - 1]} (${watches} watches; ${updates} Lease renewals or takeovers)`,
  );
  console.log(`  API requests per run (-v): median ${perRun[Math.floor(perRun.length / 2)]}, max ${perRun[perRun.length - 1]}`);
  const want = { canary: Math.round((lastPercent / 100) * TOTAL), total: TOTAL };
  const lost = final['new-nginx'] !== want.canary || final['new-nginx'] + final['old-nginx'] !== TOTAL;
  console.log(
    `  last to finish asked ${lastPercent}%: cluster has new-nginx=${final['new-nginx']} old-nginx=${final['old-nginx']}: ${lost ? 'LOST UPDATE' : 'no lost update'}`,
  );

  // 2. A holder SIGKILLed mid-change: how long until the next run holds the lock.
  await cluster.kubectl(['-n', NS, 'patch', 'deployment', 'new-nginx', '-p', '{"spec":{"template":{"spec":{"nodeSelector":{"nowhere":"true"}}}}}']);
  const takeovers: number[] = [];
  for (let k = 0; k < kills; k++) {
    await cluster.kubectl(['-n', NS, 'scale', 'deployment', 'old-nginx', 'new-nginx', '--replicas=1']);
    await cluster.kubectl(['-n', NS, 'annotate', 'deployment', '--all', 'traffic.kubectl-plugins.io/previous-replicas-']);
    let holding!: () => void;
    const holds = new Promise<void>((r) => (holding = r));
    const t1 = Date.now();
    const holder = plugin(cluster, ['set', 'new-nginx', '50', '--total', '4'], t1, (all) => {
      if (all.includes('waiting for new-nginx to have')) holding();
    });
    await Promise.race([holds, new Promise((_, reject) => setTimeout(() => reject(new Error('the holder never started waiting for its pods')), 60_000))]);
    // Kill at a different point of the renewal cycle each time (renewals every 5 s).
    await new Promise((r) => setTimeout(r, 1000 + k * 2300));
    holder.kill();
    await holder.done;
    const killedAt = Date.now();
    const next = await plugin(cluster, ['abort', 'new-nginx', '--wait=false'], killedAt).done;
    if (next.exitCode !== 0 || next.firstOutputMs === undefined) throw new Error(`the run after the kill failed: ${next.stderr}`);
    takeovers.push(next.firstOutputMs);
  }
  const held = await cluster.kubectl(['-n', NS, 'get', 'lease', LEASE], { reject: false });
  console.log(
    `SIGKILLed holder's lock taken over (kill -> next run's first write), lease 15 s: ${takeovers.map((t) => `${(t / 1000).toFixed(1)} s`).join(', ')}; lease ${held.exitCode === 0 ? 'still held' : 'released'} after`,
  );
  if (failed.length || lost) process.exitCode = 1;
} finally {
  await cluster.stop();
}

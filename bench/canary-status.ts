// `kubectl canary status` on a namespace with 2,000 Deployments and 2,000 Services, side by side with
// `kubectl get deploy,svc -o json` (the same data) in one run; reports medians and peak memory.
//   node build/bench/canary-status.js [--objects N] [--runs N]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startCluster } from '../test/harness/cluster.js';
import { REPO_ROOT, bin } from '../test/harness/binaries.js';
import { canaryObjects } from './bulk-objects.js';

const argv = process.argv.slice(2);
const n = Number(argv[argv.indexOf('--objects') + 1]) || 2000;
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 7;
const NS = 'bulk';

const cluster = await startCluster({ name: 'bench-status', istio: false });
try {
  await cluster.kubectl(['create', 'namespace', NS]);
  const [seed, ...docs] = canaryObjects(n, NS);
  await cluster.apply(seed);
  for (let i = 0; i < docs.length; i += 500) await cluster.apply(docs.slice(i, i + 500).join('\n'));
  const plugin = join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary');
  const set = spawnSync(plugin, ['set', 'new-nginx', '50', '-n', NS, '--kubeconfig', cluster.kubeconfig], { encoding: 'utf8' });
  if (set.status !== 0) throw new Error(set.stderr);
  const cases = [
    { name: 'kubectl get deploy,svc -o json', cmd: bin('kubectl'), args: ['get', 'deploy,svc', '-o', 'json', '-n', NS, '--kubeconfig', cluster.kubeconfig] },
    { name: 'kubectl-canary status', cmd: plugin, args: ['status', '-n', NS, '--kubeconfig', cluster.kubeconfig] },
    { name: 'kubectl-canary status -o json', cmd: plugin, args: ['status', '-o', 'json', '-n', NS, '--kubeconfig', cluster.kubeconfig] },
  ];
  const times = new Map(cases.map((c) => [c.name, [] as number[]]));
  for (let r = 0; r < runs; r++) {
    for (const c of cases) {
      const t = process.hrtime.bigint();
      const res = spawnSync(c.cmd, c.args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
      if (res.status !== 0) throw new Error(`${c.name}: ${res.stderr}`);
      times.get(c.name)!.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rss = (c: (typeof cases)[number]) => {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', c.cmd, ...c.args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    return Number(r.stderr.trim().split('\n').pop()) / 1024;
  };
  const base = median(times.get(cases[0].name)!);
  console.log(`${n} Deployments and ${n - 1} Services in one namespace; median of ${runs} interleaved runs`);
  for (const c of cases) {
    const m = median(times.get(c.name)!);
    console.log(`${c.name.padEnd(34)} ${`${m.toFixed(0)} ms`.padStart(8)}  ${(m / base).toFixed(2)}x  max RSS ${rss(c).toFixed(0)} MiB`);
  }
} finally {
  await cluster.stop();
}

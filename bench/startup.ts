// Start-up benchmark: `kubectl <plugin> --help` for each plugin, side by side in one run with the
// runtime's floor (`node -e 0`), the plugin binary run directly, and `kubectl version --client`.
// Runs are interleaved so machine noise hits every command alike; prints medians and ratios.
// With --kubeconfig FILE it also times a command that reads from the cluster (`kubectl canary context`,
// one GET /version) next to `kubectl version` (which does the same request), and reports peak memory.
//   node build/bench/startup.js [--runs N] [--json] [--kubeconfig FILE]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, binDir } from '../test/harness/binaries.js';

const PLUGINS = ['canary', 'bluegreen', 'ingress-ha', 'meshvm', 'meshremote', 'trace'];
const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 30;
const kubectl = join(binDir(['kubectl']), 'kubectl');
const env = { ...process.env, PATH: `${join(REPO_ROOT, 'dist', 'bin')}:${process.env['PATH'] ?? ''}`, NO_COLOR: '1' };

interface Case {
  name: string;
  cmd: string;
  args: string[];
}
const cases: Case[] = [
  { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'] },
  { name: 'kubectl version --client', cmd: kubectl, args: ['version', '--client'] },
  { name: 'kubectl-canary --version', cmd: join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary'), args: ['--version'] },
  ...PLUGINS.flatMap((p) => [
    { name: `kubectl ${p} --help`, cmd: kubectl, args: [p, '--help'] },
    { name: `kubectl-${p.replace(/-/g, '_')} --help`, cmd: join(REPO_ROOT, 'dist', 'bin', `kubectl-${p.replace(/-/g, '_')}`), args: ['--help'] },
  ]),
];

const kubeconfig = argv.includes('--kubeconfig') ? argv[argv.indexOf('--kubeconfig') + 1] : undefined;
if (kubeconfig) {
  cases.push(
    { name: 'kubectl version (server)', cmd: kubectl, args: ['--kubeconfig', kubeconfig, 'version'] },
    { name: 'kubectl canary context', cmd: kubectl, args: ['canary', 'context', '--kubeconfig', kubeconfig] },
    { name: 'kubectl-canary context', cmd: join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary'), args: ['--kubeconfig', kubeconfig, 'context'] },
  );
}

const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
for (const c of cases) spawnSync(c.cmd, c.args, { env, stdio: 'ignore' }); // warm the page cache
for (let i = 0; i < runs; i++) {
  for (const c of cases) {
    const t = process.hrtime.bigint();
    const r = spawnSync(c.cmd, c.args, { env, stdio: 'ignore' });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}`);
    times.get(c.name)!.push(ms);
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const floor = median(times.get('node -e 0')!);
const kubectlFloor = median(times.get('kubectl version --client')!);
// Peak resident memory of one run of each, from /usr/bin/time when present.
function maxRssKb(c: Case): number | undefined {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', c.cmd, ...c.args], { env, encoding: 'utf8' });
  const kb = Number(r.stderr.trim().split('\n').pop());
  return r.status === 0 && Number.isFinite(kb) ? kb : undefined;
}
const rows = cases.map((c) => {
  const m = median(times.get(c.name)!);
  const rss = maxRssKb(c);
  return {
    command: c.name,
    medianMs: Number(m.toFixed(1)),
    vsNode: Number((m / floor).toFixed(2)),
    vsKubectlVersion: Number((m / kubectlFloor).toFixed(2)),
    ...(rss ? { maxRssMiB: Number((rss / 1024).toFixed(1)) } : {}),
  };
});
if (argv.includes('--json')) {
  console.log(JSON.stringify({ runs, node: process.version, rows }, null, 2));
} else {
  console.log(`start-up, median of ${runs} interleaved runs (node ${process.version})`);
  console.log(`NODE_EXTRA_CA_CERTS is ${process.env['NODE_EXTRA_CA_CERTS'] ? 'set (node reads extra CA certificates at every start)' : 'not set'}`);
  console.log(`${'command'.padEnd(34)} ${'median'.padStart(9)} ${'x node -e 0'.padStart(12)} ${'x kubectl version'.padStart(18)} ${'max RSS'.padStart(10)}`);
  for (const r of rows) {
    const rss = r.maxRssMiB ? `${r.maxRssMiB} MiB` : '';
    console.log(
      `${r.command.padEnd(34)} ${`${r.medianMs} ms`.padStart(9)} ${r.vsNode.toFixed(2).padStart(12)} ${r.vsKubectlVersion.toFixed(2).padStart(18)} ${rss.padStart(10)}`,
    );
  }
}

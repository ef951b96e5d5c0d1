// Start-up benchmark, side by side in one run (interleaved in a shuffled order each round, so machine
// noise hits every command alike): the single executable (build/release-test, linux-amd64, Node 26
// with a warmed startup snapshot) beside the runtime's floor (`node -e 0` of the same Node 26, and of
// the Node running this script) and the single-executable floor (the same Node with a startup snapshot
// that runs nothing: what Node's SEA costs before any of our code), the Node bundles in dist/ run by
// node, `kubectl <plugin> --help` through kubectl for both builds beside `kubectl version --client`,
// and a command that reads the kubeconfig. Then the executables' and krew archives' sizes per platform
// (from release/ after `npm run release`, else the test build).
// With --kubeconfig FILE it also times `context` against that cluster (one GET /version).
//   node build/bench/startup.js [--runs N] [--json] [--kubeconfig FILE]
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT, binDir } from '../test/harness/binaries.js';
import { nodeFiles } from '../scripts/release/node-binaries.js';
import { TARGETS } from '../scripts/release/targets.js';
import { SNAPSHOT_EXEC_ARGV, buildSea } from '../scripts/release/sea-build.js';
import type { ReleaseInfo } from '../scripts/release/release.js';

const PLUGINS = ['canary', 'bluegreen', 'ingress-ha', 'meshvm', 'meshremote', 'trace'];
const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 30;
const TEST_BUILD = join(REPO_ROOT, 'build', 'release-test', 'bin');
const BUNDLE_BIN = join(REPO_ROOT, 'dist', 'bin');
for (const f of [join(TEST_BUILD, 'kubectl-canary'), nodeFiles(TARGETS[0].node).exe])
  if (!existsSync(f)) throw new Error(`${f} is missing: run 'node build/scripts/release/test-build.js' (npm run bench does)`);

const work = mkdtempSync(join(tmpdir(), 'bench-'));
/**
 * Each executable compared, written anew here: how long a large executable takes to start depends on how
 * its pages sit in the page cache (just written, or read back from disk), by a tenth of `node -e 0` and
 * more on this machine; copies made together start alike.
 */
function fresh(src: string, name: string): string {
  const dst = join(work, name);
  mkdirSync(join(dst, '..'), { recursive: true });
  copyFileSync(src, dst);
  chmodSync(dst, 0o755);
  return dst;
}
const node26 = fresh(nodeFiles(TARGETS[0].node).exe, 'node26/node');
const kubectl = fresh(join(binDir(['kubectl']), 'kubectl'), 'kubectl/kubectl');
const SEA_BIN = join(work, 'exe');
const exe = fresh(realpathSync(join(TEST_BUILD, 'kubectl-canary')), 'exe/kubectl-traffic');
const bin = (dir: string, p: string) => join(dir, `kubectl-${p.replace(/-/g, '_')}`);
for (const p of PLUGINS) symlinkSync(exe, bin(SEA_BIN, p));
// The floor of a single executable: the same Node, a startup snapshot whose main function does nothing.
const floorScript = join(work, 'floor.cjs');
writeFileSync(floorScript, "require('node:v8').startupSnapshot.setDeserializeMainFunction(() => {});\n");
const floorExe = fresh(
  await buildSea(TARGETS[0], { script: floorScript, assets: {} }, join(work, 'floor-out'), join(work, 'floor-work'), () => {}, { reproducible: false }),
  'floor/exe',
);
const envWith = (dir: string) => ({ ...process.env, PATH: `${dir}:${process.env['PATH'] ?? ''}`, NO_COLOR: '1' });

const kubeconfigFile = join(work, 'config');
writeFileSync(
  kubeconfigFile,
  'apiVersion: v1\nkind: Config\nclusters: [{name: lab, cluster: {server: "https://127.0.0.1:6443"}}]\nusers: [{name: me, user: {token: t}}]\ncontexts: [{name: lab, context: {cluster: lab, user: me, namespace: shop}}]\ncurrent-context: lab\n',
);

interface Case {
  name: string;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}
const offline = ['context', '--offline', '--kubeconfig', kubeconfigFile];
const cases: Case[] = [
  { name: `node -e 0 (Node ${TARGETS[0].node.version}, the executable's)`, cmd: node26, args: ['-e', '0'] },
  { name: `node -e 0 (Node ${process.versions.node}, on PATH)`, cmd: process.execPath, args: ['-e', '0'] },
  // Node itself with the V8 flags the executable runs with (no rehash of its snapshot): the same saving, for reference.
  { name: `node ${SNAPSHOT_EXEC_ARGV.join(' ')} -e 0 (Node ${TARGETS[0].node.version})`, cmd: node26, args: [...SNAPSHOT_EXEC_ARGV, '-e', '0'] },
  { name: 'exe floor: a snapshot that runs nothing', cmd: floorExe, args: [] },
  { name: 'kubectl version --client', cmd: kubectl, args: ['version', '--client'] },
  ...PLUGINS.map((p) => ({ name: `exe: kubectl-${p.replace(/-/g, '_')} --help`, cmd: bin(SEA_BIN, p), args: ['--help'] })),
  { name: 'exe: kubectl-canary --version', cmd: bin(SEA_BIN, 'canary'), args: ['--version'] },
  { name: 'exe: kubectl-canary status --help', cmd: bin(SEA_BIN, 'canary'), args: ['status', '--help'] },
  { name: 'exe: kubectl-canary context --offline', cmd: bin(SEA_BIN, 'canary'), args: offline },
  { name: 'node bundle: kubectl-canary --help', cmd: bin(BUNDLE_BIN, 'canary'), args: ['--help'] },
  { name: 'node bundle: kubectl-canary context --offline', cmd: bin(BUNDLE_BIN, 'canary'), args: offline },
  { name: 'kubectl canary --help (exe)', cmd: kubectl, args: ['canary', '--help'], env: envWith(SEA_BIN) },
  { name: 'kubectl canary --help (node bundle)', cmd: kubectl, args: ['canary', '--help'], env: envWith(BUNDLE_BIN) },
];
const kubeconfig = argv.includes('--kubeconfig') ? argv[argv.indexOf('--kubeconfig') + 1] : undefined;
if (kubeconfig) {
  cases.push(
    { name: 'kubectl version (server)', cmd: kubectl, args: ['--kubeconfig', kubeconfig, 'version'] },
    { name: 'exe: kubectl-canary context', cmd: bin(SEA_BIN, 'canary'), args: ['--kubeconfig', kubeconfig, 'context'] },
    { name: 'node bundle: kubectl-canary context', cmd: bin(BUNDLE_BIN, 'canary'), args: ['--kubeconfig', kubeconfig, 'context'] },
  );
}

const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const spawn = (c: Case) => spawnSync(c.cmd, c.args, { env: c.env ?? envWith(''), stdio: 'ignore' });
for (const c of cases) spawn(c); // warm the page cache
// A new order each round (a fixed seed, so two runs shuffle alike): whatever runs just before a
// command (and what it leaves in caches) changes from round to round.
let seed = 1;
const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647; // Park and Miller
for (let i = 0; i < runs; i++) {
  const order = [...cases];
  for (let j = order.length - 1; j > 0; j--) {
    const k = Math.floor(random() * (j + 1));
    [order[j], order[k]] = [order[k], order[j]];
  }
  for (const c of order) {
    const t = process.hrtime.bigint();
    const r = spawn(c);
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}`);
    times.get(c.name)!.push(ms);
  }
}
rmSync(work, { recursive: true, force: true });
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const floor = median(times.get(cases[0].name)!);
const kubectlFloor = median(times.get('kubectl version --client')!);
const rows = cases.map((c) => {
  const m = median(times.get(c.name)!);
  return { command: c.name, medianMs: Number(m.toFixed(1)), vsNode: Number((m / floor).toFixed(2)), vsKubectlVersion: Number((m / kubectlFloor).toFixed(2)) };
});

// Sizes: the full release if built, else the test build (linux-amd64 only).
const relDir = existsSync(join(REPO_ROOT, 'release', 'release.json')) ? join(REPO_ROOT, 'release') : join(REPO_ROOT, 'build', 'release-test');
const info = JSON.parse(readFileSync(join(relDir, 'release.json'), 'utf8')) as ReleaseInfo;
const mib = (n: number) => Number((n / 1024 / 1024).toFixed(1));
const sizes = info.platforms.map((p) => {
  const exe = p.executable ? join(relDir, `${p.os}-${p.arch}`, p.executable) : undefined;
  return {
    platform: `${p.os}/${p.arch}`,
    file: p.executable ?? 'six .cjs + lib/ (needs Node)',
    node: info.node[`${p.os}-${p.arch}`] ?? 'Node on PATH',
    executableMiB: exe && existsSync(exe) ? mib(statSync(exe).size) : undefined,
    gzipMiB: exe && existsSync(exe) ? mib(gzipSync(readFileSync(exe), { level: 9 }).length) : undefined,
    krewArchiveMiB: mib(statSync(join(relDir, p.archive)).size),
  };
});

if (argv.includes('--json')) {
  console.log(JSON.stringify({ runs, node: process.version, rows, sizes }, null, 2));
} else {
  console.log(
    `start-up, median of ${runs} interleaved runs (shuffled each round); exe = ${TEST_BUILD}/kubectl-* (one multi-call file, copied afresh with node and kubectl)`,
  );
  console.log(`NODE_EXTRA_CA_CERTS is ${process.env['NODE_EXTRA_CA_CERTS'] ? 'set (node reads extra CA certificates at start)' : 'not set'}`);
  const w = Math.max(...rows.map((r) => r.command.length)) + 2;
  console.log(`${'command'.padEnd(w)} ${'median'.padStart(9)} ${'x node -e 0'.padStart(12)} ${'x kubectl version'.padStart(18)}`);
  for (const r of rows)
    console.log(`${r.command.padEnd(w)} ${`${r.medianMs} ms`.padStart(9)} ${r.vsNode.toFixed(2).padStart(12)} ${r.vsKubectlVersion.toFixed(2).padStart(18)}`);
  console.log(`\nsizes (MiB) from ${relDir}`);
  console.log(`${'platform'.padEnd(15)} ${'built on'.padEnd(26)} ${'executable'.padStart(10)} ${'gzip -9'.padStart(8)} ${'krew archive'.padStart(13)}`);
  for (const s of sizes)
    console.log(
      `${s.platform.padEnd(15)} ${s.node.padEnd(26)} ${String(s.executableMiB ?? '-').padStart(10)} ${String(s.gzipMiB ?? '-').padStart(8)} ${String(s.krewArchiveMiB).padStart(13)}`,
    );
}

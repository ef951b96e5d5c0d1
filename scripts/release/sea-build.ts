// Builds the single executable for one target: the SEA blob (with a startup snapshot where the target's
// node can run here: natively, or under qemu-user for linux-arm64), injected with postject into the
// pinned Node binary, with the signature each format needs afterwards.
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { nodeBinary } from './node-binaries.js';
import { REPO_ROOT } from './paths.js';
import { BLOB_WRITERS, exeName, targetId, type Target } from './targets.js';
import { adhocSign, removeAuthenticode } from './signing.js';
import { sha256File } from '../../krew/package.js';

/** Node's SEA fuse: postject flips it so the binary looks for its blob. */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
export const MULTICALL = 'kubectl-traffic';

/**
 * V8 flags of an executable started from our snapshot. `--no-rehash-snapshot`: keep the hash seed the
 * snapshot was built with (`--hash-seed=1` below) instead of drawing a new one and rehashing every
 * hash table and the string table in each process. Drawing it (V8's rapidhash secret, primality tests
 * included) and rehashing was the largest single cost of a start; `node` pays it too. What it gives
 * up: a per-process seed, the defence against hash flooding (input crafted so that its keys collide).
 * A short-lived command reading its own cluster's API is not where that attack pays; README says so.
 */
export const SNAPSHOT_EXEC_ARGV = ['--no-rehash-snapshot'];

export interface SeaInputs {
  /** The bundled script (scripts/release/sea-bundle.ts). */
  script: string;
  /** name -> file, carried as SEA assets. */
  assets: Record<string, string>;
}

/** How to run a target's own node here, if it can run at all. */
export function nodeRunner(t: Target, node: string): { cmd: string; args: string[] } | undefined {
  if (t.snapshot === 'native') return { cmd: node, args: [] };
  if (t.snapshot === 'qemu')
    return { cmd: `qemu-${t.arch === 'arm64' ? 'aarch64' : 'x86_64'}`, args: ['-L', `/usr/${t.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, node] };
  return undefined;
}

/** Builds of one snapshot blob made before giving up on two that agree. */
const SNAPSHOT_ATTEMPTS = 6;

/**
 * Two builds of the same startup snapshot differ about one time in six (linux-amd64, measured): in one
 * bit of the heap and the checksum over it, also with V8's --predictable and its fixed GC schedule.
 * Their GC traces differ in heap sizes from the second scavenge on: timing inside the builder. Which
 * object holds the bit was not found. The blob kept is one that two builds wrote alike, the common
 * state, so two release builds almost always agree; not simply the first.
 */
export async function agreedSnapshot(blob: string, write: () => Promise<unknown>, log: (m: string) => void): Promise<void> {
  const seen = new Map<string, string>();
  for (let i = 1; i <= SNAPSHOT_ATTEMPTS; i++) {
    await write();
    const sum = sha256File(blob);
    if (seen.has(sum)) {
      copyFileSync(seen.get(sum)!, blob);
      if (i > 2) log(`the snapshot differed between builds; kept the one builds ${[...seen.keys()].indexOf(sum) + 1} and ${i} agree on`);
      for (const f of seen.values()) rmSync(f, { force: true });
      return;
    }
    const copy = `${blob}.${i}`;
    copyFileSync(blob, copy);
    seen.set(sum, copy);
  }
  throw new Error(`${SNAPSHOT_ATTEMPTS} builds of the startup snapshot, no two alike: V8's snapshot builder is not deterministic here`);
}

/**
 * `reproducible: false` writes the snapshot once (the bench's floor keeps its builder's process id in
 * its heap, so no two of its builds agree, and it is not released).
 */
export async function buildSea(
  t: Target,
  inputs: SeaInputs,
  outDir: string,
  work: string,
  log: (m: string) => void,
  { reproducible = true }: { reproducible?: boolean } = {},
): Promise<string> {
  const node = await nodeBinary(t.node, log);
  const dir = join(work, targetId(t));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const runner = nodeRunner(t, node);
  const blob = join(dir, 'sea.blob');
  const config = {
    main: inputs.script,
    output: blob,
    disableExperimentalSEAWarning: true,
    useSnapshot: runner !== undefined,
    useCodeCache: false,
    execArgv: runner ? SNAPSHOT_EXEC_ARGV : [],
    assets: inputs.assets,
  };
  writeFileSync(join(dir, 'sea-config.json'), JSON.stringify(config, null, 2));
  // Without a snapshot the blob holds only the script and assets; a node of the same version writes it.
  const writer = runner ?? { cmd: await nodeBinary(BLOB_WRITERS[t.node.version], log), args: [] };
  log(`${targetId(t)}: SEA blob${runner ? ' with a startup snapshot' : ''} (node ${t.node.version}${t.snapshot === 'qemu' ? ', under qemu-user' : ''})`);
  // Fixed seeds and no warnings: otherwise the snapshot holds a random hash seed and the builder's PID
  // (in the text of its ExperimentalWarning). What still differs between two builds is V8's own (see
  // agreedSnapshot).
  const flags = ['--hash-seed=1', '--random-seed=1', '--no-warnings'];
  const write = () => execa(writer.cmd, [...writer.args, ...flags, '--experimental-sea-config', join(dir, 'sea-config.json')], { cwd: dir, stdin: 'ignore' });
  if (runner && reproducible) await agreedSnapshot(blob, write, (m) => log(`${targetId(t)}: ${m}`));
  else await write();

  const exe = join(outDir, targetId(t), exeName(t, MULTICALL));
  mkdirSync(join(outDir, targetId(t)), { recursive: true });
  copyFileSync(node, exe);
  chmodSync(exe, 0o755);
  // A signature covers the bytes postject changes: take it off first, sign again after.
  if (t.format === 'pe') await removeAuthenticode(exe);
  // postject's CLI, so its progress lines and LIEF's warnings stay out of the build log unless it fails.
  await execa(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules', 'postject', 'dist', 'cli.js'),
      exe,
      'NODE_SEA_BLOB',
      blob,
      '--sentinel-fuse',
      SEA_FUSE,
      ...(t.format === 'macho' ? ['--macho-segment-name', 'NODE_SEA'] : []),
    ],
    { stdin: 'ignore' },
  );
  if (t.format === 'macho') await adhocSign(exe, log);
  chmodSync(exe, 0o755);
  return exe;
}

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

export async function buildSea(t: Target, inputs: SeaInputs, outDir: string, work: string, log: (m: string) => void): Promise<string> {
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
  // (in the text of its ExperimentalWarning). What still differs between two builds is Node's own: a
  // few bytes of build timing and the checksum over them.
  const flags = ['--hash-seed=1', '--random-seed=1', '--no-warnings'];
  await execa(writer.cmd, [...writer.args, ...flags, '--experimental-sea-config', join(dir, 'sea-config.json')], { cwd: dir, stdin: 'ignore' });

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

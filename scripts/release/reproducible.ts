// Builds the release twice into one folder and fails unless the second has the same bytes as the first
// (release() names the files and the inputs that differ). Default: the targets whose startup snapshot
// is built here (linux-amd64, and linux-arm64 under qemu-user); `--targets all` for every platform.
//   node build/scripts/release/reproducible.js [--targets linux-amd64,...|all] [--out DIR]
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './paths.js';
import { release, type ReleaseOptions } from './release.js';
import { TARGETS, targetId } from './targets.js';

/** Two builds, one after the other, into `out`: the files of the second that differ from the first. */
export async function buildTwice(targets: string[], out: string, log: (m: string) => void): Promise<string[]> {
  const opts: ReleaseOptions = { targets, out, index: false, log };
  await release(opts);
  const second = await release(opts);
  return second.changed ?? [];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (n: string) => {
    const i = process.argv.indexOf(`--${n}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const given = arg('targets');
  const targets = given === 'all' ? TARGETS.map(targetId) : (given?.split(',') ?? TARGETS.filter((t) => t.snapshot !== 'none').map(targetId));
  const changed = await buildTwice(targets, arg('out') ?? join(REPO_ROOT, 'build', 'reproducible'), (m) => console.error(`[reproducible] ${m}`));
  if (changed.length) {
    console.error(`[reproducible] ${targets.join(', ')}: ${changed.length} files differ between two builds`);
    process.exitCode = 1;
  } else console.error(`[reproducible] ${targets.join(', ')}: two builds, the same bytes`);
}

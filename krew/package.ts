// krew packaging: reproducible archives, and the manifests of our own krew index (krew/index/plugins/
// <name>.yaml, the content of the index repository). Every plugin's manifest lists the same archives:
// one single executable per platform serves all six plugins (it dispatches on the name krew links it
// as), and the Node bundle archive (all six scripts) serves darwin/arm64, where no Node binary can be
// had to build an executable on. `npm run release` (scripts/release/release.ts) calls these.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { CATALOG, type KrewEntry } from './catalog.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
export const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  homepage: string;
  krew: { releaseBaseUrl: string; indexName: string };
};

export interface Archive {
  file: string;
  sha256: string;
}

export const sha256File = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A reproducible .tar.gz of `files` (name in the archive -> source): sorted, owner 0, time 0, gzip without a timestamp. */
export async function reproducibleTarGz(files: Record<string, string>, out: string): Promise<Archive> {
  const stage = mkdtempSync(join(tmpdir(), 'krew-stage-'));
  try {
    for (const [name, src] of Object.entries(files)) cpSync(src, join(stage, name), { recursive: true });
    const names = readdirSync(stage, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name).slice(stage.length + 1))
      .sort();
    const tar = await execa(
      'tar',
      ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--mode=go-w', '-C', stage, '-cf', '-', ...names],
      {
        encoding: 'buffer',
        stdin: 'ignore',
        maxBuffer: 1024 * 1024 * 1024,
      },
    );
    const gz = await execa('gzip', ['-n', '-9'], { input: tar.stdout, encoding: 'buffer', maxBuffer: 1024 * 1024 * 1024 });
    writeFileSync(out, gz.stdout);
    return { file: out, sha256: sha256File(out) };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** The six bundled scripts, their shared lazy libraries and licence notices: runs wherever Node 20.19+ is on PATH. */
export async function nodeArchive(outDir: string): Promise<Archive> {
  const dist = join(ROOT, 'dist');
  if (!existsSync(join(dist, 'lib'))) throw new Error('dist/ is missing: run npm run build first');
  const files: Record<string, string> = { LICENSE: join(ROOT, 'LICENSE'), lib: join(dist, 'lib') };
  for (const f of readdirSync(dist)) if (/^kubectl-.*\.cjs(\.LEGAL\.txt)?$/.test(f)) files[f] = join(dist, f);
  return reproducibleTarGz(files, join(outDir, `kubectl-traffic-v${pkg.version}-node.tar.gz`));
}

export type Os = 'linux' | 'darwin' | 'windows';
export type Arch = 'amd64' | 'arm64';

/** One platform entry of a manifest: which archive, and which file in it krew links as kubectl-<plugin>. */
export interface PlatformRelease {
  os: Os;
  arch: Arch;
  archive: Archive;
  /** The single executable's name, or undefined for the Node bundle (each plugin's own script). */
  executable: string | undefined;
}

export function caveats(e: KrewEntry, platforms: PlatformRelease[]): string {
  const exe = platforms.filter((p) => p.executable).map((p) => `${p.os}/${p.arch}`);
  const node = platforms.filter((p) => !p.executable).map((p) => `${p.os}/${p.arch}`);
  return [
    exe.length ? `On ${exe.join(', ')} this is one executable with Node.js built in (the same file serves all six kubectl-traffic plugins).` : '',
    node.length
      ? `On ${node.join(', ')} it is a Node.js script: it needs Node.js 20.19 or newer on PATH (node --version); no Node.js binary for that platform could be built into an executable.`
      : '',
    exe.some((p) => p.startsWith('linux/'))
      ? 'Linux: the executable needs libatomic.so.1 (Debian/Ubuntu: apt install libatomic1; Fedora: dnf install libatomic).'
      : '',
    exe.some((p) => p.startsWith('darwin/')) ? 'macOS: the executable is signed ad hoc, not with a Developer ID; it runs as krew installs it.' : '',
    `Completion for 'kubectl ${e.name} <TAB>' (kubectl 1.26+): kubectl ${e.name} completion --install-kubectl-helper`,
  ]
    .filter(Boolean)
    .join('\n');
}

export function manifest(e: KrewEntry, version: string, baseUrl: string, platforms: PlatformRelease[], homepage = pkg.homepage): Record<string, unknown> {
  return {
    apiVersion: 'krew.googlecontainertools.github.com/v1alpha2',
    kind: 'Plugin',
    metadata: { name: e.name },
    spec: {
      version: `v${version}`,
      homepage,
      shortDescription: e.shortDescription,
      description: e.description + '\n',
      caveats: caveats(e, platforms) + '\n',
      platforms: platforms.map((p) => ({
        selector: { matchLabels: { os: p.os, arch: p.arch } },
        uri: `${baseUrl.replace(/\/$/, '')}/${basename(p.archive.file)}`,
        sha256: p.archive.sha256,
        files: [{ from: '*', to: '.' }],
        bin: p.executable ?? `${e.binary}.cjs`,
      })),
    },
  };
}

/** Writes <dir>/plugins/<name>.yaml for every plugin; returns the files written. */
export function writeIndex(dir: string, version: string, baseUrl: string, platforms: PlatformRelease[]): string[] {
  mkdirSync(join(dir, 'plugins'), { recursive: true });
  const header = '# Generated by `npm run release` (krew/package.ts); edit krew/catalog.ts instead.\n';
  return CATALOG.map((e) => {
    const file = join(dir, 'plugins', `${e.name}.yaml`);
    writeFileSync(file, header + yaml.dump(manifest(e, version, baseUrl, platforms), { lineWidth: -1, noRefs: true }));
    return file;
  });
}

export const releaseBaseUrl = (version = pkg.version) => pkg.krew.releaseBaseUrl.replace('{version}', `v${version}`);

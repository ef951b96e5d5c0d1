// The single executable's pure parts: which plugin a name runs, where it was started from, and what
// the release build reads from headers and writes into manifests.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandName, dispatch } from '../../sea/dispatch.js';
import { invokedPath } from '../../sea/invoked.js';
import { positionalNames, typedWords } from '../../shared/commands/complete-names.js';
import { plugin as canary } from '../../plugins/canary/cli.js';
import { inspectExecutable } from '../../scripts/release/inspect.js';
import { agreedSnapshot } from '../../scripts/release/sea-build.js';
import { reportReproducibility } from '../../scripts/release/release.js';
import { manifest, type PlatformRelease } from '../../krew/package.js';
import { CATALOG } from '../../krew/catalog.js';

const PLUGINS = ['canary', 'bluegreen', 'ingress-ha', 'meshvm', 'meshremote', 'trace'];

describe('single executable: dispatch on the name it was started as', () => {
  const cases: [string, string[], string | undefined, string[]][] = [
    ['/home/u/.krew/bin/kubectl-canary', ['status'], 'canary', ['status']],
    ['kubectl-ingress_ha', ['check'], 'ingress-ha', ['check']],
    ['C:\\Users\\u\\.krew\\bin\\kubectl-ingress_ha.exe', ['--help'], 'ingress-ha', ['--help']],
    ['KUBECTL-TRACE.EXE', [], undefined, []], // names are case-sensitive, only the suffix is not
    ['/usr/local/bin/kubectl_complete-bluegreen', ['set', ''], 'bluegreen', ['__complete', 'set', '']],
    ['/opt/kubectl-traffic', ['meshvm', '--help'], 'meshvm', ['--help']],
    ['/opt/kubectl-traffic', ['--help'], undefined, ['--help']],
    ['/opt/kubectl-traffic', ['ingress_ha'], undefined, ['ingress_ha']],
    ['/opt/kubectl-nope', ['canary'], 'canary', []],
  ];
  for (const [invoked, args, plugin, rest] of cases) {
    it(`${invoked} ${args.join(' ')} -> ${plugin ?? 'its own help'}`, () => {
      assert.deepEqual(dispatch(invoked, args, PLUGINS), { plugin, args: rest });
    });
  }
  it('commandName strips folders of either separator and .exe', () => {
    assert.equal(commandName('a/b\\kubectl-canary.EXE'), 'kubectl-canary');
  });
});

describe('single executable: the path it was started as', () => {
  it('absolute and relative paths as given (links not resolved), bare names found on PATH', () => {
    const dir = mkdtempSync(join(tmpdir(), 'invoked-'));
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'kubectl-canary'), '');
    chmodSync(join(dir, 'bin', 'kubectl-canary'), 0o755);
    assert.equal(invokedPath('/x/kubectl-canary', {}, '/cwd', '/exe'), '/x/kubectl-canary');
    assert.equal(invokedPath('bin/kubectl-canary', {}, dir, '/exe'), join(dir, 'bin', 'kubectl-canary'));
    assert.equal(invokedPath('kubectl-canary', { PATH: `/nonexistent:${join(dir, 'bin')}` }, '/cwd', '/exe'), join(dir, 'bin', 'kubectl-canary'));
    assert.equal(invokedPath('kubectl-canary', { PATH: '/nonexistent' }, '/cwd', '/exe'), '/exe');
  });
});

describe('completion: which positional the word being completed is', () => {
  it('positionals of a command string', () => {
    assert.deepEqual(positionalNames('nodes <action> [nodes..]'), [
      { name: 'action', variadic: false },
      { name: 'nodes', variadic: true },
    ]);
  });
  it('flags and their values are not positionals, wherever they stand', () => {
    const t = typedWords(canary, ['-n', 'shop', 'set', '--total', '5', 'new-nginx', '--wait']);
    assert.equal(t.spec?.command, 'set <canary> <percent>');
    assert.deepEqual(t.positionals, ['new-nginx']);
    assert.equal(t.args['namespace'], 'shop');
  });
});

describe('release: reading executables we cannot run', () => {
  const FUSE = 'NODE_SEA_FUSE_x';
  it('ELF machine and the flipped fuse', () => {
    const b = Buffer.alloc(64);
    b.writeUInt32BE(0x7f454c46, 0);
    b.writeUInt16LE(0xb7, 0x12);
    const i = inspectExecutable(Buffer.concat([b, Buffer.from(`${FUSE}:1`)]), FUSE);
    assert.deepEqual(i, { format: 'elf', arch: 'arm64', seaFuseFlipped: true, signed: false });
    assert.equal(inspectExecutable(Buffer.concat([b, Buffer.from(`${FUSE}:0`)]), FUSE).seaFuseFlipped, false);
  });
  it('Mach-O: CPU, the NODE_SEA segment and LC_CODE_SIGNATURE', () => {
    const b = Buffer.alloc(32 + 72 + 16);
    b.writeUInt32LE(0xfeedfacf, 0);
    b.writeUInt32LE(0x01000007, 4);
    b.writeUInt32LE(2, 16);
    b.writeUInt32LE(0x19, 32);
    b.writeUInt32LE(72, 36);
    b.write('NODE_SEA', 40, 'latin1');
    b.writeUInt32LE(0x1d, 104);
    b.writeUInt32LE(16, 108);
    assert.deepEqual(inspectExecutable(b, FUSE), { format: 'macho', arch: 'amd64', seaFuseFlipped: false, machoSeaSegment: true, signed: true });
  });
  it('PE: machine and the certificate table', () => {
    const b = Buffer.alloc(0x200);
    b.write('MZ', 0, 'latin1');
    b.writeUInt32LE(0x80, 0x3c);
    b.write('PE\0\0', 0x80, 'latin1');
    b.writeUInt16LE(0x8664, 0x84);
    b.writeUInt16LE(0x20b, 0x98);
    assert.deepEqual(inspectExecutable(b, FUSE), { format: 'pe', arch: 'amd64', seaFuseFlipped: false, signed: false });
    b.writeUInt32LE(4096, 0x98 + 112 + 8 * 4 + 4);
    assert.equal(inspectExecutable(b, FUSE).signed, true);
  });
});

describe('release: reproducibility report', () => {
  it('same bytes; or the files and inputs that differ; or the snapshot alone', () => {
    const lines: string[] = [];
    const log = (m: string) => void lines.push(m);
    assert.deepEqual(reportReproducibility({ a: '1' }, { a: '1' }, {}, {}, log), []);
    assert.match(lines.pop()!, /same bytes/);
    reportReproducibility({ a: '1', b: '2' }, { a: '1', b: '3' }, { script: 'x', '(built) SEA blob': 'p' }, { script: 'y', '(built) SEA blob': 'q' }, log);
    assert.deepEqual(lines.splice(0), ['not the same bytes as the previous build: b', 'inputs that differ: script (x -> y)']);
    reportReproducibility({ b: '2' }, { b: '3' }, { script: 'x', '(built) SEA blob': 'p' }, { script: 'x', '(built) SEA blob': 'q' }, log);
    assert.equal(lines[1], 'no input differs');
    assert.match(lines[2], /^built from the same inputs but different: \(built\) SEA blob \(p -> q\); Node's snapshot builder/);
  });
});

describe('krew manifests', () => {
  it('every platform points at its archive; darwin/arm64 at the Node bundle, with a caveat', () => {
    const archive = (name: string) => ({ file: `/r/${name}`, sha256: name.length.toString(16).padStart(64, '0') });
    const platforms: PlatformRelease[] = [
      { os: 'linux', arch: 'amd64', archive: archive('kubectl-traffic-v1.0.0-linux-amd64.tar.gz'), executable: 'kubectl-traffic' },
      { os: 'windows', arch: 'amd64', archive: archive('kubectl-traffic-v1.0.0-windows-amd64.tar.gz'), executable: 'kubectl-traffic.exe' },
      { os: 'darwin', arch: 'arm64', archive: archive('kubectl-traffic-v1.0.0-node.tar.gz'), executable: undefined },
    ];
    const m = manifest(CATALOG[1], '1.0.0', 'https://example.invalid/v1.0.0/', platforms, 'https://example.invalid') as {
      spec: { version: string; caveats: string; platforms: { selector: unknown; uri: string; bin: string }[] };
    };
    assert.equal(m.spec.version, 'v1.0.0');
    assert.deepEqual(
      m.spec.platforms.map((p) => [p.selector, p.uri, p.bin]),
      [
        [{ matchLabels: { os: 'linux', arch: 'amd64' } }, 'https://example.invalid/v1.0.0/kubectl-traffic-v1.0.0-linux-amd64.tar.gz', 'kubectl-traffic'],
        [
          { matchLabels: { os: 'windows', arch: 'amd64' } },
          'https://example.invalid/v1.0.0/kubectl-traffic-v1.0.0-windows-amd64.tar.gz',
          'kubectl-traffic.exe',
        ],
        [{ matchLabels: { os: 'darwin', arch: 'arm64' } }, 'https://example.invalid/v1.0.0/kubectl-traffic-v1.0.0-node.tar.gz', 'kubectl-bluegreen.cjs'],
      ],
    );
    assert.match(m.spec.caveats, /On darwin\/arm64 it is a Node\.js script: it needs Node\.js 20\.19/);
    assert.match(m.spec.caveats, /libatomic/);
    assert.match(m.spec.caveats, /kubectl bluegreen completion --install-kubectl-helper/);
  });
});

describe('release: a startup snapshot two builds agree on', () => {
  // A builder whose blob is each time the next of the given contents.
  async function keep(contents: string[]): Promise<{ kept: string; builds: number; log: string[] }> {
    const dir = mkdtempSync(join(tmpdir(), 'agreed-'));
    const blob = join(dir, 'sea.blob');
    const log: string[] = [];
    let builds = 0;
    const write = async () => writeFileSync(blob, contents[builds++]);
    try {
      await agreedSnapshot(blob, write, (m) => log.push(m));
      return { kept: readFileSync(blob, 'utf8'), builds, log };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('two alike at once: kept after two builds, nothing said', async () => {
    assert.deepEqual(await keep(['a', 'a']), { kept: 'a', builds: 2, log: [] });
  });

  it('the odd build is not the one kept, whichever build it was', async () => {
    const first = await keep(['odd', 'a', 'a']);
    assert.deepEqual([first.kept, first.builds], ['a', 3]);
    assert.match(first.log.join('\n'), /differed between builds; kept the one builds 2 and 3 agree on/);
    const second = await keep(['a', 'odd', 'a']);
    assert.deepEqual([second.kept, second.builds], ['a', 3]);
    assert.match(second.log.join('\n'), /builds 1 and 3 agree on/);
  });

  it('no two alike in six builds: the build fails', async () => {
    await assert.rejects(keep(['1', '2', '3', '4', '5', '6', '7']), /6 builds of the startup snapshot, no two alike/);
  });
});

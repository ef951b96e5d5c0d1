// Installs every plugin with the real krew, offline, from the manifests and archives `npm run krew`
// produces, and runs each one as kubectl would.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { bin } from '../harness/binaries.js';
import { packageAll } from '../../krew/package.js';
import { CATALOG } from '../../krew/catalog.js';

describe('krew packaging', function () {
  this.timeout(120_000);

  it('manifests carry the archive sha256; krew installs each plugin offline and kubectl runs it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'krew-out-'));
    const results = await packageAll({ out, manifestDir: out, baseUrl: 'https://example.invalid/releases/{version}' });
    assert.equal(results.length, 6);
    const krewRoot = mkdtempSync(join(tmpdir(), 'krew-root-'));
    const env = { KREW_ROOT: krewRoot, HOME: krewRoot, PATH: [join(krewRoot, 'bin'), dirname(process.execPath), '/usr/bin', '/bin'].join(':'), NO_COLOR: '1' };
    for (const r of results) {
      const doc = yaml.load(readFileSync(r.manifest, 'utf8')) as {
        metadata: { name: string };
        spec: { platforms: { uri: string; sha256: string; bin: string }[]; caveats: string };
      };
      assert.equal(doc.metadata.name, r.name);
      assert.match(doc.spec.caveats, /Node\.js 20\.19/);
      for (const p of doc.spec.platforms) {
        assert.equal(p.sha256, r.sha256);
        assert.match(p.uri, new RegExp(`^https://example\\.invalid/releases/v\\d+\\.\\d+\\.\\d+/kubectl-${r.name.replace(/-/g, '_')}-v`));
      }
      const install = await execa(bin('kubectl-krew'), ['install', `--manifest=${r.localManifest}`, `--archive=${r.archive}`], {
        env,
        extendEnv: false,
        reject: false,
        stdin: 'ignore',
      });
      assert.equal(install.exitCode, 0, install.stderr);
    }
    // krew records each install in a receipt (`krew list` would need the online index).
    for (const e of CATALOG) assert.ok(existsSync(join(krewRoot, 'receipts', `${e.name}.yaml`)), `receipt for ${e.name}`);
    for (const e of CATALOG) {
      const help = await execa(bin('kubectl'), [e.name, '--help'], { env, extendEnv: false, reject: false, stdin: 'ignore' });
      assert.equal(help.exitCode, 0, `${e.name}: ${help.stderr}`);
      assert.match(help.stdout, new RegExp(`^kubectl ${e.name} - `));
    }
  });

  it('archives are reproducible: packaging twice gives the same sha256', async () => {
    const dirA = mkdtempSync(join(tmpdir(), 'krew-a-'));
    const dirB = mkdtempSync(join(tmpdir(), 'krew-b-'));
    const a = await packageAll({ out: dirA, manifestDir: dirA });
    const b = await packageAll({ out: dirB, manifestDir: dirB });
    assert.deepEqual(
      a.map((r) => r.sha256),
      b.map((r) => r.sha256),
    );
  });
});

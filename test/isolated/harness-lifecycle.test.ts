// The harness cleans up after itself even when its process is interrupted, and its build script
// honours KUBEBUILDER_ASSETS.
import assert from 'node:assert/strict';
import { isRunning } from '../harness/processes.js';
import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { harnessChild } from '../support/child.js';
import { REPO_ROOT, binDir, BINARIES } from '../harness/binaries.js';

async function gone(pids: number[], ms = 5000): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (pids.some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return pids.filter(isRunning);
}

describe('harness lifecycle', function () {
  this.timeout(120_000);

  it('an interrupted test process (SIGINT) leaves no control-plane process and no temp folder', async () => {
    const script = `
      import { startCluster } from ${JSON.stringify(join(REPO_ROOT, 'build/test/harness/cluster.js'))};
      const c = await startCluster({ istio: false, nodes: [{ name: 'n1' }] });
      console.log(JSON.stringify({ dir: c.state.dir, pids: c.state.processes.map((p) => p.pid) }));
      setInterval(() => {}, 1000);
    `;
    const { child, ready } = await harnessChild<{ dir: string; pids: number[] }>(script);
    const { dir, pids } = ready;
    assert.ok(pids.every(isRunning) && existsSync(dir));
    child.kill('SIGINT');
    const r = await child;
    assert.equal(r.exitCode, 130);
    assert.deepEqual(await gone(pids), []);
    assert.equal(existsSync(dir), false);
  });

  it('build.sh takes binaries from KUBEBUILDER_ASSETS instead of building them', async () => {
    const assets = mkdtempSync(join(tmpdir(), 'assets-'));
    for (const b of BINARIES) symlinkSync(join(binDir(), b), join(assets, b));
    const cache = mkdtempSync(join(tmpdir(), 'kpc-'));
    try {
      const r = await execa('bash', [join(REPO_ROOT, 'test/controlplane/build.sh')], {
        env: { KUBEBUILDER_ASSETS: assets, KPLUGINS_CACHE: cache },
        stdin: 'ignore',
      });
      const out = r.stdout.trim();
      for (const b of BINARIES) assert.ok(lstatSync(join(out, b)).isSymbolicLink(), `${b} linked from the assets`);
      assert.match(r.stderr, /using kube-apiserver from KUBEBUILDER_ASSETS/);
      assert.doesNotMatch(r.stderr, /compiling/);
      assert.ok(readdirSync(join(out, 'kwok-stages')).length > 0);
      assert.ok(existsSync(join(out, 'istio-crds.yaml')));
    } finally {
      // The links and the throwaway cache (its own folder of links and module downloads).
      for (const d of [assets, cache]) rmSync(d, { recursive: true, force: true });
    }
  });
});

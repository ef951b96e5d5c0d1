// The README's seed 001 chapter 6 walk-through, as a newcomer runs it: `npm run playground -- --clusters 2`,
// preflight, the seed's two scripts as two commands, list and endpoints, then stop leaves nothing running.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../harness/binaries.js';
import { isRunning } from '../harness/processes.js';
import type { MeshPlaygroundState } from '../playground/mesh.js';

const CLI = join(REPO_ROOT, 'build', 'test', 'playground', 'cli.js');

describe('playground --clusters 2 and the chapter 6 walk-through', function () {
  this.timeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'playground-mesh-'));
  const work = mkdtempSync(join(tmpdir(), 'walk-'));
  const playground = (args: string[]) =>
    execa(process.execPath, [CLI, ...args], { env: { ...process.env, KPLUGINS_PLAYGROUND_DIR: dir }, reject: false, stdin: 'ignore' });

  after(async () => {
    await playground(['stop']);
    rmSync(dir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('starts the seed layout, the README commands link remote1, stop removes it all', async () => {
    const start = await playground(['--clusters', '2']);
    assert.equal(start.exitCode, 0, start.stderr);
    const kubeconfig = /export KUBECONFIG=(\S+)/.exec(start.stdout)?.[1];
    const path = /export PATH=(\S+)/.exec(start.stdout)?.[1];
    assert.ok(kubeconfig && existsSync(kubeconfig) && path, start.stdout);
    const env = { PATH: path.replace('$PATH', process.env['PATH'] ?? ''), KUBECONFIG: kubeconfig, NO_COLOR: '1' };
    // The README's lines, run by name from the PATH the playground printed, as a user types them.
    const kubectl = (line: string) => execa('kubectl', line.split(' '), { env, cwd: work, reject: false, stdin: 'ignore', extendEnv: false });

    const contexts = await kubectl('config get-contexts -o name');
    assert.deepEqual(contexts.stdout.split('\n').sort(), ['primary', 'remote1']);
    assert.equal((await kubectl('config current-context')).stdout, 'primary');

    const preflight = await kubectl('meshremote preflight --remote-context remote1');
    assert.equal(preflight.exitCode, 0, preflight.stdout + preflight.stderr);
    assert.match(preflight.stdout, /^pod-cidr\s+remote1\s+PASS\s+172\.20\.0\.0\/24 /m);
    assert.match(preflight.stdout, /^service-cidr\s+primary\s+PASS\s+172\.19\.0\.0\/20 /m);
    assert.match(preflight.stdout, /\n\d+ passed, \d+ warned, 0 failed, \d+ not checkable from here$/);

    const refused = await kubectl('meshremote generate-kubeconfig myremote1 --context remote1');
    assert.equal(refused.exitCode, 1);
    assert.match(refused.stderr, /calls itself "remote1"/);

    const generated = await kubectl('meshremote generate-kubeconfig remote1 --context remote1');
    assert.equal(generated.exitCode, 0, generated.stderr);
    const created = await kubectl('meshremote create-secret remote1 --from-kubeconfig remote1.kubeconfig');
    assert.equal(created.exitCode, 0, created.stderr);
    assert.match(created.stdout, /^secret\/istio-remote-secret-remote1 created\nistiod pod istiod-harness reports cluster remote1 synced/);

    const list = await kubectl('meshremote list');
    assert.match(list.stdout, /^remote1\s+https:\/\/\S+\s+yes\s+\d{4}-\d\d-\d\d \(36\dd\)\s+synced$/m);
    const pod = (await kubectl('--context remote1 -n bookinfo get pods -l app=details -o jsonpath={.items[0].status.podIP}')).stdout;
    const endpoints = await kubectl('meshremote endpoints details.bookinfo');
    assert.match(endpoints.stdout, new RegExp(`^remote1\\s+${pod.replace(/\./g, '\\.')}\\s+true\\s+9080\\s+pod/details-`, 'm'));

    const state = JSON.parse(readFileSync(join(dir, 'mesh.json'), 'utf8')) as MeshPlaygroundState;
    const pids = state.clusters.flatMap((c) => c.processes.map((p) => p.pid));
    const stop = await playground(['stop']);
    assert.match(stop.stdout, /^Mesh playground stopped and removed\./m);
    assert.deepEqual(
      pids.filter((p) => isRunning(p)),
      [],
    );
    assert.ok(!existsSync(join(dir, 'mesh')));
  });
});

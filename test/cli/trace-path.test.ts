// Two `kubectl trace` plugins on one machine (ours and iovisor's kubectl-trace, which krew's default
// index installs as `trace`): kubectl runs the first kubectl-trace on PATH and `kubectl plugin list`
// names the other as overshadowed, as the README says.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT, bin } from '../harness/binaries.js';

describe('kubectl trace beside another kubectl-trace on PATH', function () {
  this.timeout(30_000);
  let dir: string;
  let ours: string;
  let theirs: string;
  const kubectl = (path: string[], args: string[]) =>
    execa(bin('kubectl'), args, { reject: false, env: { PATH: [...path, '/usr/bin', '/bin'].join(':'), HOME: dir, NO_COLOR: '1' }, extendEnv: false });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trace-path-'));
    ours = join(dir, 'traffic');
    theirs = join(dir, 'krew-bin');
    mkdirSync(ours);
    mkdirSync(theirs);
    symlinkSync(join(REPO_ROOT, 'dist', 'bin', 'kubectl-trace'), join(ours, 'kubectl-trace'));
    // Stands in for iovisor's kubectl-trace (a Go binary that schedules bpftrace programs).
    writeFileSync(join(theirs, 'kubectl-trace'), '#!/bin/sh\necho "iovisor kubectl-trace $*"\n');
    chmodSync(join(theirs, 'kubectl-trace'), 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('kubectl runs the first one on PATH', async () => {
    const first = await kubectl([ours, theirs], ['trace', '--help']);
    assert.equal(first.exitCode, 0, first.stderr);
    assert.match(first.stdout, /^kubectl trace - Istio tracing settings/);
    const second = await kubectl([theirs, ours], ['trace', 'run', 'node/x']);
    assert.equal(second.stdout, 'iovisor kubectl-trace run node/x');
  });

  it('kubectl plugin list names the overshadowed one', async () => {
    const r = await kubectl([ours, theirs], ['plugin', 'list']);
    assert.match(r.stderr, new RegExp(`warning: ${theirs}/kubectl-trace is overshadowed by a similarly named plugin: ${ours}/kubectl-trace`));
  });
});

// stdout/stderr written straight to a pipe: every byte arrives in order, and a reader that goes away
// ends the writer through its `closed` callback (the runner's quiet exit 0), not an error.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/binaries.js';

const MODULE = join(REPO_ROOT, 'build', 'shared', 'output', 'std-writer.js');

/** Runs a script in a child node with `stdWriter` imported; resolves to its exit code and output. */
function child(script: string, readBytes?: number): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const code = `import(${JSON.stringify(MODULE)}).then(({ stdWriter }) => { ${script} });`;
  const p = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  let got = 0;
  p.stdout.on('data', (b: Buffer) => {
    out.push(b);
    got += b.length;
    if (readBytes !== undefined && got >= readBytes) p.stdout.destroy();
  });
  p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr })));
}

describe('std writer: a pipe written directly', function () {
  this.timeout(20_000);
  it('every byte, multi-byte characters across the pipe buffer, in order with stderr lines', async () => {
    const r = await child(`
      const out = stdWriter(1, () => process.exit(9));
      const err = stdWriter(2, () => process.exit(9));
      for (let i = 0; i < 2000; i++) out.write(i + ' ✓ — ünïcödé ' + 'x'.repeat(i % 97) + '\\n');
      err.write('done\\n');
    `);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'done\n');
    const lines = r.stdout.toString('utf8').trimEnd().split('\n');
    assert.equal(lines.length, 2000);
    lines.forEach((l, i) => assert.equal(l, `${i} ✓ — ünïcödé ${'x'.repeat(i % 97)}`));
  });

  it('a reader that stops early: `closed` is called (EPIPE), no stack trace', async () => {
    const r = await child(
      `
      const out = stdWriter(1, () => { process.stderr.write('closed\\n'); process.exit(0); });
      const tick = () => { out.write('y'.repeat(65536)); setImmediate(tick); };
      tick();
    `,
      1,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'closed\n');
  });

  it('the same writer for a descriptor each time', async () => {
    const r = await child(`process.exit(stdWriter(1, () => {}) === stdWriter(1, () => {}) ? 0 : 1);`);
    assert.equal(r.code, 0, r.stderr);
  });
});

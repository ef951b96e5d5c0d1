import assert from 'node:assert/strict';
import { startProgress } from '../../shared/output/spinner.js';
import { Buffer } from '../support/buffers.js';

describe('progress on stderr', () => {
  it('not a terminal: plain lines, each state once, no escape codes', async () => {
    const err = new Buffer(false);
    const p = await startProgress(err, false, false, 'waiting for deployment.apps/web');
    p.update('1 of 3 updated replicas are available');
    p.update('1 of 3 updated replicas are available');
    p.succeed('deployment.apps/web rolled out');
    assert.equal(err.text, 'waiting for deployment.apps/web\n1 of 3 updated replicas are available\ndeployment.apps/web rolled out\n');
  });

  it('a terminal: an ora spinner on the given stream, ending with a mark', async () => {
    const err = new Buffer(true);
    const p = await startProgress(err, true, false, 'waiting');
    p.update('almost');
    p.succeed('done');
    assert.match(err.text, /⠋ waiting/);
    assert.match(err.text, /\n?✔ done\n$/, 'no colour codes around the mark without colour');
    const coloured = new Buffer(true);
    const q = await startProgress(coloured, true, true, 'waiting');
    q.fail('broke');
    assert.match(coloured.text, /\u001b\[31m✖\u001b\[39m broke\n$/);
  });

  it('quiet: nothing at all', async () => {
    const err = new Buffer(true);
    const p = await startProgress(err, true, false, 'x', true);
    p.update('y');
    p.succeed('z');
    assert.equal(err.text, '');
  });
});

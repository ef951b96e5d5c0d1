// istiod's life in the harness: a crash is reported with the tail of istiod's own log (at start-up and
// later), and stopping the harness leaves no istiod and no listening port behind.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { isRunning } from '../harness/processes.js';
import { startCluster, type Cluster } from '../harness/cluster.js';
import { startIstiod } from '../harness/istiod.js';
import { makeIntermediate, makeMeshRoot } from '../harness/mesh-ca.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

describe('istiod lifecycle', function () {
  this.timeout(180_000);
  let c: Cluster | undefined;
  const tmp = mkdtempSync(join(tmpdir(), 'istiod-ca-'));
  after(async () => {
    await c?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('reports an istiod that exits at start-up with the tail of its log (an incomplete cacerts Secret)', async () => {
    c = await startCluster({ name: 'lifecycle', nodes: [{ name: 'lc-1' }] });
    const certs = await makeIntermediate(await makeMeshRoot(tmp), 'lifecycle');
    await c.kubectl(['create', 'namespace', 'istio-system']);
    // No ca-key.pem: Istio refuses a plugged-in CA bundle with a missing file.
    await c.kubectl([
      '-n',
      'istio-system',
      'create',
      'secret',
      'generic',
      'cacerts',
      `--from-literal=ca-cert.pem=${certs['ca-cert.pem']}`,
      `--from-literal=root-cert.pem=${certs['root-cert.pem']}`,
      `--from-literal=cert-chain.pem=${certs['cert-chain.pem']}`,
    ]);
    await assert.rejects(startIstiod(c, { env: { USE_REMOTE_CERTS: 'true' }, timeoutMs: 60_000 }), (err: Error) => {
      assert.match(err.message, /^istiod exited while waiting for istiod \/ready; see .*istiod\.log:/);
      assert.match(err.message, /incomplete signing CA bundle/);
      return true;
    });
    await c.kubectl(['-n', 'istio-system', 'delete', 'secret', 'cacerts']);
  });

  it('reports an istiod that dies after it was ready, then stopping the cluster leaves no istiod', async () => {
    assert.ok(c);
    const first = await c.startIstiod();
    process.kill(first.state.pid, 'SIGKILL');
    await assert.rejects(first.debug('registryz'), (err: Error) => {
      assert.match(err.message, /^istiod for cluster lifecycle exited with SIGKILL; last lines of .*istiod\.log:\n/);
      assert.ok(err.message.split('\n').length > 5, 'log lines follow');
      return true;
    });

    const istiod = await c.startIstiod();
    const ports = Object.values(istiod.ports);
    assert.ok(isRunning(istiod.state.pid));
    // pilot-discovery ignores flags it does not know: every port listening shows each address flag took.
    for (const [name, p] of Object.entries(istiod.ports)) assert.ok(await listening(p), `istiod listens on its ${name} port ${p}`);
    await c.stop();
    c = undefined;
    assert.equal(isRunning(istiod.state.pid), false, 'istiod stopped with the cluster');
    for (const p of ports) assert.equal(await listening(p), false, `nothing listens on istiod's port ${p}`);
  });
});

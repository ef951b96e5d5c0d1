// kubectl canary probe against the playground's data plane: the measured share follows the weight set.
// (Through the real kube-proxy on a LoadBalancer address: test/integration/network.test.ts.)
import assert from 'node:assert/strict';
import { assertShare } from '../support/share.js';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { execa } from 'execa';
import { sharedCluster } from '../support/fixture.js';
import { REPO_ROOT } from '../harness/binaries.js';
import type { Cluster } from '../harness/cluster.js';
import { startDataPlane, type DataPlane } from '../playground/dataplane.js';
import { scenario } from '../support/scenario.js';

const NS = 'canary-probe';

describe('kubectl canary probe', function () {
  this.timeout(180_000);
  let c: Cluster;
  let dp: DataPlane;
  const canary = (args: string[]) =>
    execa(join(REPO_ROOT, 'dist', 'bin', 'kubectl-canary'), [...args, '--kubeconfig', c.kubeconfig, '-n', NS], {
      reject: false,
      stdin: 'ignore',
      env: { NO_COLOR: '1', PATH: process.env['PATH'] ?? '' },
      extendEnv: false,
    });

  before(async () => {
    c = await sharedCluster();
    await c.kubectl(['create', 'namespace', NS]);
    await c.apply(scenario('01-l4-canary.yaml', NS));
    await c.kubectl(['-n', NS, 'wait', '--for=condition=Available', 'deployment', '--all', '--timeout=60s']);
    dp = await startDataPlane({ kubeconfig: c.kubeconfig, refreshMs: 100 });
  });
  after(async () => dp?.close());

  for (const [percent, total] of [
    [20, 5],
    [75, 4],
  ] as const) {
    it(`after set ${percent}% the measured share of the canary agrees with it`, async () => {
      const set = await canary(['set', 'new-nginx', String(percent), '--total', String(total)]);
      assert.equal(set.exitCode, 0, set.stderr);
      // Wait until the EndpointSlices (and so the data plane) have every ready pod.
      for (let i = 0; i < 50; i++) {
        await dp.refresh();
        const first = await canary(['probe', `http://127.0.0.1:${dp.port}/`, '--host', `nginx.${NS}`, '--count', '40', '-o', 'json']);
        const doc = JSON.parse(first.stdout) as { versions: { version: string }[] };
        if (doc.versions.length === 2) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const r = await canary([
        'probe',
        `http://127.0.0.1:${dp.port}/`,
        '--host',
        `nginx.${NS}`,
        '--count',
        '600',
        '--concurrency',
        '20',
        '--canary',
        'new-nginx',
        '-o',
        'json',
      ]);
      assert.equal(r.exitCode, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as {
        requests: number;
        errors: number;
        canary: { configuredPercent: number; observedPercent: number; low: number; high: number; consistent: boolean; version: string };
      };
      assert.equal(doc.requests, 600);
      assert.equal(doc.errors, 0);
      assert.equal(doc.canary.version, 'new');
      assert.equal(doc.canary.configuredPercent, percent);
      assertShare(doc.canary.observedPercent, percent, 600, 'new-nginx');
      assert.ok(doc.canary.low < doc.canary.observedPercent && doc.canary.observedPercent < doc.canary.high);
    });
  }

  it('table output: versions with intervals, errors, latency, the comparison line', async () => {
    const r = await canary(['probe', `http://127.0.0.1:${dp.port}/`, '--host', `nginx.${NS}`, '--count', '200', '--canary', 'new-nginx']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^VERSION {3}COUNT {3}SHARE {3}95% INTERVAL\n(new|old) +\d+ +[\d.]+% +[\d.]+% - [\d.]+%\n/);
    assert.match(
      r.stdout,
      /\n200 requests, 200 answered, 0 errors \(0%\)\nlatency p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms\ncanary new-nginx \(version new\): set to 75%, observed [\d.]+% \(95% interval [\d.]+% - [\d.]+%\): (consistent|NOT consistent with the weight set)$/,
    );
  });

  it('counts errors by kind and honours the per-request deadline', async () => {
    const slow = createServer((req, res) => {
      if (req.url === '/fail') {
        res.statusCode = 503;
        return void res.end('no');
      }
      setTimeout(() => res.end('v9\n'), 2000);
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    const port = (slow.address() as { port: number }).port;
    try {
      const t = Date.now();
      const r = await canary(['probe', `http://127.0.0.1:${port}/`, '--count', '4', '--request-timeout', '200ms', '-o', 'json']);
      assert.ok(Date.now() - t < 1900, 'deadline respected');
      assert.deepEqual((JSON.parse(r.stdout) as { errorKinds: unknown }).errorKinds, { timeout: 4 });
      // A server that trickles a byte every 100 ms never goes idle: the deadline must still end it.
      const trickle = createServer((_req, res) => {
        const t = setInterval(() => res.write('x'), 100);
        res.on('close', () => clearInterval(t));
      });
      await new Promise<void>((r) => trickle.listen(0, '127.0.0.1', () => r()));
      try {
        const t2 = Date.now();
        const tr = await canary([
          'probe',
          `http://127.0.0.1:${(trickle.address() as { port: number }).port}/`,
          '--count',
          '2',
          '--request-timeout',
          '300ms',
          '-o',
          'json',
        ]);
        assert.ok(Date.now() - t2 < 3000, 'ended by the deadline');
        assert.deepEqual((JSON.parse(tr.stdout) as { errorKinds: unknown }).errorKinds, { timeout: 2 });
      } finally {
        trickle.closeAllConnections();
        trickle.close();
      }
      const f = await canary(['probe', `http://127.0.0.1:${port}/fail`, '--count', '3', '-o', 'json']);
      assert.deepEqual((JSON.parse(f.stdout) as { errorKinds: unknown; errorRate: number }).errorKinds, { 'HTTP 503': 3 });
      // Not one request answered: the summary, then a failure (exit 1) a script cannot take for a pass.
      assert.equal(f.exitCode, 1);
      assert.match(f.stderr, /^error: none of the 3 requests to http:\/\/127\.0\.0\.1:\d+\/fail was answered \(HTTP 503 x3\); [^\n]+$/);
      assert.equal(r.exitCode, 1, 'every request timed out');
    } finally {
      slow.closeAllConnections();
      slow.close();
    }
  });

  it('rejects bad input before sending anything', async () => {
    const bad = await canary(['probe', 'ftp://x/']);
    assert.deepEqual([bad.exitCode, bad.stderr], [2, 'error: only http:// and https:// URLs can be probed, not ftp:']);
    const n = await canary(['probe', 'http://127.0.0.1:1/', '--count', '0']);
    assert.deepEqual([n.exitCode, n.stderr], [2, 'error: --count "0" must be a whole number from 1 to 100000']);
    const h = await canary(['probe', 'http://127.0.0.1:1/', '-H', 'nocolon']);
    assert.deepEqual([h.exitCode, h.stderr], [2, 'error: header "nocolon" must look like "Name: value"']);
  });
});

// `kubectl meshremote preflight` over three clusters (a primary with istiod and two remotes, seed 001's
// layout plus one) against each cluster alone, side by side with kubectl reading one cluster's version:
// the clusters are read in parallel, so all three should take about as long as the slowest one. Also
// generate-kubeconfig beside its peer, istioctl create-remote-secret, on the same remote.
// Measured twice: on loopback, where the three API servers and this process share the machine's cores
// (reading three clusters then triples the servers' work on the same CPUs), and through relays that
// add --delay ms each way (default 40, an 80 ms round trip), as clusters in other regions answer.
//   node build/bench/meshremote-preflight.js [--runs N] [--delay MS] [--keep]   (--keep: leave them up)
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { relaysInChild } from '../test/harness/latency.js';
import { REPO_ROOT, bin } from '../test/harness/binaries.js';
import { startMesh } from '../test/harness/mesh.js';
import { sideBySide, medianOf } from './side-by-side.js';

const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 7;
const delay = argv.includes('--delay') ? Number(argv[argv.indexOf('--delay') + 1]) : 40;

const mesh = await startMesh({
  connect: false,
  clusters: [
    { name: 'primary', role: 'primary', podCIDR: '172.16.0.0/16', serviceCIDR: '172.19.0.0/20', nodes: [{ name: 'primary-1' }] },
    { name: 'remote1', role: 'remote', podCIDR: '172.20.0.0/16', serviceCIDR: '172.21.0.0/20', nodes: [{ name: 'remote1-1' }] },
    { name: 'remote2', role: 'remote', podCIDR: '172.22.0.0/16', serviceCIDR: '172.23.0.0/20', nodes: [{ name: 'remote2-1' }] },
  ],
});
let relays: Awaited<ReturnType<typeof relaysInChild>> | undefined;
try {
  // In a child process: sideBySide's spawnSync blocks this one's event loop.
  relays = await relaysInChild(
    mesh.clusters.map((c) => new URL(c.server)),
    delay,
  );
  const urls = relays.urls;
  const plugin = join(REPO_ROOT, 'dist', 'bin', 'kubectl-meshremote');
  const measure = (title: string, kc: string) => {
    const preflight = (...args: string[]) => ({ cmd: plugin, args: ['preflight', '-o', 'json', '--kubeconfig', kc, ...args], ok: [0, 3] });
    const cases = [
      { name: 'kubectl get --raw /version (primary)', cmd: bin('kubectl'), args: ['get', '--raw', '/version', '--kubeconfig', kc] },
      { name: 'preflight primary alone', ...preflight('--context', 'primary') },
      { name: 'preflight remote1 alone', ...preflight('--context', 'remote1') },
      { name: 'preflight remote2 alone', ...preflight('--context', 'remote2') },
      { name: 'preflight all three', ...preflight('--context', 'primary', '--remote-context', 'remote1', '--remote-context', 'remote2') },
    ];
    const times = sideBySide(title, cases, runs);
    const slowest = Math.max(...cases.slice(1, 4).map((c) => medianOf(times, c.name)));
    console.log(`all three / slowest alone: ${(medianOf(times, 'preflight all three') / slowest).toFixed(2)}x\n`);
  };
  // The peer: istioctl create-remote-secret prints the Secret for remote1 (its reader account exists, as the
  // remote profile makes it); generate-kubeconfig makes ours, mints a token and proves it, then prints it.
  const credentials = (where: string, kc: string) => {
    sideBySide(
      `the credentials for remote1 ${where}: istioctl create-remote-secret beside generate-kubeconfig (both print them)`,
      [
        {
          name: 'istioctl create-remote-secret',
          cmd: bin('istioctl'),
          args: ['create-remote-secret', '--kubeconfig', kc, '--context', 'remote1', '--name', 'remote1'],
        },
        {
          name: 'meshremote generate-kubeconfig -f -',
          cmd: plugin,
          args: ['generate-kubeconfig', 'remote1', '--kubeconfig', kc, '--context', 'remote1', '-f', '-'],
        },
      ],
      runs,
    );
    console.log();
  };
  const loopback = mesh.kubeconfig();
  measure('three clusters on loopback (one istiod), read by preflight alone and all at once', loopback);
  credentials('on loopback', loopback);
  const relayed = mesh.kubeconfig(Object.fromEntries(mesh.clusters.map((c, i) => [c.name, urls[i]])), join(tmpdir(), `kplugins-relayed-${process.pid}`));
  try {
    measure(`the same clusters ${delay} ms away each way`, relayed);
    credentials(`${delay} ms away each way`, relayed);
  } finally {
    rmSync(relayed, { force: true });
  }
  if (argv.includes('--keep')) {
    console.log(`clusters kept: KUBECONFIG=${loopback}; Ctrl-C stops them`);
    await new Promise((r) => process.once('SIGINT', r));
  }
} finally {
  await relays?.close();
  await mesh.stop();
}

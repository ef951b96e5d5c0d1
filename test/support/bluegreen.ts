// For the bluegreen integration tests: the seed's chapter 2 objects in a namespace of the test's own,
// and the built kubectl-bluegreen run against the cluster as a user would run it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../harness/binaries.js';
import type { Cluster } from '../harness/cluster.js';
import { readyEndpoints } from './endpoints.js';

export function bluegreenIn(c: Cluster, ns: string) {
  return (args: string[]) =>
    execa(join(REPO_ROOT, 'dist', 'bin', 'kubectl-bluegreen'), [...args, '-n', ns, '--kubeconfig', c.kubeconfig], {
      reject: false,
      stdin: 'ignore',
      env: { NO_COLOR: '1', PATH: process.env['PATH'] ?? '' },
      extendEnv: false,
    });
}

/** Seed 001 chapter 2 (old-nginx, new-nginx, Ingress echo for mini-echo.io or opts.host) in namespace ns, pods ready. */
export async function applySeed(c: Cluster, ns: string, opts: { ingress?: boolean; host?: string } = {}): Promise<void> {
  let docs = readFileSync(join(REPO_ROOT, 'test/playground/scenarios/02-ingress-bluegreen.yaml'), 'utf8')
    .replace(/namespace: ingress-demo/g, `namespace: ${ns}`)
    .replace(/name: ingress-demo/, `name: ${ns}`);
  // Hosts are cluster-wide for the data plane (as for a real controller): one per namespace.
  if (opts.host) docs = docs.replace(/mini-echo\.io/g, opts.host);
  if (opts.ingress === false)
    docs = docs
      .split(/^---$/m)
      .filter((d) => !/kind: Ingress\n/.test(d))
      .join('---');
  await c.apply(docs);
  await c.kubectl(['-n', ns, 'wait', '--for=condition=Available', 'deployment', '--all', '--timeout=60s']);
  for (const svc of ['old-nginx', 'new-nginx']) await readyEndpoints(c, ns, svc, 1, 60_000);
}

export async function getJson<T>(c: Cluster, ns: string, what: string[]): Promise<T> {
  return JSON.parse((await c.kubectl(['-n', ns, 'get', ...what, '-o', 'json'])).stdout) as T;
}

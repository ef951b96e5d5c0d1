// One shared cluster for the integration tests of a run (started on first use, stopped after all),
// plus helpers to run the built plugins as kubectl would.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startCluster, type Cluster } from '../harness/cluster.js';
import { binDir } from '../harness/binaries.js';
import { pluginBinDir } from './plugins.js';

let shared: Promise<Cluster> | undefined;
let sharedMesh: Promise<Cluster> | undefined;

export function sharedCluster(): Promise<Cluster> {
  shared ??= startCluster({
    // The real network under it (as root; without root it starts without one and says so).
    network: true,
    nodes: [
      { name: 'node-a1', zone: 'zone-a', labels: { 'node-role.kubernetes.io/ingress': 'true' } },
      { name: 'node-a2', zone: 'zone-a' },
      { name: 'node-b1', zone: 'zone-b', labels: { 'node-role.kubernetes.io/ingress': 'true' } },
    ],
  });
  return shared;
}

/** One cluster with istiod for the mesh plugins' tests (meshvm, meshremote, trace), started on first use. */
export function sharedMeshCluster(): Promise<Cluster> {
  sharedMesh ??= startCluster({ name: 'mesh', nodes: [{ name: 'mesh-node-1', zone: 'zone-a' }], istiod: true });
  return sharedMesh;
}

async function stopMeshCluster(): Promise<void> {
  const c = await sharedMesh?.catch(() => undefined);
  sharedMesh = undefined;
  await stopKeepingLogs(c, 'mesh cluster');
}

export async function stopSharedCluster(): Promise<void> {
  const c = await shared?.catch(() => undefined);
  shared = undefined;
  await stopKeepingLogs(c, 'cluster');
}

// KPLUGINS_KEEP_LOGS=1 keeps the cluster's folder (logs, kubeconfig) to look into a failure.
async function stopKeepingLogs(c: Cluster | undefined, what: string): Promise<void> {
  const keep = process.env['KPLUGINS_KEEP_LOGS'] === '1';
  await c?.stop({ keepDir: keep });
  if (c && keep) console.error(`${what} folder kept: ${c.state.dir}`);
}

/** PATH with the built plugins (as kubectl-<name>) and the cluster's kubectl first. */
export function pluginPath(extra: string[] = []): string {
  return [...extra, pluginBinDir(), binDir(['kubectl']), process.env['PATH'] ?? ''].join(':');
}

/** Run `kubectl <args>` the way a user would, with the plugins on PATH. */
export async function kubectlWithPlugins(args: string[], env: Record<string, string> = {}) {
  return execa(join(binDir(['kubectl']), 'kubectl'), args, {
    reject: false,
    stdin: 'ignore',
    env: { PATH: pluginPath(), HOME: mkdtempSync(join(tmpdir(), 'home-')), NO_COLOR: '1', ...env },
    extendEnv: false,
  });
}

/** A kubeconfig file in a temp folder with the given content. */
export function tempKubeconfig(content: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'kc-')), 'config');
  writeFileSync(f, content, { mode: 0o600 });
  return f;
}

/** Mocha root hooks (loaded through .mocharc): stop the shared cluster after all tests. */
export const mochaHooks = {
  async afterAll(this: unknown) {
    await Promise.all([stopSharedCluster(), stopMeshCluster()]);
  },
};

// Where the control-plane binaries are: the cache test/controlplane/build.sh fills, or KUBEBUILDER_ASSETS.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');

export const BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
  'kubectl',
  'istioctl',
  'pilot-discovery',
  'pilot-agent',
  'kubectl-krew',
  'kube-proxy',
] as const;
export type Binary = (typeof BINARIES)[number];

let cached: string | undefined;

/** The folder holding the binaries; throws with the command to run when the ones needed are not built. */
export function binDir(needed: readonly Binary[] = BINARIES): string {
  const dir = cached ?? execFileSync('bash', [join(REPO_ROOT, 'test/controlplane/build.sh'), '--print-dir'], { encoding: 'utf8' }).trim();
  const missing = needed.filter((b) => !existsSync(join(dir, b)));
  if (missing.length) {
    throw new Error(`control-plane binaries missing in ${dir}: ${missing.join(', ')}; run 'bash test/controlplane/build.sh' (npm test does)`);
  }
  cached = dir;
  return dir;
}

export function bin(name: Binary): string {
  return join(binDir([name]), name);
}

// Where the control-plane binaries are: the cache test/controlplane/build.sh fills, or KUBEBUILDER_ASSETS.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');

export const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'kubectl', 'istioctl', 'kubectl-krew'] as const;
export type Binary = (typeof BINARIES)[number];

let cached: string | undefined;

/** The folder holding the binaries; throws with the command to run when they are not built. */
export function binDir(): string {
  if (cached) return cached;
  const dir = execFileSync('bash', [join(REPO_ROOT, 'test/controlplane/build.sh'), '--print-dir'], { encoding: 'utf8' }).trim();
  const missing = BINARIES.filter((b) => !existsSync(join(dir, b)));
  if (missing.length) {
    throw new Error(`control-plane binaries missing in ${dir}: ${missing.join(', ')}; run 'bash test/controlplane/build.sh' (npm test does)`);
  }
  cached = dir;
  return dir;
}

export function bin(name: Binary): string {
  return join(binDir(), name);
}

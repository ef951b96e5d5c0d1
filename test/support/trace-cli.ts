// The built kubectl-trace as the integration tests run it: no colour, no stdin, no user HOME (so no
// kubeconfig or cache of the user's leaks in), only the kubeconfig the test names.
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../harness/binaries.js';

export function runTrace(args: string[], kubeconfig: string) {
  return execa(join(REPO_ROOT, 'dist', 'bin', 'kubectl-trace'), [...args, '--kubeconfig', kubeconfig], {
    reject: false,
    stdin: 'ignore',
    env: { NO_COLOR: '1', PATH: process.env['PATH'] ?? '', HOME: '/nonexistent' },
    extendEnv: false,
  });
}

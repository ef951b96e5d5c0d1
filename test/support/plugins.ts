// Which build of the plugins the tests spawn: the Node bundles in dist/bin by default, or the folder
// KPLUGINS_BIN_DIR names (npm test runs the CLI tests a second time on the linux-amd64 single
// executable, linked under the six names as krew links it).
import { isAbsolute, join, resolve } from 'node:path';
import { REPO_ROOT } from '../harness/binaries.js';

export function pluginBinDir(): string {
  const dir = process.env['KPLUGINS_BIN_DIR'];
  return dir ? (isAbsolute(dir) ? dir : resolve(REPO_ROOT, dir)) : join(REPO_ROOT, 'dist', 'bin');
}

/** True when the tests run the single executable rather than the Node bundles. */
export const singleExecutable = () => Boolean(process.env['KPLUGINS_BIN_DIR']);

/** The executable kubectl finds for a plugin: kubectl-<name>, '-' written as '_'. */
export function pluginBinary(plugin: string): string {
  return join(pluginBinDir(), `kubectl-${plugin.replace(/-/g, '_')}`);
}

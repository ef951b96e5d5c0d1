// Where the release build reads and writes.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');
/** Downloaded Node binaries and tools, shared by every clone on the machine. */
export const CACHE = process.env['KPLUGINS_RELEASE_CACHE'] ?? join(homedir(), '.cache', 'kubectl-traffic-plugins-release');

// The path a multi-call executable was started as, before symlinks are resolved: krew links
// ~/.krew/bin/kubectl-canary to the file in its store, and kubectl runs the link, so helpers written
// "beside the plugin" belong beside the link (on PATH), not beside the file in the store.
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

export function invokedPath(argv0: string, env: NodeJS.ProcessEnv, cwd: string, fallback: string): string {
  if (argv0.includes('/') || argv0.includes('\\')) return isAbsolute(argv0) ? argv0 : resolve(cwd, argv0);
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, argv0);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return fallback;
}

// The playground's seed scenarios, read as the tests apply them: each test file gets its own namespace.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/binaries.js';

/** The YAML of test/playground/scenarios/<file>, with its `namespace: default` moved to `namespace` when given. */
export function scenario(file: string, namespace?: string): string {
  const text = readFileSync(join(REPO_ROOT, 'test/playground/scenarios', file), 'utf8');
  return namespace ? text.replace(/namespace: default/g, `namespace: ${namespace}`) : text;
}

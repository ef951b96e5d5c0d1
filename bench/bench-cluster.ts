// One cluster per bench, seeded once. Objects are created by several `kubectl apply` at a time (bounded),
// so 10,000 of them take minutes, not tens of minutes. With --keep <dir> the cluster is started detached
// in that folder and left running; the next run with the same --keep attaches to it and skips seeding.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapBounded } from '../shared/bounded.js';
import { attachCluster, startCluster, type Cluster, type ClusterOptions } from '../test/harness/cluster.js';

/** Server-side apply of documents (objects, or JSON/YAML text each) in chunks, `concurrency` kubectl runs at a time. */
export async function applyAll(cluster: Cluster, docs: (object | string)[], opts: { chunk?: number; concurrency?: number } = {}): Promise<void> {
  const chunk = opts.chunk ?? 250;
  const chunks: string[] = [];
  for (let i = 0; i < docs.length; i += chunk)
    chunks.push(
      docs
        .slice(i, i + chunk)
        .map((d) => (typeof d === 'string' ? d : JSON.stringify(d)))
        .join('\n---\n'),
    );
  await mapBounded(chunks, opts.concurrency ?? 4, (text) => cluster.apply(text));
}

/**
 * The bench's cluster: a new one seeded by `seed`, or (--keep <dir>) the one a previous run left seeded in
 * that folder. `stop` stops a cluster this run owns and leaves a kept one running.
 */
export async function benchCluster(
  argv: string[],
  opts: ClusterOptions,
  seed: (cluster: Cluster) => Promise<void>,
): Promise<{ cluster: Cluster; stop: () => Promise<void> }> {
  const i = argv.indexOf('--keep');
  const dir = i < 0 ? undefined : argv[i + 1];
  const seeded = dir ? join(dir, 'seeded') : undefined;
  if (dir && seeded && existsSync(seeded)) {
    const cluster = attachCluster(join(dir, 'state.json'));
    await cluster.kubectl(['get', '--raw', '/readyz']);
    return { cluster, stop: async () => {} };
  }
  const cluster = await startCluster({ ...opts, ...(dir ? { dir, detached: true } : {}) });
  const t = Date.now();
  try {
    await seed(cluster);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  console.error(`seeded in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  if (seeded) writeFileSync(seeded, new Date().toISOString());
  return { cluster, stop: () => (dir ? Promise.resolve() : cluster.stop()) };
}

// Bundles each plugin into dist/kubectl-<plugin>.mjs for fast start-up. The heavy Kubernetes client
// is split into a chunk that is loaded only when a command talks to a cluster.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const plugins = readdirSync(join(root, 'plugins'));
const entryPoints = Object.fromEntries(plugins.map((p) => [`kubectl-${p.replace(/-/g, '_')}`, join(root, 'plugins', p, 'main.ts')]));

rmSync(join(root, 'dist'), { recursive: true, force: true });
const result = await build({
  entryPoints,
  outdir: join(root, 'dist'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
  // CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "#!/usr/bin/env node\nimport{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
});
// dist/bin holds the names kubectl looks for on PATH (kubectl-canary, kubectl-ingress_ha, ...).
mkdirSync(join(root, 'dist', 'bin'));
for (const name of Object.keys(entryPoints)) {
  chmodSync(join(root, 'dist', `${name}.mjs`), 0o755);
  symlinkSync(`../${name}.mjs`, join(root, 'dist', 'bin', name));
}
const sizes = Object.entries(result.metafile.outputs)
  .filter(([f]) => f.endsWith('.mjs'))
  .map(([f, o]) => `${f.replace(/^.*dist\//, 'dist/')} ${(o.bytes / 1024).toFixed(0)} KiB`);
console.error(`bundled ${Object.keys(entryPoints).length} plugins:\n  ${sizes.join('\n  ')}`);

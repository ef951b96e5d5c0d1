// Bundles each plugin into dist/kubectl-<plugin>.cjs for fast start-up: CommonJS (Node's ESM loader
// costs ~15 ms per run), minified, everything inlined except the heavy parts a command loads only
// when it needs them: dist/lib/kube.cjs (kubeconfig + Kubernetes client), printers.cjs, ora.cjs.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, readdirSync, rmSync, symlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const plugins = readdirSync(join(root, 'plugins'));
const binName = (p) => `kubectl-${p.replace(/-/g, '_')}`;

// Dynamic imports in the source that become separate files, loaded with require() at run time.
const LAZY = {
  kube: { entry: 'shared/lazy/kube.ts', match: /(^|\/)lazy\/kube\.js$/ },
  printers: { entry: 'shared/output/printers.ts', match: /(^|\/)printers\.js$/ },
  ora: { entry: 'node_modules/ora/index.js', match: /^ora$/ },
};

const common = { bundle: true, format: 'cjs', platform: 'node', target: 'node20', minify: true, legalComments: 'linked', logLevel: 'warning' };

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'bin'), { recursive: true });

// The lazy libraries.
for (const [name, { entry }] of Object.entries(LAZY)) {
  await build({ ...common, entryPoints: [join(root, entry)], outfile: join(dist, 'lib', `${name}.cjs`) });
}

// The plugins: dynamic imports of lazy modules point at dist/lib; nothing else is split.
const lazyPlugin = {
  name: 'lazy-libs',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const hit = Object.entries(LAZY).find(([, l]) => l.match.test(args.path));
      return hit ? { path: `./lib/${hit[0]}.cjs`, external: true } : undefined;
    });
  },
};
await build({
  ...common,
  entryPoints: Object.fromEntries(plugins.map((p) => [binName(p), join(root, 'plugins', p, 'main.ts')])),
  outdir: dist,
  outExtension: { '.js': '.cjs' },
  banner: { js: '#!/usr/bin/env node' },
  plugins: [lazyPlugin],
});

// dist/bin holds the names kubectl looks for on PATH (kubectl-canary, kubectl-ingress_ha, ...).
for (const p of plugins) {
  chmodSync(join(dist, `${binName(p)}.cjs`), 0o755);
  symlinkSync(`../${binName(p)}.cjs`, join(dist, 'bin', binName(p)));
}
const size = (f) => `${(statSync(join(dist, f)).size / 1024).toFixed(0)} KiB`;
console.error(
  `bundled ${plugins.length} plugins: ${plugins.map((p) => `${binName(p)}.cjs ${size(`${binName(p)}.cjs`)}`).join(', ')}; ` +
    `lazy: ${Object.keys(LAZY).map((n) => `lib/${n}.cjs ${size(`lib/${n}.cjs`)}`).join(', ')}`,
);

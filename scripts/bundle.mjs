// Bundles each plugin into dist/kubectl-<plugin>.cjs for fast start-up: CommonJS (Node's ESM loader
// costs ~15 ms per run), minified, everything inlined except the heavy parts a command loads only
// when it needs them: dist/lib/kube.cjs (kubeconfig + REST client), printers.cjs, ora.cjs, execa.cjs,
// client-node.cjs (only for kubeconfigs with a legacy oidc auth-provider entry) and re2js.cjs (only to
// check a regular expression).
import { build } from 'esbuild';
import { chmodSync, mkdirSync, readdirSync, rmSync, symlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const plugins = readdirSync(join(root, 'plugins'));
const binName = (p) => `kubectl-${p.replace(/-/g, '_')}`;

// Dynamic imports in the source that become separate files, loaded with require() at run time.
const LAZY = {
  kube: { entry: 'shared/lazy/kube.ts', match: /(^|\/)lazy\/kube\.js$/ },
  printers: { entry: 'shared/output/printers.ts', match: /(^|\/)printers\.js$/ },
  ora: { entry: 'node_modules/ora/index.js', match: /^ora$/ },
  execa: { entry: 'node_modules/execa/index.js', match: /^execa$/ },
  'client-node': { entry: 'node_modules/@kubernetes/client-node/dist/index.js', match: /^@kubernetes\/client-node$/ },
  // RE2's rules for --header-regex and --header-pattern: loaded only when a pattern is checked.
  re2js: { entry: 'node_modules/re2js/build/index.js', match: /^re2js$/ },
};

const common = { bundle: true, format: 'cjs', platform: 'node', target: 'node20', minify: true, legalComments: 'linked', logLevel: 'warning' };

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'bin'), { recursive: true });

// Dynamic imports of lazy modules become require() of their file in dist/lib; nothing else is split.
// (A real import() of a .cjs file would go through Node's ESM loader, which lexes the whole file for
// its exports first: ~50 ms for the client. A require() inside a bundled stub loads it directly.)
const lazyPlugin = (prefix, self) => ({
  name: 'lazy-libs',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'require-call' && args.path.startsWith(prefix) && args.path.endsWith('.cjs')) return { path: args.path, external: true };
      if (args.kind !== 'dynamic-import') return undefined;
      const hit = Object.entries(LAZY).find(([name, l]) => name !== self && l.match.test(args.path));
      return hit ? { path: `${prefix}${hit[0]}.cjs`, namespace: 'lazy' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
});

// The lazy libraries (they may load each other the same way).
for (const [name, { entry }] of Object.entries(LAZY)) {
  await build({ ...common, entryPoints: [join(root, entry)], outfile: join(dist, 'lib', `${name}.cjs`), plugins: [lazyPlugin('./', name)] });
}
await build({
  ...common,
  entryPoints: Object.fromEntries(plugins.map((p) => [binName(p), join(root, 'plugins', p, 'main.ts')])),
  outdir: dist,
  outExtension: { '.js': '.cjs' },
  banner: { js: '#!/usr/bin/env node' },
  plugins: [lazyPlugin('./lib/', '')],
});

// dist/bin holds the names kubectl looks for on PATH (kubectl-canary, kubectl-ingress_ha, ...).
for (const p of plugins) {
  chmodSync(join(dist, `${binName(p)}.cjs`), 0o755);
  symlinkSync(`../${binName(p)}.cjs`, join(dist, 'bin', binName(p)));
}
const size = (f) => `${(statSync(join(dist, f)).size / 1024).toFixed(0)} KiB`;
console.error(
  `bundled ${plugins.length} plugins: ${plugins.map((p) => `${binName(p)}.cjs ${size(`${binName(p)}.cjs`)}`).join(', ')}; ` +
    `lazy: ${Object.keys(LAZY)
      .map((n) => `lib/${n}.cjs ${size(`lib/${n}.cjs`)}`)
      .join(', ')}`,
);

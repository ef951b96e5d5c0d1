// Bundles sea/main.ts into the one script a single executable runs: everything inlined (the lazy
// libraries of the node bundles become lazily initialised modules of the same script) except
// @kubernetes/client-node, which travels as a SEA asset (sea/assets.ts loads it). node:http and
// node:https become proxies that load the module on first use: Node's snapshot builder cannot hold
// them (Node 20: `methods.toSorted is not a function`; Node 26: "global handle not serialized").
import { build, type Plugin } from 'esbuild';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

const DEFERRED = /^(node:)?(http|https)$/;

const seaPlugin: Plugin = {
  name: 'sea',
  setup(b) {
    b.onResolve({ filter: DEFERRED }, (args) => (args.namespace === 'deferred' ? undefined : { path: args.path, namespace: 'deferred' }));
    // ESM with named exports, so importers bind them without enumerating the module (which would load it).
    b.onLoad({ filter: /.*/, namespace: 'deferred' }, (args) => ({
      contents: `let m; const load = () => (m ??= require(${JSON.stringify(args.path)}));
export const request = (...a) => load().request(...a);
export const get = (...a) => load().get(...a);
export function Agent(...a) { return new (load().Agent)(...a); }
Object.defineProperty(Agent, Symbol.hasInstance, { value: (x) => x instanceof load().Agent });`,
      loader: 'js',
    }));
    b.onResolve({ filter: /^@kubernetes\/client-node$/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: 'client-node.cjs', namespace: 'sea-asset' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'sea-asset' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(join(REPO_ROOT, 'sea', 'assets.ts'))}).loadAsset(${JSON.stringify(args.path)}, require);`,
      loader: 'js',
      resolveDir: REPO_ROOT,
    }));
  },
};

/** Writes the executable's script to `out` and the licence notices of what it inlines beside it. */
export async function bundleSea(out: string): Promise<void> {
  await build({
    entryPoints: [join(REPO_ROOT, 'sea', 'main.ts')],
    outfile: out,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node22',
    minify: true,
    legalComments: 'linked',
    logLevel: 'warning',
    plugins: [seaPlugin],
  });
}

// Bundles sea/main.ts into the one script a single executable runs: everything inlined (the lazy
// libraries of the node bundles become lazily initialised modules of the same script) except those in
// SEA_ASSETS, which travel as SEA assets (sea/assets.ts loads them). node:http and
// node:https become proxies that load the module on first use: Node's snapshot builder cannot hold
// them (Node 20: `methods.toSorted is not a function`; Node 26: "global handle not serialized").
import { build, type Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

/**
 * Exports read when a module is imported, not when used: yargs keeps assert's strictEqual and
 * notStrictEqual at import and calls them on every parse. Those that pass load nothing; a failing one
 * throws assert's own error.
 */
const EARLY: Record<string, string> = {
  assert: `{
  strictEqual: (a, b, ...r) => (Object.is(a, b) ? undefined : load().strictEqual(a, b, ...r)),
  notStrictEqual: (a, b, ...r) => (Object.is(a, b) ? load().notStrictEqual(a, b, ...r) : undefined),
}`,
};
const DEFERRED = /^(node:)?(http|https)$/;
/** yargs' getInternalMethods(), in its class body: the field goes before it, the object is kept. */
const INTERNAL_METHODS = /^( +)getInternalMethods\(\) \{\n( +)return \{/m;
/**
 * Built-in modules loaded on first use of one of their exports, not when the script starts: a module the
 * script loads at start is in the startup snapshot, with its source and all it loads in turn (crypto is
 * fourteen modules, zlib brings node:zip), and every start pays to deserialize it. Few commands use them.
 */
const LAZY_BUILTINS = /^(node:)?(assert|child_process|crypto|dns|dns\/promises|net|stream\/promises|timers\/promises|tls|zlib)$/;

/**
 * Libraries the executable carries as SEA assets (their dist/lib/<name>.cjs of the Node bundles), not
 * in its script: few runs load them, and a library in the script is in the startup snapshot, which
 * every start deserializes (the whole client; execa, ora with its spinners and re2js are about a third
 * of the script). Loaded on first use: an exec credential plugin, a spinner on a terminal, a regular
 * expression to check.
 */
export const SEA_ASSETS = [
  { module: '@kubernetes/client-node', name: 'client-node' },
  { module: 'execa', name: 'execa' },
  { module: 'ora', name: 'ora' },
  { module: 're2js', name: 're2js' },
] as const;
const SEA_ASSET_IMPORTS = new RegExp(`^(${SEA_ASSETS.map((a) => a.module.replace(/[/]/g, '\\/')).join('|')})$`);

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
    b.onResolve({ filter: LAZY_BUILTINS }, (args) => (args.namespace === 'lazy-builtin' ? undefined : { path: args.path, namespace: 'lazy-builtin' }));
    // A proxy over the module: its exports are read where they are used (esbuild keeps `mod.name`), so
    // the module loads then. esbuild's ESM interop (__toESM) copies a module's own names into a new
    // object for every importing module, with a getter closure per name (crypto has some 80 names,
    // imported by nine modules: hundreds of closures in the startup snapshot). Before loading, the
    // proxy has no own names: the copy holds only `default`, and reads through it reach the module by
    // its prototype, the same proxy. An arrow function as target, so modules that are functions
    // (assert) can be called.
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: `let m; const load = () => (m ??= require(${JSON.stringify(args.path)}));
const early = ${EARLY[args.path.replace(/^node:/, '')] ?? '{}'};
const read = (k) => (m ? m[k] : k === '__esModule' ? undefined : Object.hasOwn(early, k) ? early[k] : load()[k]);
const through = new Proxy({}, { get: (_, k) => read(k) });
module.exports = new Proxy(() => {}, {
  get: (_, k) => read(k),
  has: (_, k) => k in load(),
  getPrototypeOf: () => (m ? Object.getPrototypeOf(m) : through),
  ownKeys: () => (m ? Reflect.ownKeys(m) : []),
  getOwnPropertyDescriptor: (_, k) => {
    if (!m) return undefined;
    const d = Reflect.getOwnPropertyDescriptor(m, k);
    return d && { ...d, configurable: true };
  },
  apply: (_, self, a) => Reflect.apply(load(), self, a),
  construct: (_, a) => Reflect.construct(load(), a),
});`,
      loader: 'js',
    }));
    // cli-table3 measures every cell with string-width, whose emoji pattern V8 compiles on first use in
    // every process (compiled regular expressions are not kept in the snapshot). Printable ASCII is one
    // column a character: string-width's own answer, without the pattern.
    b.onResolve({ filter: /^string-width$/ }, (args) =>
      args.namespace === 'ascii-width' || !args.importer.includes('cli-table3')
        ? undefined
        : { path: createRequire(args.importer).resolve('string-width'), namespace: 'ascii-width' },
    );
    b.onLoad({ filter: /.*/, namespace: 'ascii-width' }, (args) => ({
      contents: `const full = require(${JSON.stringify(args.path)});
module.exports = (s) => (typeof s === 'string' && /^[\\x20-\\x7e]*$/.test(s) ? s.length : full(s));`,
      loader: 'js',
      resolveDir: REPO_ROOT,
    }));
    // yargs checks the arguments of each of its own methods against a signature string it parses with
    // regular expressions (argsert): every option a command's builder declares, on every run, in code
    // and patterns that start cold. Our calls are type-checked (and run checked by the Node bundles and
    // the tests); the executable skips the check.
    b.onLoad({ filter: /[\\/]yargs[\\/]build[\\/]lib[\\/]argsert\.js$/ }, () => ({ contents: 'export function argsert() {}', loader: 'js' }));
    // yargs hands its internals around as a fresh object of sixteen bound methods on each call of
    // getInternalMethods(), 23 calls in a `context` run: the same object for the same instance, made once.
    b.onLoad({ filter: /[\\/]yargs[\\/]build[\\/]lib[\\/]yargs-factory\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const patched = source.replace(INTERNAL_METHODS, '$1#internalMethods;\n$1getInternalMethods() {\n$2return this.#internalMethods ??= {');
      if (patched === source) throw new Error(`${args.path}: getInternalMethods() not found (yargs changed): update the SEA bundle's patch`);
      return { contents: patched, loader: 'js' };
    });
    b.onResolve({ filter: SEA_ASSET_IMPORTS }, (args) =>
      args.kind === 'dynamic-import' ? { path: `${SEA_ASSETS.find((a) => a.module === args.path)!.name}.cjs`, namespace: 'sea-asset' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'sea-asset' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(join(REPO_ROOT, 'sea', 'assets.ts'))}).loadAsset(${JSON.stringify(args.path)}, require);`,
      loader: 'js',
      resolveDir: REPO_ROOT,
    }));
  },
};

/**
 * Writes the executable's script to `out` and the licence notices of what it inlines beside it. `entry`
 * is sea/main.ts; the tests bundle their own entry the same way.
 */
export async function bundleSea(out: string, entry = join(REPO_ROOT, 'sea', 'main.ts')): Promise<void> {
  await build({
    entryPoints: [entry],
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

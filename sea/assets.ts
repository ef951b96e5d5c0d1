// Libraries a single executable carries as SEA assets instead of in its main script: a SEA's require()
// loads only Node's built-in modules, so an asset is compiled here as a CommonJS module whose own
// require() is that same built-in one (the bundles in assets need nothing else).
import { dirname, join } from 'node:path';
import { compileFunction } from 'node:vm';

type ModuleWrapper = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;

const loaded = new Map<string, unknown>();

export function loadAsset(name: string, builtinRequire: NodeJS.Require): unknown {
  if (loaded.has(name)) return loaded.get(name);
  // Required only here: node:sea exists in single executables (and Node >= 20.12).
  const sea = builtinRequire('node:sea') as typeof import('node:sea');
  const source = sea.getAsset(name, 'utf8');
  const filename = join(dirname(process.execPath), name);
  const wrapper = compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename }) as ModuleWrapper;
  const module = { exports: {} };
  wrapper(module.exports, builtinRequire, module, filename, dirname(filename));
  loaded.set(name, module.exports);
  return module.exports;
}

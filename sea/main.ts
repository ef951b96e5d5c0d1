// Entry of the single executable (Node SEA): one file serving all six plugins, dispatching on the
// name it was started as. Where the release build makes a startup snapshot (useSnapshot), this script
// runs at build time: it warms the parser and the kubeconfig path inside the snapshot and keeps the
// output of `--help`/`--version` (pure functions of the plugin and the output width), then hands over
// to start() in every process started from the snapshot.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startupSnapshot } from 'node:v8';
import { keepParsers, main, runCli, stdWriter } from '../shared/run.js';
import type { PluginDefinition } from '../shared/cli/command.js';
import type { Writer } from '../shared/context.js';
import { dispatch } from './dispatch.js';
import { invokedPath } from './invoked.js';
import { PLUGINS, multicall } from './plugins.js';

/** Arguments whose whole output is fixed at build time. */
const FIXED = ['--help', '-h', '--version'];
/** Output widths kept: not a terminal (undefined), and a terminal at least this wide (run.ts wraps at 110 at most). */
const WIDE = 110;
const fixedOutput = new Map<string, string>();
const key = (plugin: string, columns: number | undefined, arg: string) => `${plugin}\0${columns ?? '-'}\0${arg}`;
/** Each text once: `--help` and `-h` print the same, and every string kept is deserialized at every start. */
const texts = new Map<string, string>();
function keep(k: string, text: string): void {
  if (!texts.has(text)) texts.set(text, text);
  fixedOutput.set(k, texts.get(text)!);
}

function buffer(columns: number | undefined): Writer & { text: string } {
  return {
    text: '',
    isTTY: columns !== undefined,
    columns,
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

/** At build time: run what every start would run, so it is compiled and initialised in the snapshot. */
async function warm(): Promise<void> {
  for (const plugin of [...PLUGINS.values(), multicall]) {
    for (const arg of FIXED) {
      const seen = new Map<number | undefined, string>();
      for (const columns of [undefined, WIDE, 4 * WIDE]) {
        const out = buffer(columns);
        const err = buffer(columns);
        const code = await runCli(plugin, [arg], { stdout: out, stderr: err, env: {} });
        if (code === 0 && err.text === '') seen.set(columns, out.text);
      }
      if (seen.has(undefined)) keep(key(plugin.name, undefined, arg), seen.get(undefined)!);
      // Kept for wide terminals only if the width no longer changes it.
      if (seen.has(WIDE) && seen.get(WIDE) === seen.get(4 * WIDE)) keep(key(plugin.name, WIDE, arg), seen.get(WIDE)!);
    }
  }
  // The start's own path, compiled here rather than in every process.
  for (const plugin of ['canary', 'ingress_ha', 'traffic']) route(join(tmpdir(), `kubectl-${plugin}`), ['--help'], buffer(undefined));
  // One parser per plugin, built here (after the help runs, which leave theirs): a run started from
  // the snapshot only parses its argv.
  keepParsers([...PLUGINS.values(), multicall]);
  // A command that reads a kubeconfig, offline: loads the kubeconfig reader, YAML and the printers.
  const dir = mkdtempSync(join(tmpdir(), 'sea-warm-'));
  try {
    const kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u, namespace: n}}]\ncurrent-context: c\n',
    );
    // The last run names the file in the environment: a kept parser keeps the argv it parsed last,
    // and a temporary file's name in the snapshot would make two builds differ.
    for (const [output, flag] of [
      ['table', true],
      ['json', true],
      ['yaml', false],
    ] as const) {
      const code = await runCli(PLUGINS.get('canary')!, ['context', '--offline', ...(flag ? ['--kubeconfig', kubeconfig] : []), '-o', output], {
        stdout: buffer(undefined),
        stderr: buffer(undefined),
        env: flag ? {} : { KUBECONFIG: kubeconfig },
      });
      if (code !== 0) throw new Error(`warming the snapshot: context -o ${output} exited ${code}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  texts.clear();
  forgetBuildState();
}

/**
 * What the build leaves in the heap that differs from one build to the next: the builder's process
 * ids (Node sets them again in every process started from the snapshot), the values of the last
 * stat() in Node's fs binding (times and inode numbers of the temporary file; the snapshot keeps the
 * array) and V8's last regular expression match (its subject held the file's name).
 */
function forgetBuildState(): void {
  for (const id of ['pid', 'ppid'] as const) {
    const d = Object.getOwnPropertyDescriptor(process, id);
    if (d?.configurable) Object.defineProperty(process, id, { ...d, value: 0 });
  }
  const fs = (process as unknown as { binding(name: 'fs'): { statValues?: Float64Array; bigintStatValues?: BigInt64Array } }).binding('fs');
  fs.statValues?.fill(0);
  fs.bigintStatValues?.fill(0n);
  /^$/.exec('');
}

interface Route {
  plugin: PluginDefinition;
  args: string[];
  /** The path it was started as (helpers are found beside it). */
  self: string;
  /** The whole output, when it was fixed at build time. */
  fixed: string | undefined;
}

/** What a start runs, started as `self`: the plugin, its arguments, and the output if it was fixed at build time. */
function route(self: string, args: string[], out: Pick<Writer, 'isTTY' | 'columns'>): Route {
  const d = dispatch(self, args, [...PLUGINS.keys()]);
  const plugin: PluginDefinition = (d.plugin && PLUGINS.get(d.plugin)) || multicall;
  const columns = out.isTTY ? ((out.columns ?? 0) >= WIDE ? WIDE : -1) : undefined;
  const fixed = d.args.length === 1 ? fixedOutput.get(key(plugin.name, columns, d.args[0])) : undefined;
  return { plugin, args: d.args, self, fixed };
}

function start(): void {
  const out = stdWriter(1);
  // Not at build time: Node keeps the first process.cwd() it reads, and the snapshot would keep the builder's.
  const self = invokedPath(process.argv0, process.env, process.cwd(), process.execPath);
  const r = route(self, process.argv.slice(2), out);
  if (r.fixed !== undefined) out.write(r.fixed);
  else void main(r.plugin, r.args, r.self);
}

if (startupSnapshot.isBuildingSnapshot()) {
  startupSnapshot.setDeserializeMainFunction(start);
  warm().catch((err: unknown) => {
    // The build must fail rather than ship a snapshot without its warm state.
    process.exitCode = 1;
    console.error(err);
  });
} else {
  start();
}

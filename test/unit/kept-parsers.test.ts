// The single executable keeps one yargs parser per plugin (built in its startup snapshot) and only
// parses argv with it: every run on a kept parser, in any order, says what a new parser says.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInProcess, type RunResult } from '../support/buffers.js';
import { keepParsers } from '../../shared/run.js';
import { isGroup, nodeWord, type CommandNode, type PluginDefinition } from '../../shared/cli/command.js';
import { PLUGINS, multicall } from '../../sea/plugins.js';

/** Every command and group path of a tree, as the words that name it. */
function paths(nodes: CommandNode[], prefix: string[] = []): string[][] {
  return nodes.flatMap((n) => {
    const here = [...prefix, nodeWord(n)];
    return isGroup(n) ? [here, ...paths(n.subcommands, here)] : [here];
  });
}

describe('kept parsers (single executable): the same output as a new parser, run after run', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'kept-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(
    kubeconfig,
    'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u, namespace: n}}]\ncurrent-context: c\n',
  );

  after(() => rmSync(dir, { recursive: true, force: true }));
  const offline = (...more: string[]) => ['context', '--offline', '--kubeconfig', kubeconfig, ...more];

  for (const plugin of [...PLUGINS.values(), multicall]) {
    it(`${plugin.name}: after the snapshot's runs, help of every command, runs, usage errors, top-level help`, async () => {
      // A copy: parsers are kept by plugin, and the other tests keep using new ones for the original.
      const copy: PluginDefinition = { ...plugin };
      const helps = paths(plugin.commands).map((p) => [...p, '--help']);
      const cases = [...helps, offline(), offline('-o', 'yaml'), ['context', '--bogus'], ['nosuch'], [], ['--version'], ['--help'], ['-h']];
      for (const argv of cases) {
        // As in the single executable: kept, used by the runs warming the snapshot, then the run.
        keepParsers([copy]);
        for (const output of ['table', 'json', 'yaml']) assert.equal((await runInProcess(copy, offline('-o', output))).code, 0);
        const kept: RunResult = await runInProcess(copy, argv);
        assert.deepEqual(kept, await runInProcess(plugin, argv), `${plugin.name} ${argv.join(' ')}`);
      }
    });
  }

  it('runs that choose a command keep using the parser; one that fails or prints help leaves it', async () => {
    const copy: PluginDefinition = { ...PLUGINS.get('canary')! };
    keepParsers([copy]);
    const sequence = [offline(), offline('-o', 'json'), ['context', '--bogus'], offline('-o', 'yaml'), ['status', '--help'], offline(), ['--help'], offline()];
    for (const argv of sequence) assert.deepEqual(await runInProcess(copy, argv), await runInProcess(PLUGINS.get('canary')!, argv), argv.join(' '));
  });
});

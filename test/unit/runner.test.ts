import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, writeFileSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInProcess } from '../support/buffers.js';
import { definePlugin } from '../../shared/cli/plugin.js';
import { defineCommand, defineGroup, requiredStr } from '../../shared/cli/command.js';
import { CliError, SilentExit, UsageError } from '../../shared/errors.js';
import { percentage } from '../../shared/validate.js';
import { helperName, helperScript } from '../../shared/commands/completion.js';

const calls: string[] = [];
/** A leaf of the `pool` group: its own flag, its own help. */
const poolCommand = (verb: string, flag: string) =>
  defineCommand<{ name: string; flag: boolean }>({
    command: `${verb} <name>`,
    describe: `${verb} a pool member`,
    builder: (y) => y.positional('name', { type: 'string' }).option(flag, { type: 'boolean', default: false, describe: `only for ${verb}` }),
    options: (args) => ({ name: requiredStr(args, 'name'), flag: args[flag] === true }),
    run: async (ctx, o) => void ctx.stdout.write(`${verb} ${o.name}${o.flag ? ` --${flag}` : ''}\n`),
  });
const plugin = definePlugin({
  name: 'demo-x',
  summary: 'a plugin for tests',
  examples: [['kubectl demo-x set web 50', 'half the traffic']],
  commands: [
    defineCommand<{ name: string; percent: number }>({
      command: 'set <name> <percent>',
      describe: 'set a weight',
      options: (args) => ({ name: requiredStr(args, 'name'), percent: percentage(String(args['percent'])) }),
      complete: async (_ctx, o) => (calls.push('complete'), o),
      validate: (o) => {
        calls.push('validate');
        if (o.name === 'bad') throw new UsageError('bad name');
      },
      run: async (ctx, o) => {
        calls.push('run');
        if (o.name === 'fail') throw new CliError('it failed; try again');
        if (o.name === 'bug') throw new RangeError('internal');
        if (o.name === 'gate') throw new SilentExit(3);
        ctx.stdout.write(`${o.name}=${o.percent}\n`);
      },
    }),
    defineGroup({ group: 'pool', describe: 'pool members', subcommands: [poolCommand('add', 'exclusive'), poolCommand('remove', 'force')] }),
  ],
});

describe('runner: exit codes and messages', () => {
  beforeEach(() => (calls.length = 0));

  it('runs options -> complete -> validate -> run, exit 0', async () => {
    const r = await runInProcess(plugin, ['set', 'web', '50']);
    assert.deepEqual(r, { code: 0, stdout: 'web=50\n', stderr: '' });
    assert.deepEqual(calls, ['complete', 'validate', 'run']);
  });

  it('bad values are usage errors (exit 2) and never reach run', async () => {
    const r = await runInProcess(plugin, ['set', 'web', '150']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'error: percentage "150" must be a whole number from 0 to 100\n');
    assert.deepEqual(calls, []);
    const v = await runInProcess(plugin, ['set', 'bad', '5']);
    assert.equal(v.code, 2);
    assert.deepEqual(calls, ['complete', 'validate']);
  });

  it('unknown flags and missing arguments: exit 2, one line, empty stdout', async () => {
    for (const argv of [['set', 'web', '5', '--bogus'], ['set', 'web'], ['nosuch'], []]) {
      const r = await runInProcess(plugin, argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^error: /);
    }
  });

  it('usage errors name what was typed, before a command is chosen too (kubectl wording)', async () => {
    const cases: [string[], string][] = [
      [['--no-such-flag'], 'error: unknown flag: --no-such-flag'],
      [['nosuch'], `error: unknown command "nosuch" for "kubectl demo-x" (see 'kubectl demo-x --help')`],
      [['sett'], 'error: unknown command "sett" for "kubectl demo-x"; did you mean "set"?'],
      [[], "error: kubectl demo-x: a command is required (set, pool, context, completion; see 'kubectl demo-x --help')"],
      [
        ['set', '-n', 'shop', 'web'],
        'error: missing <percent> for "kubectl demo-x set" (usage: kubectl demo-x set <canary> <percent>)'.replace('<canary>', '<name>'),
      ],
      [['pool'], "error: kubectl demo-x pool: a command is required (add, remove; see 'kubectl demo-x pool --help')"],
      [['pool', 'list'], `error: unknown command "list" for "kubectl demo-x pool" (see 'kubectl demo-x pool --help')`],
      [['pool', 'add', 'a', '--force'], 'error: unknown flag: --force'],
      [['pool', 'add', 'a', 'b'], `error: unexpected argument "b" for "kubectl demo-x pool add" (see 'kubectl demo-x pool add --help')`],
    ];
    for (const [argv, stderr] of cases) assert.deepEqual(await runInProcess(plugin, argv), { code: 2, stdout: '', stderr: `${stderr}\n` }, argv.join(' '));
  });

  it('command trees: each subcommand runs with its own flags and has its own --help; completion follows the tree', async () => {
    assert.deepEqual(await runInProcess(plugin, ['pool', 'add', 'a', '--exclusive']), { code: 0, stdout: 'add a --exclusive\n', stderr: '' });
    assert.deepEqual(await runInProcess(plugin, ['-n', 'x', 'pool', 'remove', 'b', '--force']), { code: 0, stdout: 'remove b --force\n', stderr: '' });
    const help = await runInProcess(plugin, ['pool', 'remove', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^kubectl demo-x pool remove <name>\n\nremove a pool member\n/);
    assert.match(help.stdout, /--force/);
    assert.doesNotMatch(help.stdout, /--exclusive/);
    const group = await runInProcess(plugin, ['pool', '--help']);
    assert.match(group.stdout, /kubectl demo-x pool add <name> +add a pool member/);
    assert.match(group.stdout, /kubectl demo-x pool remove <name> +remove a pool member/);
    assert.equal((await runInProcess(plugin, ['__complete', 'pool', ''])).stdout, 'add\nremove\n:4\n');
    assert.equal((await runInProcess(plugin, ['__complete', 'pool', 'remove', 'b', '--f'])).stdout, '--force\n:4\n');
  });

  it('failures exit 1 with one line; a stack trace only with -v', async () => {
    const r = await runInProcess(plugin, ['set', 'fail', '5']);
    assert.deepEqual(r, { code: 1, stdout: '', stderr: 'error: it failed; try again\n' });
    const bug = await runInProcess(plugin, ['set', 'bug', '5']);
    assert.equal(bug.code, 1);
    assert.equal(bug.stderr, 'error: internal\n');
    const verbose = await runInProcess(plugin, ['set', 'bug', '5', '-v']);
    assert.match(verbose.stderr, /^error: internal\nRangeError: internal\n\s+at /);
    // A gate's chosen exit code is no failure: no trace even with -v.
    assert.deepEqual(await runInProcess(plugin, ['set', 'gate', '5', '-v']), { code: 3, stdout: '', stderr: '' });
  });

  it('--help and --version print to stdout, exit 0', async () => {
    const h = await runInProcess(plugin, ['--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /kubectl demo-x - a plugin for tests/);
    assert.match(h.stdout, /kubectl demo-x set web 50 +half the traffic/);
    assert.match(h.stdout, /--kubeconfig/);
    const v = await runInProcess(plugin, ['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it('colour on a terminal, none with NO_COLOR or --no-color', async () => {
    const tty = await runInProcess(plugin, ['set', 'fail', '5'], {}, true);
    assert.equal(tty.stderr, '\u001b[31merror:\u001b[39m it failed; try again\n');
    assert.equal((await runInProcess(plugin, ['set', 'fail', '5'], { NO_COLOR: '1' }, true)).stderr, 'error: it failed; try again\n');
    assert.equal((await runInProcess(plugin, ['set', 'fail', '5', '--no-color'], {}, true)).stderr, 'error: it failed; try again\n');
  });

  it('context: resolves the kubeconfig offline and reports an unreachable cluster in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctx-'));
    const server: Server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    await new Promise<void>((r) => server.close(() => r()));
    const kc = join(dir, 'config');
    writeFileSync(
      kc,
      `clusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: here, context: {cluster: c, user: u, namespace: shop}}]\ncurrent-context: here\n`,
    );
    const off = await runInProcess(plugin, ['context', '--offline', '-o', 'json'], { KUBECONFIG: kc });
    assert.equal(off.code, 0);
    assert.deepEqual(JSON.parse(off.stdout), {
      apiVersion: 'demo-x.traffic.kubectl-plugins.io/v1alpha1',
      kind: 'Context',
      context: 'here',
      cluster: 'c',
      server: `https://127.0.0.1:${port}`,
      user: 'u',
      namespace: 'shop',
      kubeconfig: [kc],
    });
    const ns = await runInProcess(plugin, ['context', '--offline', '-n', 'other'], { KUBECONFIG: kc });
    assert.match(ns.stdout, /Namespace:\s+other/);
    const down = await runInProcess(plugin, ['context'], { KUBECONFIG: kc });
    assert.equal(down.code, 1);
    assert.equal(down.stdout, '');
    assert.equal(
      down.stderr,
      `error: cannot reach the cluster at https://127.0.0.1:${port} (context "here"): connection refused; is the cluster running and is this the right context?\n`,
    );
    const unknown = await runInProcess(plugin, ['context', '--context', 'nope'], { KUBECONFIG: kc });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^error: context "nope" not found in .*; known contexts: here\n$/);
  });

  it("completion: __complete speaks kubectl's protocol; the helper is installed executable", async () => {
    const top = await runInProcess(plugin, ['__complete', '']);
    assert.equal(top.stdout, 'set\npool\ncontext\ncompletion\n:4\n');
    const flags = await runInProcess(plugin, ['__complete', 'context', '--o']);
    assert.equal(flags.stdout, '--output\n--offline\n:4\n');
    const dir = mkdtempSync(join(tmpdir(), 'helper-'));
    const r = await runInProcess(plugin, ['completion', '--install-kubectl-helper', '--dir', dir]);
    assert.equal(r.code, 0);
    const file = join(dir, helperName('demo-x'));
    assert.equal(helperName('demo-x'), 'kubectl_complete-demo_x');
    assert.equal(readFileSync(file, 'utf8'), helperScript('demo-x'));
    assert.match(helperScript('demo-x'), /exec kubectl-demo_x __complete "\$@"/);
    assert.equal(statSync(file).mode & 0o777, 0o755);
    const bash = await runInProcess(plugin, ['completion', 'bash']);
    assert.match(bash.stdout, /complete -o default -F _kubectl_demo_x_complete kubectl-demo_x/);
    assert.equal((await runInProcess(plugin, ['completion'])).code, 2);
  });
});

describe('typed errors across bundles', () => {
  it('instanceof works by kind, so a copy of the class from another bundle still matches', async () => {
    const { KubeApiError: Other, CliError: OtherCli } = (await import(`../../shared/errors.js?copy=${Date.now()}`)) as typeof import('../../shared/errors.js');
    const { KubeApiError, CliError, UsageError, ValidationError } = await import('../../shared/errors.js');
    assert.notEqual(Other, KubeApiError, 'a separate copy of the module');
    const e = new Other('x', 404, 'NotFound');
    assert.ok(e instanceof KubeApiError);
    assert.ok(e instanceof CliError);
    assert.ok(!(e instanceof UsageError));
    const v = new ValidationError('bad');
    assert.ok(v instanceof UsageError && v instanceof OtherCli && !(v instanceof KubeApiError));
    assert.equal(v.exitCode, 2);
    assert.equal(v.name, 'ValidationError');
    assert.ok(!(new Error('plain') instanceof CliError));
  });
});

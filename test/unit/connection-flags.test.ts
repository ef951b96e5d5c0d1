// kubectl's connection flags through the runner: each flag as an override of the resolved kubeconfig,
// with clientcmd's rules (the integration test checks the same flags against kubectl's own requests).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInProcess } from '../support/buffers.js';
import { definePlugin } from '../../shared/cli/plugin.js';
import { defineCommand } from '../../shared/cli/command.js';
import { ownsConnectionFlags } from '../../shared/cli/flags.js';
import { goDuration } from '../../shared/kube/overrides.js';

const dir = mkdtempSync(join(tmpdir(), 'flags-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const kubeconfig = join(dir, 'config');
writeFileSync(
  kubeconfig,
  `clusters:
- name: main
  cluster: {server: "https://main.example:6443", certificate-authority-data: Q0E=, tls-server-name: main-internal}
- name: other
  cluster: {server: "https://other.example", insecure-skip-tls-verify: true}
users:
- name: alice
  user: {client-certificate-data: Q0VSVA==, client-key-data: S0VZ}
- name: bob
  user: {tokenFile: /run/bob-token}
contexts:
- name: main
  context: {cluster: main, user: alice, namespace: shop}
current-context: main
`,
);

const show = (ctx: Parameters<Parameters<typeof defineCommand>[0]['run']>[0]) => {
  const c = ctx.config();
  ctx.stdout.write(
    JSON.stringify({
      context: c.contextName,
      server: c.server,
      namespace: c.namespace,
      cluster: c.minified.clusters[0]['cluster'],
      user: c.minified.users[0]['user'],
      timeout: c.requestTimeoutMs,
    }),
  );
};
const plugin = definePlugin({
  name: 'flags-demo',
  summary: 'test',
  examples: [],
  commands: [
    defineCommand<object>({ command: 'show', describe: 'print the resolved connection', options: () => ({}), run: async (ctx) => show(ctx) }),
    defineCommand<object>({
      command: 'probe',
      describe: 'a command whose --request-timeout is its own',
      builder: (y) =>
        ownsConnectionFlags(
          y.option('request-timeout', { type: 'string', default: '5s' }).option('insecure-skip-tls-verify', { type: 'boolean', default: false }),
          ['request-timeout', 'insecure-skip-tls-verify'],
        ),
      options: () => ({}),
      run: async (ctx) => show(ctx),
    }),
  ],
});

interface Shown {
  context: string;
  server: string;
  namespace: string;
  cluster: Record<string, unknown>;
  user: Record<string, unknown>;
  timeout: number;
}
async function resolved(argv: string[], env: NodeJS.ProcessEnv = { KUBECONFIG: kubeconfig }): Promise<Shown> {
  const r = await runInProcess(plugin, argv, env);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Shown;
}
const MAIN = { server: 'https://main.example:6443', 'certificate-authority-data': 'Q0E=', 'tls-server-name': 'main-internal' };

describe("kubectl's connection flags as kubeconfig overrides", () => {
  it('without flags: the current context as written', async () => {
    const r = await resolved(['show']);
    assert.deepEqual(r, {
      context: 'main',
      server: MAIN.server,
      namespace: 'shop',
      cluster: MAIN,
      user: { 'client-certificate-data': 'Q0VSVA==', 'client-key-data': 'S0VZ' },
      timeout: 0,
    });
  });

  // [flags, expected cluster fields]
  const clusterCases: [string[], Record<string, unknown>][] = [
    [['-s', 'https://new:1'], { server: 'https://new:1', 'certificate-authority-data': 'Q0E=' }],
    [['--server=https://new:1', '--tls-server-name', 'n'], { server: 'https://new:1', 'certificate-authority-data': 'Q0E=', 'tls-server-name': 'n' }],
    [['--tls-server-name', 'n'], { ...MAIN, 'tls-server-name': 'n' }],
    [['--insecure-skip-tls-verify'], { server: MAIN.server, 'tls-server-name': 'main-internal', 'insecure-skip-tls-verify': 'true' }],
    [['--insecure-skip-tls-verify=false'], MAIN],
    [
      ['--certificate-authority', 'ca.pem'],
      { server: MAIN.server, 'tls-server-name': 'main-internal', 'certificate-authority': join(process.cwd(), 'ca.pem') },
    ],
    [['--cluster', 'other'], { server: 'https://other.example', 'insecure-skip-tls-verify': 'true' }],
    [['--cluster', 'other', '--certificate-authority', '/ca.pem'], { server: 'https://other.example', 'certificate-authority': '/ca.pem' }],
    [['--disable-compression'], { ...MAIN, 'disable-compression': 'true' }],
  ];
  for (const [flags, cluster] of clusterCases) {
    it(`${flags.join(' ')}: ${JSON.stringify(cluster)}`, async () => {
      assert.deepEqual((await resolved(['show', ...flags])).cluster, cluster);
    });
  }

  const userCases: [string[], Record<string, unknown>][] = [
    [['--token', 'T'], { 'client-certificate-data': 'Q0VSVA==', 'client-key-data': 'S0VZ', token: 'T' }],
    // client-go keeps a kubeconfig tokenFile under --token (and reads the file first): kubectl does the same.
    [['--user', 'bob', '--token', 'T'], { tokenFile: '/run/bob-token', token: 'T' }],
    [['--client-certificate', '/c.pem'], { 'client-certificate': '/c.pem', 'client-key-data': 'S0VZ' }],
    [['--client-certificate', '/c.pem', '--client-key', '/k.pem'], { 'client-certificate': '/c.pem', 'client-key': '/k.pem' }],
    [
      ['--as', 'jane', '--as-group', 'a', '--as-group', 'b', '--as-uid', '7'],
      { 'client-certificate-data': 'Q0VSVA==', 'client-key-data': 'S0VZ', as: 'jane', 'as-groups': ['a', 'b'], 'as-uid': '7' },
    ],
    [['--as=jane', '--as-group=ops'], { 'client-certificate-data': 'Q0VSVA==', 'client-key-data': 'S0VZ', as: 'jane', 'as-groups': ['ops'] }],
  ];
  for (const [flags, user] of userCases) {
    it(`${flags.join(' ')}: ${JSON.stringify(user)}`, async () => {
      assert.deepEqual((await resolved(['show', ...flags])).user, user);
    });
  }

  it('--request-timeout: whole seconds or a duration; sent as Go prints durations', async () => {
    assert.equal((await resolved(['show', '--request-timeout', '5'])).timeout, 5000);
    assert.equal((await resolved(['show', '--request-timeout=1m30s'])).timeout, 90_000);
    assert.equal((await resolved(['show', '--request-timeout', '0'])).timeout, 0);
    const bad = await runInProcess(plugin, ['show', '--request-timeout', 'soon'], { KUBECONFIG: kubeconfig });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: --request-timeout "soon" is not a duration/);
    assert.deepEqual([1500, 5000, 90_000, 3_600_000, 250].map(goDuration), ['1.5s', '5s', '1m30s', '1h0m0s', '250ms']);
  });

  it('--server needs no kubeconfig at all; --context, --cluster, --user must exist', async () => {
    const r = await resolved(['show', '--server', 'https://x:1', '--token', 't'], { HOME: dir });
    assert.equal(r.server, 'https://x:1');
    assert.equal(r.namespace, 'default');
    for (const [flags, message] of [
      [['--context', 'nope'], /context "nope" not found in .*; known contexts: main/],
      [['--cluster', 'nope'], /cluster "nope" \(--cluster\) is not defined in /],
      [['--user', 'nope'], /user "nope" \(--user\) is not defined in /],
    ] as const) {
      const f = await runInProcess(plugin, ['show', ...flags], { KUBECONFIG: kubeconfig });
      assert.equal(f.code, 1);
      assert.match(f.stderr, message);
    }
  });

  it("a command's own --request-timeout and --insecure-skip-tls-verify (the probe's) leave the connection alone", async () => {
    const r = await resolved(['probe', '--request-timeout', '2s', '--insecure-skip-tls-verify']);
    assert.equal(r.timeout, 0);
    assert.deepEqual(r.cluster, MAIN);
  });

  it('--help lists the connection flags in their own group, after the command options', async () => {
    const r = await runInProcess(plugin, ['show', '--help']);
    assert.match(r.stdout, /Options:[\s\S]*Connection flags \(as kubectl\):[\s\S]*-s, --server[\s\S]*--as-group/);
  });
});

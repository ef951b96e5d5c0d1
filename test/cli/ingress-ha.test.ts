// kubectl ingress-ha as kubectl runs it: argument mistakes are usage errors (exit 2, one line, nothing
// on stdout) found before any cluster is read; an audit that cannot reach the cluster exits 1, not 3.
import assert from 'node:assert/strict';
import { closedPort } from '../support/http.js';
import { kubectlWithPlugins, tempKubeconfig } from '../support/fixture.js';

describe('kubectl ingress-ha (CLI)', function () {
  this.timeout(60_000);
  let kubeconfig: string;
  let port: number;
  before(async () => {
    port = await closedPort();
    kubeconfig = tempKubeconfig(
      `clusters: [{name: lab, cluster: {server: "https://127.0.0.1:${port}"}}]\nusers: [{name: me, user: {token: t}}]\ncontexts: [{name: lab, context: {cluster: lab, user: me}}]\ncurrent-context: lab\n`,
    );
  });

  it('--help lists nodes, deploy, check and status', async () => {
    const r = await kubectlWithPlugins(['ingress-ha', '--help']);
    assert.equal(r.exitCode, 0, r.stderr);
    for (const cmd of ['nodes', 'deploy', 'check', 'status']) assert.match(r.stdout, new RegExp(`kubectl ingress-ha ${cmd.replace(/[.[\]<>]/g, '\\$&')} `));
  });

  const usage: [string[], string][] = [
    [['nodes', 'add'], 'error: missing <nodes> for "kubectl ingress-ha nodes add" (usage: kubectl ingress-ha nodes add <nodes..>)'],
    [['nodes', 'list', 'node-a1'], `error: unexpected argument "node-a1" for "kubectl ingress-ha nodes list" (see 'kubectl ingress-ha nodes list --help')`],
    [['nodes', 'remove', 'a1', '--exclusive'], 'error: unknown flag: --exclusive'],
    [['nodes', 'add', 'a1', '--force'], 'error: unknown flag: --force'],
    [['nodes'], "error: kubectl ingress-ha nodes: a command is required (add, remove, list; see 'kubectl ingress-ha nodes --help')"],
    [
      ['nodes', 'add', 'Node_A'],
      "error: node name \"Node_A\" is not a valid DNS-1123 subdomain: use lower case letters, digits, '-' and '.', starting and ending with a letter or digit",
    ],
    [['nodes', 'label', 'a1'], `error: unknown command "label" for "kubectl ingress-ha nodes" (see 'kubectl ingress-ha nodes --help')`],
    [['deploy', '--cloud', 'ibm'], 'error: unknown cloud "ibm": use one of alibaba, aws, azure, gcp, none'],
    [['deploy', '--dry-run=maybe'], 'error: invalid --dry-run value "maybe": use none, client or server'],
    [
      ['deploy', '--adopt', 'Old_Controller'],
      "error: --adopt \"Old_Controller\" is not a valid DNS-1123 subdomain: use lower case letters, digits, '-' and '.', starting and ending with a letter or digit",
    ],
    [
      ['check', '-o', 'name'],
      'error: unknown output format "name": use one of wide|json|yaml|jsonpath=TEMPLATE|jsonpath-file=FILE|custom-columns=SPEC|custom-columns-file=FILE',
    ],
    [
      ['check', '-o', ''],
      'error: -o needs a value: use one of wide|json|yaml|jsonpath=TEMPLATE|jsonpath-file=FILE|custom-columns=SPEC|custom-columns-file=FILE',
    ],
    [['check', '-o', 'jsonpath={.items[*].rule'], 'error: invalid -o jsonpath template "{.items[*].rule": unclosed action'],
    [
      ['status', '-o', 'custom-columns=NODE'],
      'error: invalid -o custom-columns template "NODE": unexpected custom-columns spec: NODE, expected <header>:<json-path-expr>',
    ],
  ];
  for (const [args, message] of usage) {
    it(`${args.join(' ')}: exit 2 before reaching the cluster`, async () => {
      const r = await kubectlWithPlugins(['ingress-ha', ...args, '--kubeconfig', kubeconfig]);
      assert.deepEqual([r.exitCode, r.stdout, r.stderr], [2, '', message]);
    });
  }

  it('check against an unreachable cluster exits 1 (could not check), not 3 (a rule failed)', async () => {
    const r = await kubectlWithPlugins(['ingress-ha', 'check', '-n', 'kube-system', '--kubeconfig', kubeconfig]);
    assert.equal(r.exitCode, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^error: cannot reach the cluster at https://127\\.0\\.0\\.1:${port} \\(context "lab"\\)`));
  });
});

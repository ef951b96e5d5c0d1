// kubectl bluegreen's argument mistakes: one line on stderr, exit 2, nothing on stdout, no cluster needed.
import assert from 'node:assert/strict';
import { plugin } from '../../plugins/bluegreen/cli.js';
import { runInProcess } from '../support/buffers.js';
import { parseTarget } from '../../plugins/bluegreen/observe.js';

describe('kubectl bluegreen usage errors', () => {
  const cases: [string[], string][] = [
    [['set', 'echo', 'new-nginx', '120'], 'percentage "120" must be a whole number from 0 to 100'],
    [
      ['set', 'echo', 'New_Nginx', '20'],
      'service name "New_Nginx" is not a valid DNS-1123 label: use lower case letters, digits and \'-\', starting and ending with a letter or digit',
    ],
    [['set', 'echo', 'new-nginx', '20', '--path', 'api'], '--path "api" must start with /'],
    [['set', 'echo', 'new-nginx', '20', '--dry-run=maybe'], 'invalid --dry-run value "maybe": use none, client or server'],
    [['set', 'gadget/echo', 'new-nginx', '20'], '"gadget" is not a kind blue-green works on: use ingress/NAME, httproute/NAME or virtualservice/NAME'],
    [['preview', 'echo', 'new-nginx'], 'give exactly one of --header NAME=VALUE, --header-pattern NAME=REGEX or --cookie NAME'],
    [['preview', 'echo', 'new-nginx', '--header', 'x-env'], '--header "x-env" must look like key=value'],
    [
      ['preview', 'echo', 'new-nginx', '--header-pattern', 'x=(('],
      '--header-pattern "((" is not an RE2 regular expression (as Envoy reads them): missing closing ): `((`',
    ],
    [
      ['preview', 'echo', 'new-nginx', '--header-pattern', 'x=^(?!prod)'],
      '--header-pattern "^(?!prod)" is not an RE2 regular expression (as Envoy reads them): invalid or unsupported Perl syntax: `(?!`',
    ],
    [['set', 'echo', 'new-nginx', '20', '--host', 'Mini-Echo.io'], '--host "Mini-Echo.io" is not a host name: use lower case'],
    [['set', 'echo', '1abc', '20'], 'service name "1abc" must start with a lower case letter (a Service name is a DNS-1035 label)'],
    [['switch', 'echo', 'new-nginx', '--force=yes'], 'invalid value "yes" for --force: use --force, --force=true or --force=false'],
    [['preview', 'echo', 'new-nginx', '--cookie', 'a b'], '"a b" is not an HTTP cookie name'],
    [
      ['status', '-o', 'name'],
      'unknown output format "name": use one of json|yaml|jsonpath=TEMPLATE|jsonpath-file=FILE|custom-columns=SPEC|custom-columns-file=FILE',
    ],
    [['probe', 'ftp://x/'], 'only http:// and https:// URLs can be probed, not ftp:'],
  ];
  for (const [argv, message] of cases) {
    it(argv.join(' '), async () => {
      const r = await runInProcess(plugin, [...argv, '--kubeconfig', '/nonexistent']);
      assert.deepEqual([r.code, r.stdout, r.stderr], [2, '', `error: ${message}\n`]);
    });
  }

  it("patterns Envoy's RE2 accepts pass ((?i), (?P<name>...)): the command goes on to read the kubeconfig", async () => {
    for (const pattern of ['(?i)^prod', '(?P<env>test|stage)', '^[a-z]+\\d*$']) {
      const r = await runInProcess(plugin, ['preview', 'echo', 'new-nginx', '--header-pattern', `x-env=${pattern}`, '--kubeconfig', '/nonexistent']);
      assert.deepEqual([r.code, r.stderr], [1, 'error: kubeconfig file /nonexistent does not exist\n'], pattern);
    }
  });

  it('--provider takes only the providers there are', async () => {
    const r = await runInProcess(plugin, ['set', 'echo', 'new-nginx', '5', '--provider', 'traefik']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: Invalid values: Argument: provider, Given: "traefik", Choices: "aliyun", "nginx", "alb", "gateway", "istio"\n$/);
  });
});

describe('kubectl bluegreen target names', () => {
  const cases: [string, string[], string][] = [
    ['echo', ['Ingress', 'HTTPRoute', 'VirtualService'], 'echo'],
    ['ingress/echo', ['Ingress'], 'echo'],
    ['ing/echo', ['Ingress'], 'echo'],
    ['httproute.gateway.networking.k8s.io/shop', ['HTTPRoute'], 'shop'],
    ['vs/reviews', ['VirtualService'], 'reviews'],
    ['VirtualServices/reviews', ['VirtualService'], 'reviews'],
  ];
  for (const [ref, kinds, name] of cases) it(ref, () => assert.deepEqual(parseTarget(ref), { kinds, name }));
  it('a bad name is a validation error', () => assert.throws(() => parseTarget('ingress/Echo_1'), /name "Echo_1" is not a valid DNS-1123 subdomain/));
});

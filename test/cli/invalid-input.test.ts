// Every invalid argument is refused before the first request (issue 11): several hundred invalid
// invocations of the six plugins, generated from tables of bad values per kind of argument, each run
// against a kubeconfig pointing to a loopback server that counts requests. Each must exit non-zero (2
// for a usage mistake), print one line on stderr and no stack trace, and send nothing. A few valid
// invocations show that the server does see what reaches it. They run in-process (the runner takes
// streams and an environment); a sample also runs the built binaries, two at a time.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { runInProcess, type RunResult } from '../support/buffers.js';
import { tempKubeconfig } from '../support/fixture.js';
import { pluginBinary } from '../support/plugins.js';
import { BAD, type BadKind } from '../support/bad-values.js';
import type { PluginDefinition } from '../../shared/cli/command.js';
import { plugin as canary } from '../../plugins/canary/cli.js';
import { plugin as bluegreen } from '../../plugins/bluegreen/cli.js';
import { plugin as ingressHa } from '../../plugins/ingress-ha/cli.js';
import { plugin as meshvm } from '../../plugins/meshvm/cli.js';
import { plugin as meshremote } from '../../plugins/meshremote/cli.js';
import { plugin as trace } from '../../plugins/trace/cli.js';

/** Stands for the counting server's address of one invocation (each has its own path prefix). */
const URL = '@URL@';

const PLUGINS: Record<string, PluginDefinition> = { canary, bluegreen, 'ingress-ha': ingressHa, meshvm, meshremote, trace };

interface Case {
  plugin: string;
  argv: string[];
  /** 2 unless the mistake is not a usage one (a kubeconfig that does not exist: 1). */
  code?: number;
  /** The namespace of the kubeconfig's context (default). */
  contextNamespace?: string;
}

/** The loopback server every kubeconfig and URL points to: it counts requests and answers 404. */
class CountingServer {
  requests: string[] = [];
  private server: Server = createServer((req, res) => {
    this.requests.push(`${req.method} ${req.url}`);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' }));
  });
  url = '';
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    const a = this.server.address();
    this.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  }
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/**
 * Where a bad value goes, per command: `slot(kind, argv-with-X)`; each value of BAD[kind] replaces X.
 * The rest of the command line is valid, so the value alone is what must be refused.
 */
function cases(dir: string): Case[] {
  const out: Case[] = [];
  const slot = (plugin: string, kind: BadKind, argv: string[], values: readonly string[] = BAD[kind]) => {
    for (const v of values) out.push({ plugin, argv: argv.map((a) => a.replace('X', v)) });
  };
  // A value that starts with '-' (or is empty) goes to a flag as --flag=value.
  const flag = (name: string) => `--${name}=X`;
  const target = `${URL}/`;

  // Connection flags every command takes, on one command per plugin.
  for (const [plugin, argv] of [
    ['canary', ['status']],
    ['bluegreen', ['status']],
    ['ingress-ha', ['check']],
    ['meshvm', ['list']],
    ['trace', ['status']],
  ] as const) {
    slot(plugin, 'label', [...argv, flag('namespace')]);
    slot(plugin, 'duration', [...argv, flag('request-timeout')]);
  }
  slot('canary', 'label', ['set', 'new-nginx', '50', '-n', 'X'], ['Bad_NS', 'a.b', 'UP']);
  out.push({ plugin: 'canary', argv: ['status', '--kubeconfig', join(dir, 'no-such-kubeconfig')], code: 1 });
  out.push({ plugin: 'canary', argv: ['status', '--context', 'no-such-context'], code: 1 });
  for (const plugin of Object.keys(PLUGINS)) out.push({ plugin, argv: ['context'], contextNamespace: 'Bad_NS', code: 1 });
  slot('canary', 'duration', ['set', 'new-nginx', '50', flag('timeout')], ['1000h', `${'9'.repeat(400)}s`]);
  slot('trace', 'duration', ['status', flag('request-timeout')], ['1000h']);
  slot('canary', 'bool', ['status', '-A=X'], ['yes']);
  slot('canary', 'bool', ['status', '-w=X'], ['yes']);
  slot('bluegreen', 'count', ['status', '--v=X'], ['abc', '1e1']);

  // canary
  for (const cmd of ['set', 'promote', 'abort', 'run', 'analyze'] as const) {
    const rest = cmd === 'set' ? ['50'] : cmd === 'run' ? ['--steps', '10,50'] : [];
    slot('canary', 'subdomain', [cmd, 'X', ...rest]);
  }
  slot('canary', 'percent', ['set', 'new-nginx', 'X']);
  slot('canary', 'count', ['set', 'new-nginx', '50', flag('total')]);
  slot('canary', 'count', ['set', 'new-nginx', '50', '--total', 'X'], ['0', '100001', '-1']);
  slot('canary', 'service', ['set', 'new-nginx', '50', flag('service')]);
  slot('canary', 'subdomain', ['set', 'new-nginx', '50', flag('stable')]);
  slot('canary', 'bool', ['set', 'new-nginx', '50', flag('wait')]);
  slot('canary', 'bool', ['set', 'new-nginx', '50', flag('force')]);
  slot('canary', 'duration', ['set', 'new-nginx', '50', flag('timeout')]);
  slot('canary', 'dryRun', ['set', 'new-nginx', '50', flag('dry-run')]);
  slot('canary', 'bool', ['promote', 'new-nginx', flag('delete-stable')]);
  slot('canary', 'service', ['abort', 'new-nginx', flag('service')], ['Bad_Svc', '1abc']);
  slot('canary', 'bool', ['status', flag('fail-on-degraded')]);
  slot('canary', 'bool', ['status', flag('watch')], ['yes', 'no']);
  slot('canary', 'subdomain', ['status', 'X'], ['Bad_Name', 'a..b']);
  slot('canary', 'service', ['route', 'X', '--header', 'end-user=jason', '--to', 'v2']);
  slot('canary', 'subdomain', ['route', 'reviews', '--header', 'end-user=jason', flag('to')], ['Bad_Name', 'a..b']);
  slot('canary', 'headerName', ['route', 'reviews', '--header', 'X=jason', '--to', 'v2']);
  slot('canary', 're2', ['route', 'reviews', '--header-regex', 'user-agent=X', '--to', 'v2']);
  slot('canary', 'headerName', ['route', 'reviews', '--cookie', 'X=1', '--to', 'v2'], ['bad cookie', 'a;b']);
  slot('canary', 'bool', ['route', 'reviews', '--header', 'end-user=jason', flag('remove')], ['yes', 'no']);
  slot('canary', 'host', ['probe', target, flag('host')]);
  slot('canary', 'count', ['probe', target, flag('count')]);
  slot('canary', 'count', ['probe', target, flag('concurrency')], ['1e1', '0x10', '0', '101']);
  slot('canary', 'duration', ['probe', target, flag('request-timeout')]);
  slot('canary', 'headerName', ['probe', target, '-H', 'X: v']);
  slot('canary', 'headerName', ['probe', target, flag('version-header')], ['bad header', 'a:b']);
  slot('canary', 'url', ['probe', 'X']);
  slot('canary', 'bool', ['probe', target, flag('keep-alive')], ['yes', 'no']);
  slot('canary', 'subdomain', ['probe', target, flag('canary')], ['Bad_Name', 'a..b']);
  slot('canary', 'headerValue', ['probe', target, '-H', 'x-env: X']);
  slot('canary', 'headerValue', ['route', 'reviews', '--header', 'end-user=X', '--to', 'v2']);
  slot('canary', 'count', ['set', 'new-nginx', '50', flag('total')], ['1001', '100000']);
  slot('canary', 'headerValue', ['run', 'new-nginx', '--steps', '10', '--probe', target, '--probe-header', 'x-env: X']);
  slot('canary', 'headerName', ['analyze', 'new-nginx', '--metrics-url', target, '--metrics-header', 'X: v'], ['bad header', 'a(b)']);
  slot('canary', 'duration', ['run', 'new-nginx', '--steps', '10', flag('interval')], ['1000h']);
  slot('canary', 'headerName', ['probe', target, '-H', 'X'], ['nocolon', ': v']);
  slot('canary', 'percent', ['run', 'new-nginx', '--steps', 'X'], ['1e1,20', '0x10', '10,abc', '10,101', '50,20', '', '10,,20']);
  slot('canary', 'duration', ['run', 'new-nginx', '--steps', '10', flag('interval')]);
  slot('canary', 'url', ['run', 'new-nginx', '--steps', '10', '--probe', 'X'], ['not a url', 'ftp://127.0.0.1/']);
  slot('canary', 'host', ['run', 'new-nginx', '--steps', '10', '--probe', target, flag('probe-host')], ['bad host!', 'a b']);
  slot('canary', 'count', ['run', 'new-nginx', '--steps', '10', '--probe', target, flag('probe-count')], ['1e3', '0x10', '0']);
  slot('canary', 'bool', ['run', 'new-nginx', flag('resume')], ['yes', 'no']);
  slot('canary', 'count', ['analyze', 'new-nginx', flag('max-error-rate')], ['101', 'abc', '1e1', '-1']);
  slot('canary', 'duration', ['analyze', 'new-nginx', flag('max-p99')], ['5x', 'abc']);
  slot('canary', 'duration', ['analyze', 'new-nginx', flag('since')], ['5x', '1e3s', 'abc']);
  slot('canary', 'count', ['analyze', 'new-nginx', flag('min-requests')], ['1e3', '0x10', '1.5', 'abc']);
  slot('canary', 'url', ['analyze', 'new-nginx', '--metrics-url', 'X'], ['not a url', 'ftp://127.0.0.1/']);
  slot('canary', 'bool', ['analyze', 'new-nginx', flag('relative')], ['yes', 'no']);

  // bluegreen
  for (const [cmd, rest] of [
    ['set', ['new-nginx', '50']],
    ['switch', ['new-nginx']],
    ['rollback', []],
    ['finalize', []],
  ] as const) {
    slot('bluegreen', 'subdomain', [cmd, 'X', ...rest], ['Bad_Name', 'a..b', 'ingress/Bad_Name', 'pod/echo']);
    slot('bluegreen', 'host', [cmd, 'echo', ...rest, flag('host')]);
    slot('bluegreen', 'path', [cmd, 'echo', ...rest, flag('path')]);
    slot('bluegreen', 'bool', [cmd, 'echo', ...rest, flag('force')], ['yes', 'no']);
    slot('bluegreen', 'dryRun', [cmd, 'echo', ...rest, flag('dry-run')], ['maybe', 'yes']);
  }
  slot('bluegreen', 'service', ['set', 'echo', 'X', '50']);
  slot('bluegreen', 'percent', ['set', 'echo', 'new-nginx', 'X']);
  slot('bluegreen', 'service', ['switch', 'echo', 'X'], ['Bad_Svc', '1abc']);
  slot('bluegreen', 'service', ['finalize', 'echo', flag('service')]);
  slot('bluegreen', 'bool', ['finalize', 'echo', flag('delete-old')]);
  slot('bluegreen', 'service', ['preview', 'echo', 'X', '--header', 'x-env=test'], ['Bad_Svc', '1abc']);
  slot('bluegreen', 'headerName', ['preview', 'echo', 'new-nginx', '--header', 'X=test']);
  slot('bluegreen', 'headerValue', ['preview', 'echo', 'new-nginx', '--header', 'x-env=X']);
  slot('bluegreen', 'host', ['set', 'echo', 'new-nginx', '50', flag('host')], ['Mini-Echo.io', '*.Example.com', '*']);
  slot('bluegreen', 're2', ['preview', 'echo', 'new-nginx', '--header-pattern', 'x-env=X']);
  slot('bluegreen', 'headerName', ['preview', 'echo', 'new-nginx', '--cookie', 'X'], ['bad cookie', 'a;b']);
  slot('bluegreen', 'subdomain', ['status', 'X'], ['Bad_Name', 'ingress/Bad_Name', 'pod/echo']);
  slot('bluegreen', 'bool', ['status', flag('watch')], ['yes', 'no']);
  slot('bluegreen', 'host', ['probe', target, flag('host')]);
  slot('bluegreen', 'count', ['probe', target, flag('count')], ['1e3', '0x10', '0', '100001']);
  slot('bluegreen', 'subdomain', ['probe', target, '--host', 'mini-echo.io', flag('route')], ['Bad_Name', 'pod/echo']);

  // ingress-ha
  slot('ingress-ha', 'subdomain', ['nodes', 'add', 'X'], ['Bad_Name', 'a..b', 'UPPER']);
  slot('ingress-ha', 'bool', ['nodes', 'add', 'node-a1', flag('exclusive')], ['yes', 'no']);
  slot('ingress-ha', 'bool', ['nodes', 'remove', 'node-a1', flag('force')], ['yes', 'no']);
  slot('ingress-ha', 'dryRun', ['nodes', 'add', 'node-a1', flag('dry-run')], ['maybe']);
  slot('ingress-ha', 'label', ['deploy', flag('name')], ['Bad_NS', 'a.b']);
  slot('ingress-ha', 'service', ['deploy', flag('service')], ['Bad_Svc', '1abc']);
  slot('ingress-ha', 'subdomain', ['deploy', flag('ingress-class')], ['Bad_Name', 'a..b']);
  slot('ingress-ha', 'subdomain', ['deploy', flag('adopt')], ['Bad_Name', 'a..b']);
  slot('ingress-ha', 'bool', ['deploy', flag('wait')], ['yes', 'no']);
  slot('ingress-ha', 'bool', ['deploy', flag('exclusive')], ['yes', 'no']);
  slot('ingress-ha', 'duration', ['deploy', flag('timeout')], ['5x', 'abc']);
  slot('ingress-ha', 'bool', ['check', flag('strict')]);
  slot('ingress-ha', 'label', ['check', flag('name')], ['Bad_NS', 'a.b']);
  slot('ingress-ha', 'label', ['status', flag('name')], ['Bad_NS', 'a.b']);

  // meshvm
  slot('meshvm', 'service', ['register', 'X', '192.168.3.202', 'http:9080']);
  slot('meshvm', 'ip', ['register', 'details', 'X', 'http:9080']);
  slot('meshvm', 'port', ['register', 'details', '192.168.3.202', 'http:X']);
  slot('meshvm', 'host', ['register', 'details', '192.168.3.202', 'http:9080', '--mode', 'serviceentry', flag('host')], ['bad host!', 'a b', 'x/y']);
  slot('meshvm', 'count', ['register', 'details', '192.168.3.202', 'http:9080', flag('weight')], ['0', '1e3', '0x10', '1.5']);
  slot('meshvm', 'subdomain', ['register', 'details', '192.168.3.202', 'http:9080', flag('service-account')], ['Bad_Name', 'a..b']);
  slot('meshvm', 'service', ['unregister', 'X', '192.168.3.202'], ['Bad_Svc', '1abc']);
  slot('meshvm', 'ip', ['unregister', 'details', 'X'], ['256.1.1.1', 'abc', '127.0.0.1']);
  slot('meshvm', 'subdomain', ['group', 'create', 'X', '--port', 'http=9080'], ['Bad_Name', 'a..b']);
  slot('meshvm', 'port', ['group', 'create', 'details', '--port', 'http=X']);
  slot('meshvm', 'label', ['group', 'create', 'details', '--port', 'http=9080', '-a', 'X=1'], ['bad key', 'Bad_/x', '/x']);
  slot('meshvm', 'label', ['expose-istiod', flag('istio-namespace')], ['Bad_NS', 'a.b']);
  slot('meshvm', 'subdomain', ['bootstrap', 'X', '--output-dir', join(dir, 'b')], ['Bad_Name', 'a..b']);
  slot('meshvm', 'ip', ['bootstrap', 'details', '--output-dir', join(dir, 'b'), flag('ingress-ip')], ['256.1.1.1', 'abc', '1.2.3']);
  slot('meshvm', 'ip', ['bootstrap', 'details', '--output-dir', join(dir, 'b'), flag('vm-ip')], ['256.1.1.1', '127.0.0.1']);
  slot('meshvm', 'duration', ['bootstrap', 'details', '--output-dir', join(dir, 'b'), flag('token-duration')], ['5x', '1e3s', '5m']);
  slot('meshvm', 'bool', ['bootstrap', 'details', '--output-dir', join(dir, 'b'), flag('autoregister')], ['yes', 'no']);
  slot('meshvm', 'bool', ['bootstrap', 'details', '--output-dir', join(dir, 'b'), flag('capture-dns')], ['yes', 'no']);
  slot('meshvm', 'service', ['check', 'X'], ['Bad_Svc', '1abc']);
  slot('meshvm', 'bool', ['check', flag('strict')], ['yes', 'no']);
  slot('meshvm', 'duration', ['check', flag('timeout')], ['5x', 'abc']);
  slot('meshvm', 'port', ['check', '--bootstrap', dir, '--connect', '--istiod-address', '127.0.0.1:X'], ['0', '65536', '0x50']);
  slot('meshvm', 'subdomain', ['setup', 'root@X', '--bootstrap', dir], ['Bad_Name', 'a..b', 'ho$t']);
  slot('meshvm', 'port', ['setup', 'root@192.168.3.202', '--bootstrap', dir, flag('port')], ['0', '65536', '1e3', '0x50']);
  slot('meshvm', 'count', ['setup', 'root@192.168.3.202', '--bootstrap', dir, flag('connect-timeout')], ['1e1', '0x10', '0', '1.5']);
  slot('meshvm', 'bool', ['setup', 'root@192.168.3.202', '--bootstrap', dir, flag('accept-new-host-key')], ['yes', 'no']);
  slot('meshvm', 'port', ['iptables', flag('inbound-ports')], ['0', '65536', '1e3', '0x50']);

  // meshremote
  slot('meshremote', 'label', ['generate-kubeconfig', 'X'], ['Bad_NS', 'a.b', 'UP']);
  slot('meshremote', 'duration', ['generate-kubeconfig', 'remote1', flag('token-duration')], ['5x', '1e3s', '5m']);
  slot('meshremote', 'bool', ['generate-kubeconfig', 'remote1', flag('legacy-token')], ['yes', 'no']);
  slot('meshremote', 'url', ['generate-kubeconfig', 'remote1', '--api-server', 'X'], ['not a url', 'ftp://127.0.0.1/']);
  slot('meshremote', 'host', ['generate-kubeconfig', 'remote1', flag('api-server-tls-name')], ['bad host!', 'a b', 'x/y']);
  slot('meshremote', 'label', ['create-secret', 'X', '--from-kubeconfig', join(dir, 'kc')], ['Bad_NS', 'a.b']);
  slot('meshremote', 'bool', ['create-secret', 'remote1', '--from-kubeconfig', join(dir, 'kc'), flag('overwrite')], ['yes', 'no']);
  // -o on every writing command: json, yaml and name only.
  for (const [plugin, argv] of [
    ['canary', ['set', 'new-nginx', '50']],
    ['canary', ['promote', 'new-nginx']],
    ['canary', ['abort', 'new-nginx']],
    ['canary', ['run', 'new-nginx', '--steps', '10,50']],
    ['bluegreen', ['set', 'echo', 'new-nginx', '50']],
    ['bluegreen', ['switch', 'echo', 'new-nginx']],
    ['bluegreen', ['rollback', 'echo']],
    ['bluegreen', ['preview', 'echo', 'new-nginx', '--cookie', 'beta']],
    ['bluegreen', ['finalize', 'echo']],
    ['ingress-ha', ['nodes', 'add', 'node-a1']],
    ['ingress-ha', ['nodes', 'remove', 'node-a1']],
    ['ingress-ha', ['deploy', '-n', 'kube-system']],
    ['meshvm', ['unregister', 'details', '192.0.2.10']],
    ['meshvm', ['register', 'details', '192.168.3.202', 'http:9080']],
    ['meshremote', ['link', 'remote1', '--remote-context', 'remote1']],
    ['meshremote', ['unlink', 'remote1']],
    ['meshremote', ['rotate', 'remote1', '--remote-context', 'remote1']],
    ['meshremote', ['generate-kubeconfig', 'remote1']],
    ['meshremote', ['create-secret', 'remote1', '--from-kubeconfig', join(dir, 'remote1.kubeconfig')]],
  ] as const) {
    slot(plugin, 'changeOutput', [...argv, flag('output')]);
  }
  // The kubeconfig would go to stdout with the document: refused together.
  out.push({ plugin: 'meshremote', argv: ['generate-kubeconfig', 'remote1', '--output-file', '-', '-o', 'json'] });
  slot('meshremote', 'label', ['link', 'X', '--remote-context', 'remote1'], ['Bad_NS', 'a.b']);
  slot('meshremote', 'bool', ['link', 'remote1', '--remote-context', 'remote1', flag('wait')], ['yes', 'no']);
  slot('meshremote', 'duration', ['link', 'remote1', '--remote-context', 'remote1', flag('timeout')], ['5x', 'abc']);
  slot('meshremote', 'label', ['unlink', 'X'], ['Bad_NS', 'a.b']);
  slot('meshremote', 'bool', ['unlink', 'remote1', flag('purge')], ['yes', 'no']);
  slot('meshremote', 'label', ['rotate', 'X', '--remote-context', 'remote1'], ['Bad_NS', 'a.b']);
  slot('meshremote', 'label', ['list', flag('istio-namespace')], ['Bad_NS', 'a.b']);
  slot('meshremote', 'bool', ['preflight', '--remote-context', 'remote1', flag('strict')], ['yes', 'no']);
  slot('meshremote', 'subdomain', ['endpoints', 'X'], ['Bad_Name.bookinfo', 'details.Bad_NS', 'details']);

  // trace
  slot('trace', 'percent', ['sampling', 'X'], ['101', '1e1', '0x10', 'abc', '']);
  slot('trace', 'label', ['sampling', '1', flag('revision')], ['Bad_NS', 'a.b']);
  slot('trace', 'subdomain', ['sampling', '1', flag('name')], ['Bad_Name', 'a..b']);
  slot('trace', 'bool', ['sampling', '1', flag('mesh-wide')], ['yes', 'no']);
  slot('trace', 'dryRun', ['sampling', '1', flag('dry-run')], ['maybe']);
  slot('trace', 'port', ['enable', '--provider', 'zipkin', '--service', 'zipkin.istio-system', flag('port')]);
  slot('trace', 'path', ['enable', '--provider', 'zipkin', '--service', 'zipkin.istio-system', '--port', '9411', flag('path')], ['no-slash', '/a b', '/a?x=1']);
  slot('trace', 'host', ['enable', '--provider', 'zipkin', '--service', 'X', '--port', '9411'], ['bad host!', 'a b', 'http://x']);
  slot('trace', 'bool', ['enable', '--provider', 'zipkin', '--service', 'zipkin.istio-system', '--port', '9411', flag('default')], ['yes', 'no']);
  slot('trace', 'label', ['disable', flag('istio-namespace')], ['Bad_NS', 'a.b']);
  slot('trace', 'count', ['list', '--service', 'productpage.default', flag('limit')], ['1e3', '0x10', '0', '1001', '1.5', 'abc']);
  slot('trace', 'duration', ['list', '--service', 'productpage.default', flag('since')], ['5x', '1e3s', 'abc']);
  slot('trace', 'duration', ['list', '--service', 'productpage.default', flag('min-duration')], ['5x', 'abc']);
  slot('trace', 'bool', ['list', '--service', 'productpage.default', flag('errors')], ['yes', 'no']);
  slot('trace', 'url', ['list', '--service', 'productpage.default', '--url', 'X'], ['not a url', 'ftp://127.0.0.1/']);
  slot('trace', 'headerName', ['list', '--service', 'productpage.default', '--url', target, '-H', 'X: v']);
  slot('trace', 'headerValue', ['list', '--service', 'productpage.default', '--url', target, '-H', 'x-token: X']);
  slot('trace', 'count', ['show', '0123456789abcdef', flag('depth')], ['1e1', '0x10', '0', '1.5']);
  slot('trace', 'count', ['show', '0123456789abcdef', flag('width')], ['1e2', '0x50', '39', '1001']);
  slot('trace', 'bool', ['show', '0123456789abcdef', flag('tags')], ['yes', 'no']);
  slot('trace', 'bool', ['show', '0123456789abcdef', flag('raw')], ['yes', 'no']);
  slot('trace', 'subdomain', ['show', 'X'], ['xyz', 'g123456789abcdef', '0123456789abcdef0123456789abcdef0']);
  slot('trace', 'duration', ['deps', flag('since')], ['5x', 'abc', '0s']);
  slot('trace', 'label', ['services', flag('backend')], ['Bad_NS/tracing', 'istio-system/Bad', 'tracing:Bad_Port']);
  return out;
}

/** Valid invocations that reach the server (the control: the counter sees requests). */
function controls(): Case[] {
  const url = URL;
  return [
    { plugin: 'canary', argv: ['status'] },
    { plugin: 'canary', argv: ['probe', `${url}/`, '--count', '3', '--host', 'nginx.default'] },
    { plugin: 'bluegreen', argv: ['status', 'echo'] },
    { plugin: 'bluegreen', argv: ['probe', `${url}/`, '--count', '2', '--host', 'mini-echo.io'] },
    { plugin: 'ingress-ha', argv: ['check', '-n', 'kube-system'] },
    { plugin: 'meshvm', argv: ['list'] },
    { plugin: 'meshremote', argv: ['list'] },
    { plugin: 'trace', argv: ['status'] },
    { plugin: 'trace', argv: ['list', '--service', 'productpage.default', '--url', url] },
  ];
}

const shown = (c: Case) => `${c.plugin} ${c.argv.map((a) => (/^[\w./:=@-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`;

describe('invalid input never reaches the cluster (all six plugins)', function () {
  this.timeout(120_000);
  const server = new CountingServer();
  let dir: string;
  let next = 0;

  /**
   * Run a case in-process with its own kubeconfig and URLs under a path prefix of its own, so that a
   * request still in flight when a command has exited is counted for the right invocation.
   */
  async function run(c: Case): Promise<{ id: string; result: RunResult; argv: string[] }> {
    const id = `/c${next++}`;
    const base = `${server.url}${id}`;
    const kubeconfig = join(dir, `kubeconfig${id.slice(1)}`);
    writeFileSync(
      kubeconfig,
      `clusters: [{name: lab, cluster: {server: "${base}"}}, {name: remote, cluster: {server: "${base}"}}]\n` +
        `users: [{name: me, user: {token: t}}]\n` +
        `contexts: [{name: lab, context: {cluster: lab, user: me, namespace: ${c.contextNamespace ?? 'default'}}}, {name: remote1, context: {cluster: remote, user: me}}]\n` +
        `current-context: lab\n`,
      { mode: 0o600 },
    );
    const argv = c.argv.map((a) => a.replaceAll(URL, base));
    // ssh and scp are never run for invalid input; if they were, they would fail at once.
    const env = { KUBECONFIG: kubeconfig, NO_COLOR: '1', KUBECTL_MESHVM_SSH: '/bin/false', KUBECTL_MESHVM_SCP: '/bin/false' };
    const result = await Promise.race([
      runInProcess(PLUGINS[c.plugin], argv, env),
      new Promise<RunResult>((_, reject) => setTimeout(() => reject(new Error(`${shown(c)}: no answer within 15 s`)), 15_000).unref()),
    ]);
    return { id, result, argv };
  }
  /** Requests under an invocation's prefix, after letting stragglers arrive. */
  const requestsOf = (id: string) => server.requests.filter((r) => r.split(' ')[1].startsWith(`${id}/`));
  const settle = () => new Promise((r) => setTimeout(r, 300));

  before(async () => {
    await server.start();
    dir = mkdtempSync(join(tmpdir(), 'invalid-input-'));
  });
  after(() => server.stop());

  it('the valid controls reach the counting server', async () => {
    const runs = [];
    for (const c of controls()) runs.push({ c, ...(await run(c)) });
    await settle();
    for (const { c, id, result } of runs)
      assert.ok(requestsOf(id).length > 0, `${shown(c)}: no request reached the server (exit ${result.code}: ${result.stderr})`);
  });

  it('several hundred invalid invocations: non-zero exit, one line on stderr, no stack trace, no request', async () => {
    const all = cases(dir);
    assert.ok(all.length >= 300, `only ${all.length} invalid invocations`);
    const runs = [];
    for (const c of all) runs.push({ c, ...(await run(c)) });
    await settle();
    const failures: string[] = [];
    let sent = 0;
    for (const { c, id, result: r } of runs) {
      const requests = requestsOf(id);
      if (requests.length) sent++;
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      const problems = [
        r.code === (c.code ?? 2) ? '' : `exit ${r.code}, not ${c.code ?? 2}`,
        lines.length === 1 && r.stderr.endsWith('\n') ? '' : `${lines.length} lines on stderr`,
        /^error: /.test(r.stderr) ? '' : 'stderr does not start with "error: "',
        /\n\s+at /.test(r.stderr) ? 'a stack trace' : '',
        r.stdout === '' ? '' : 'output on stdout',
        requests.length ? `${requests.length} requests (${requests.slice(0, 2).join(', ')})` : '',
      ].filter(Boolean);
      if (problems.length) failures.push(`${shown(c)}: ${problems.join('; ')}; stderr: ${lines.slice(0, 2).join(' | ').slice(0, 200)}`);
    }
    // The numbers for the closing note.
    console.log(`      ${all.length} invalid invocations, ${sent} sent requests, ${failures.length} failed a check`);
    assert.deepEqual(failures, [], `${failures.length} of ${all.length} invalid invocations:\n${failures.join('\n')}`);
  });

  it('the built binaries behave the same (a sample, two at a time)', async () => {
    // One case in 25, spread over all plugins; each with its own prefix as above.
    const sample = cases(dir).filter((_, i) => i % 25 === 0);
    const results: string[] = [];
    const ids: string[] = [];
    for (let i = 0; i < sample.length; i += 2) {
      await Promise.all(
        sample.slice(i, i + 2).map(async (c) => {
          const id = `/c${next++}`;
          ids.push(id);
          const kubeconfig = tempKubeconfig(
            `clusters: [{name: lab, cluster: {server: "${server.url}${id}"}}]\nusers: [{name: me, user: {token: t}}]\n` +
              `contexts: [{name: lab, context: {cluster: lab, user: me, namespace: ${c.contextNamespace ?? 'default'}}}, {name: remote1, context: {cluster: lab, user: me}}]\ncurrent-context: lab\n`,
          );
          const r = await execa(
            pluginBinary(c.plugin),
            c.argv.map((a) => a.replaceAll(URL, `${server.url}${id}`)),
            {
              reject: false,
              stdin: 'ignore',
              env: { PATH: process.env['PATH'] ?? '', HOME: '/nonexistent', NO_COLOR: '1', KUBECONFIG: kubeconfig, KUBECTL_MESHVM_SSH: '/bin/false' },
              extendEnv: false,
            },
          );
          const lines = r.stderr.split('\n').filter(Boolean);
          if (r.exitCode !== (c.code ?? 2) || lines.length !== 1 || r.stdout !== '')
            results.push(`${shown(c)}: exit ${r.exitCode}, stderr ${r.stderr.slice(0, 200)}`);
        }),
      );
    }
    await settle();
    assert.deepEqual(results, []);
    assert.deepEqual(ids.flatMap(requestsOf), []);
  });
});

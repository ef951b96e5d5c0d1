// kubectl meshremote on seed 001 chapter 6's two clusters with a real istiod: preflight, link (and
// what istiod then sees), the credentials' rights, the secret compared with istioctl's, list,
// endpoints, rotate without losing sync, unlink, and the seed's two scripts as two commands.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { execa } from 'execa';
import { bin, REPO_ROOT } from '../harness/binaries.js';
import { until, type Cluster } from '../harness/cluster.js';
import type { Istiod } from '../harness/istiod.js';
import type { Mesh } from '../harness/mesh.js';
import { sharedMeshPair } from '../support/fixture.js';

const SECRET = 'istio-remote-secret-remote1';
const READER = 'meshremote-reader-remote1';

interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

describe('kubectl meshremote on two clusters with a real istiod', function () {
  this.timeout(180_000);
  let mesh: Mesh;
  let primary: Cluster;
  let remote: Cluster;
  let istiod: Istiod;
  let kubeconfig: string;
  let work: string;
  let remotePodIPs: string[] = [];

  const mr = async (args: string[], env: Record<string, string> = {}): Promise<Run> => {
    const r = await execa(join(REPO_ROOT, 'dist', 'bin', 'kubectl-meshremote'), args, {
      reject: false,
      stdin: 'ignore',
      cwd: work,
      env: { NO_COLOR: '1', PATH: process.env['PATH'] ?? '', KUBECONFIG: kubeconfig, ...env },
      extendEnv: false,
    });
    return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const storedKubeconfig = async (): Promise<string> => {
    const b64 = (await primary.kubectl(['-n', 'istio-system', 'get', 'secret', SECRET, '-o', 'jsonpath={.data.remote1}'])).stdout;
    return Buffer.from(b64, 'base64').toString('utf8');
  };
  const canI = async (kc: string, verb: string, resource: string, namespace?: string) =>
    (
      await execa(bin('kubectl'), ['--kubeconfig', kc, 'auth', 'can-i', verb, resource, ...(namespace ? ['-n', namespace] : ['-A'])], {
        reject: false,
        stdin: 'ignore',
      })
    ).stdout.trim();
  const status = async (id: string) => (await istiod.clusterz()).find((c) => c.id === id)?.syncStatus;
  const hasDetails = async () => (await istiod.registryz()).some((s) => s.hostname === 'details.bookinfo.svc.cluster.local');
  const remoteObjects = async () =>
    (
      await remote.kubectl(['get', 'serviceaccounts,secrets', '-n', 'istio-system', '-l', 'traffic.kubectl-plugins.io/mesh-remote=remote1', '-o', 'name'])
    ).stdout
      .split('\n')
      .filter(Boolean)
      .concat(
        (await remote.kubectl(['get', 'clusterroles,clusterrolebindings', '-l', 'traffic.kubectl-plugins.io/mesh-remote=remote1', '-o', 'name'])).stdout
          .split('\n')
          .filter(Boolean),
      );

  before(async () => {
    mesh = await sharedMeshPair();
    [primary, remote] = [mesh.cluster('primary'), mesh.cluster('remote1')];
    istiod = primary.istiod!;
    kubeconfig = mesh.kubeconfig();
    work = mkdtempSync(join(tmpdir(), 'meshremote-'));
    // The seed's remote half of Bookinfo: details in the remote only.
    await remote.kubectl(['create', 'namespace', 'bookinfo']);
    await remote.kubectl([
      '-n',
      'bookinfo',
      'create',
      'deployment',
      'details',
      '--image=docker.io/istio/examples-bookinfo-details-v1:1.20.2',
      '--port=9080',
      '--replicas=2',
    ]);
    await remote.kubectl(['-n', 'bookinfo', 'expose', 'deployment', 'details', '--port=9080']);
    await remote.kubectl(['-n', 'bookinfo', 'wait', '--for=condition=Available', 'deployment/details', '--timeout=60s']);
    remotePodIPs = (await remote.kubectl(['-n', 'bookinfo', 'get', 'pods', '-l', 'app=details', '-o', 'jsonpath={.items[*].status.podIP}'])).stdout
      .split(' ')
      .sort();
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("preflight passes on the seed's layout, reading both clusters at once", async () => {
    const r = await mr(['preflight', '--remote-context', 'remote1', '-o', 'json', '-v']);
    assert.equal(r.exitCode, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      kind: string;
      checks: { check: string; clusters: string[]; status: string; detail: string }[];
      summary: { fail: number };
    };
    assert.equal(doc.kind, 'MeshRemotePreflight');
    assert.equal(doc.summary.fail, 0, JSON.stringify(doc.checks.filter((c) => c.status === 'FAIL')));
    const find = (check: string, cluster: string) => doc.checks.find((c) => c.check === check && c.clusters.includes(cluster))!;
    assert.match(find('pod-cidr', 'primary').detail, /^172\.16\.\d+\.0\/24 \(from the podCIDRs of 1 node/);
    assert.match(find('pod-cidr', 'remote1').detail, /^172\.20\.\d+\.0\/24 /);
    assert.match(find('service-cidr', 'primary').detail, /^172\.19\.0\.0\/20 \(from 1 ServiceCIDR/);
    assert.match(find('service-cidr', 'remote1').detail, /^172\.21\.0\.0\/20 /);
    assert.equal(find('cidr-overlap', 'remote1').status, 'PASS');
    assert.match(find('istio', 'primary').detail, /^istiod v0\.0\.0-\d{14}-[0-9a-f]{12} in 1 pod, cluster ID primary$/);
    assert.equal(find('cluster-name', 'remote1').status, 'PASS');
    assert.equal(find('control-plane', 'remote1').status, 'PASS');
    assert.equal(find('api-server', 'remote1').status, 'WARN', 'a loopback API server is said');
    assert.equal(find('pod-routes', 'remote1').status, 'UNCHECKED', 'what cannot be seen from here is said');
    // One client per context, each used once (requests in parallel).
    assert.match(r.stderr, /^I: \d+ API requests to https:\/\/127\.0\.0\.1:\d+ \(.*portforward 1\)$/m);
    assert.match(r.stderr, /^I: \d+ API requests to https:\/\/127\.0\.0\.1:\d+ \(get \d+, list \d+\) for context "remote1"$/m);
    const table = await mr(['preflight', '--remote-context', 'remote1']);
    assert.equal(table.exitCode, 0);
    assert.match(table.stdout, /Pod and Service ranges[^\n]*\n\s+primary\s+remote1\nprimary\s+-\s+ok\nremote1\s+ok\s+-\n/);
    // Before the link the remote has no root certificate yet: said, not assumed.
    assert.match(table.stdout, /^trust-root\s+remote1\s+UNCHECKED\s+no istio-ca-root-cert in istio-system yet/m);
    assert.match(table.stdout, /\n\d+ passed, 1 warned, 0 failed, 3 not checkable from here$/);
  });

  it('bad input is refused before any request: one line, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['link', 'Remote_1', '--remote-context', 'remote1'], /cluster name "Remote_1" is not a valid DNS-1123 label/],
      [['link', 'remote1'], /--remote-context is required/],
      [['link', 'remote1', '--remote-context', 'primary'], /is the primary's context too/],
      [['link', 'remote1', '--remote-context', 'nowhere'], /--remote-context: context "nowhere" not found/],
      [['link', 'remote1', '--remote-context', 'remote1', '--token-duration', '5m'], /shorter than the API server's minimum of 10m/],
      [['link', 'remote1', '--remote-context', 'remote1', '--token-duration', '1h', '--legacy-token'], /do not go together/],
      [['link', 'remote1', '--remote-context', 'remote1', '--reader', 'all'], /--reader all: use istio or minimal/],
      [['link', 'remote1', '--remote-context', 'remote1', '--api-server', 'ftp://x'], /must be an https:\/\/ URL/],
      [['link', 'remote1', '--remote-context', 'remote1', '-n', 'default'], /works in the Istio namespace \(istio-system\)/],
      [['link', 'remote1', '--remote-context', 'remote1', '--dry-run=maybe'], /invalid --dry-run value/],
      [['unlink', 'remote1', '--purge'], /--purge needs --remote-context/],
      [['create-secret', 'remote1', '--from-kubeconfig', join(work, 'absent')], /no such file/],
      [['endpoints', 'details'], /must be <service>\.<namespace>/],
      [['preflight', '--remote-context', 'remote1', '--remote-context', 'remote1'], /given twice/],
      [['list', '-o', 'wat'], /unknown output format/],
    ];
    for (const [args, message] of cases) {
      const r = await mr([...args, '-v']);
      assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const lines = r.stderr.split('\n').filter((l) => l && !l.startsWith('    at ') && !l.startsWith('UsageError') && !l.startsWith('ValidationError'));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], message);
      assert.doesNotMatch(r.stderr, /API requests/, `${args.join(' ')} made a request`);
    }
  });

  it('link --dry-run=client and =server create nothing', async () => {
    const client = await mr(['link', 'remote1', '--remote-context', 'remote1', '--dry-run=client']);
    assert.equal(client.exitCode, 0, client.stderr);
    assert.match(client.stdout, /kind: ServiceAccount\n/);
    assert.match(client.stdout, /token: REDACTED/);
    const server = await mr(['link', 'remote1', '--remote-context', 'remote1', '--dry-run=server']);
    assert.equal(server.exitCode, 0, server.stderr);
    assert.match(server.stdout, /^serviceaccount\/meshremote-reader-remote1 created \(server dry run\) \(context remote1\)$/m);
    assert.match(server.stdout, /^secret\/istio-remote-secret-remote1 created \(server dry run\) \(context primary\)$/m);
    assert.deepEqual(await remoteObjects(), []);
    assert.equal((await primary.kubectl(['-n', 'istio-system', 'get', 'secret', SECRET], { reject: false })).exitCode, 1);
  });

  it("link: istiod reports remote1 synced and has the remote's details endpoints", async () => {
    const r = await mr(['link', 'remote1', '--remote-context', 'remote1']);
    assert.equal(r.exitCode, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 7, r.stdout);
    assert.deepEqual(lines.slice(0, 3), [
      `serviceaccount/${READER} created (context remote1)`,
      `clusterrole.rbac.authorization.k8s.io/${READER} created (context remote1)`,
      `clusterrolebinding.rbac.authorization.k8s.io/${READER} created (context remote1)`,
    ]);
    assert.match(lines[3], /^secret\/meshremote-reader-remote1-token-[a-z0-9]{5} created \(context remote1\)$/);
    assert.equal(lines[4], `secret/${SECRET} created (context primary)`);
    assert.match(
      lines[5],
      /^link remote1: istiod in context "primary" reads https:\/\/127\.0\.0\.1:\d+ as service account istio-system\/meshremote-reader-remote1 \(token valid until /,
    );
    assert.match(lines[6], /^istiod pod istiod-harness reports cluster remote1 synced \(/);
    assert.match(r.stderr, /the remote names this primary \(primary\) as its control plane: the reader may also write/);
    assert.match(r.stderr, /loopback address: .*pass --api-server/);
    assert.equal(await status('remote1'), 'synced');
    await until('details from remote1 in the registry of istiod', hasDetails, 30_000, istiod.processes);
    let ips: string[] = [];
    await until(
      "the remote's details pods among istiod's endpoints",
      async () => {
        ips = (await istiod.endpoints('details', 'bookinfo')).flatMap((e) => e.Addresses ?? []).sort();
        return ips.length === remotePodIPs.length;
      },
      30_000,
      istiod.processes,
    );
    assert.deepEqual(ips, remotePodIPs);
    assert.ok(
      remotePodIPs.every((ip) => ip.startsWith('172.20.')),
      'pods from the remote Pod CIDR',
    );
  });

  it('link again changes nothing and writes nothing', async () => {
    const r = await mr(['link', 'remote1', '--remote-context', 'remote1', '-v', '--wait=false']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^link remote1 unchanged \(token valid until \d{4}-\d\d-\d\dT[\d:]+Z \(in 36[45]d\)\)$/m);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('I: '));
    const own = lines.filter((l) => !/for context "(secret|the kubeconfig)/.test(l));
    assert.equal(own.length, 2, r.stderr);
    for (const l of own) assert.doesNotMatch(l, /create|patch|update|delete/, l);
    // Linked, the primary's istiod publishes its root into the remote: preflight now compares them.
    await until(
      'istio-ca-root-cert in the remote',
      async () => (await remote.kubectl(['-n', 'istio-system', 'get', 'configmap', 'istio-ca-root-cert'], { reject: false })).exitCode === 0,
      30_000,
    );
    const pf = await mr(['preflight', '--remote-context', 'remote1']);
    assert.match(pf.stdout, /^trust-root\s+primary,remote1\s+PASS\s+one root in primary, remote1: O=cluster\.local \([0-9A-F:]{11}\)$/m);
    assert.match(
      pf.stdout,
      /^cluster-name\s+remote1\s+PASS\s+"remote1" \(its istio-sidecar-injector values\); already linked by secret istio-remote-secret-remote1$/m,
    );
  });

  it('the secret has the shape of istioctl create-remote-secret', async () => {
    const ours = yaml.load((await primary.kubectl(['-n', 'istio-system', 'get', 'secret', SECRET, '-o', 'yaml'])).stdout) as {
      metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
      type: string;
      data: Record<string, string>;
    };
    const out = await execa(bin('istioctl'), ['--kubeconfig', remote.kubeconfig, 'create-remote-secret', '--name', 'remote1'], { stdin: 'ignore' });
    // istioctl made its own token Secret in the remote: gone again after the comparison.
    await remote.kubectl(['-n', 'istio-system', 'delete', 'secret', 'istio-reader-service-account-istio-remote-secret-token', '--ignore-not-found']);
    const theirs = yaml.loadAll(out.stdout)[0] as {
      metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
      stringData: Record<string, string>;
    };
    assert.equal(ours.metadata.name, theirs.metadata.name);
    assert.equal(ours.metadata.namespace, 'istio-system');
    assert.equal(ours.type, 'Opaque');
    for (const [k, v] of Object.entries(theirs.metadata.labels)) assert.equal(ours.metadata.labels[k], v, k);
    for (const [k, v] of Object.entries(theirs.metadata.annotations)) assert.equal(ours.metadata.annotations[k], v, k);
    assert.deepEqual(Object.keys(ours.data), Object.keys(theirs.stringData));
    type Kc = {
      clusters: { name: string; cluster: Record<string, string> }[];
      contexts: { name: string; context: Record<string, string> }[];
      users: { name: string; user: Record<string, string> }[];
    } & Record<string, unknown>;
    const a = yaml.load(Buffer.from(ours.data['remote1'], 'base64').toString()) as Kc;
    const b = yaml.load(theirs.stringData['remote1']) as Kc;
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
    assert.deepEqual(Object.keys(a.clusters[0].cluster).sort(), Object.keys(b.clusters[0].cluster).sort());
    assert.deepEqual(Object.keys(a.users[0].user).sort(), Object.keys(b.users[0].user).sort());
    assert.deepEqual(
      [a.clusters[0].name, a.contexts[0].name, a.users[0].name, a['current-context']],
      [b.clusters[0].name, b.contexts[0].name, b.users[0].name, b['current-context']],
    );
    assert.deepEqual(a.contexts[0].context, b.contexts[0].context);
    assert.equal(a.clusters[0].cluster['server'], b.clusters[0].cluster['server']);
    assert.equal(
      a.clusters[0].cluster['certificate-authority-data'],
      b.clusters[0].cluster['certificate-authority-data'],
      "the cluster's CA, as istioctl takes it",
    );
    assert.notEqual(a.users[0].user['token'], b.users[0].user['token']);
  });

  it('list: the server, that it answers with the stored credentials, the token expiry, istiod synced', async () => {
    const r = await mr(['list']);
    assert.equal(r.exitCode, 0, r.stderr);
    const [head, row] = r.stdout.split('\n');
    assert.match(head, /^NAME\s+SERVER\s+ANSWERS\s+TOKEN EXPIRES\s+ISTIOD$/);
    assert.match(row, new RegExp(`^remote1\\s+${remote.server.replace(/\./g, '\\.')}\\s+yes\\s+\\d{4}-\\d\\d-\\d\\d \\(36[45]d\\)\\s+synced$`));
    const doc = JSON.parse((await mr(['list', '-o', 'json'])).stdout) as {
      items: { name: string; answers: { ok: boolean; user: string }; token: { legacy: boolean; boundTo: string }; istiod: { status: string }[] }[];
    };
    assert.equal(doc.items[0].answers.user, `system:serviceaccount:istio-system:${READER}`);
    assert.equal(doc.items[0].token.legacy, false);
    assert.match(doc.items[0].token.boundTo, /^meshremote-reader-remote1-token-/);
    assert.deepEqual(doc.items[0].istiod, [{ pod: 'istiod-harness', status: 'synced' }]);
  });

  it('endpoints: each cluster read with its own credentials; ready and not-ready addresses; overlaps flagged', async () => {
    // A selector-less Service in both clusters whose EndpointSlices share an address.
    const legacy = (addresses: [string, boolean][]) => [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'legacy', namespace: 'bookinfo' }, spec: { ports: [{ name: 'http', port: 9080 }] } },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'legacy-1', namespace: 'bookinfo', labels: { 'kubernetes.io/service-name': 'legacy' } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 9080 }],
        endpoints: addresses.map(([ip, ready]) => ({ addresses: [ip], conditions: { ready } })),
      },
    ];
    await primary.kubectl(['create', 'namespace', 'bookinfo'], { reject: false });
    await remote.apply(
      legacy([
        ['192.0.2.10', true],
        ['192.0.2.11', false],
      ]),
    );
    await primary.apply(legacy([['192.0.2.10', true]]));
    const r = await mr(['endpoints', 'legacy.bookinfo', '-v']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s{2,}/)),
      [
        ['CLUSTER', 'ADDRESS', 'READY', 'PORTS', 'TARGET', 'OVERLAPS'],
        ['primary', '192.0.2.10', 'true', 'http:9080', 'remote1'],
        ['remote1', '192.0.2.10', 'true', 'http:9080', 'primary'],
        ['remote1', '192.0.2.11', 'false', 'http:9080'],
      ],
    );
    assert.match(r.stderr, /Warning: 192\.0\.2\.10 is an endpoint in primary and remote1/);
    assert.match(r.stderr, /^I: 2 API requests to \S+ \(get 1, list 1\) for context "secret istio-system\/istio-remote-secret-remote1"$/m);
    const details = JSON.parse((await mr(['endpoints', 'details.bookinfo', '-o', 'json'])).stdout) as {
      clusters: { cluster: string; service: boolean; endpoints: { address: string }[] }[];
    };
    assert.deepEqual(
      details.clusters.map((c) => [c.cluster, c.service, c.endpoints.map((e) => e.address).sort()]),
      [
        ['primary', false, []],
        ['remote1', true, remotePodIPs],
      ],
    );
  });

  it('the stored credentials read what istiod needs and write nothing but what its control plane writes', async () => {
    const kc = join(work, 'stored.kubeconfig');
    writeFileSync(kc, await storedKubeconfig(), { mode: 0o600 });
    for (const r of ['services', 'endpointslices.discovery.k8s.io', 'pods', 'nodes', 'namespaces', 'workloadentries.networking.istio.io', 'secrets']) {
      assert.equal(await canI(kc, 'list', r), 'yes', `list ${r}`);
    }
    for (const [verb, r] of [
      ['create', 'pods'],
      ['delete', 'services'],
      ['update', 'secrets'],
      ['create', 'deployments.apps'],
      ['patch', 'nodes'],
      ['create', 'clusterrolebindings.rbac.authorization.k8s.io'],
    ]) {
      assert.equal(await canI(kc, verb, r, 'default'), 'no', `${verb} ${r}`);
    }
    // remote1 names primary as its control plane: istiod there writes root certificates and webhook CA bundles.
    assert.equal(await canI(kc, 'create', 'configmaps', 'default'), 'yes');
    assert.equal(await canI(kc, 'patch', 'mutatingwebhookconfigurations.admissionregistration.k8s.io'), 'yes');
    assert.equal(await canI(kc, 'delete', 'configmaps', 'default'), 'no');

    // A cluster no istiod controls gets a read-only reader; minimal reads no Secrets. The name is the one
    // the cluster's Istio install gives it (any other is refused).
    for (const reader of ['istio', 'minimal']) {
      const out = join(work, `ro-${reader}.kubeconfig`);
      const g = await mr(['generate-kubeconfig', 'primary', '--reader', reader, '--output-file', out]);
      assert.equal(g.exitCode, 0, g.stderr);
      assert.equal(await canI(out, 'list', 'services'), 'yes');
      assert.equal(await canI(out, 'list', 'secrets'), reader === 'istio' ? 'yes' : 'no');
      assert.equal(await canI(out, 'get', 'configmaps', 'default'), reader === 'istio' ? 'yes' : 'no');
      for (const [verb, r] of [
        ['create', 'configmaps'],
        ['update', 'configmaps'],
        ['create', 'pods'],
        ['delete', 'secrets'],
        ['patch', 'mutatingwebhookconfigurations.admissionregistration.k8s.io'],
      ]) {
        assert.equal(await canI(out, verb, r, 'default'), 'no', `${reader}: ${verb} ${r}`);
      }
      if (reader === 'minimal')
        assert.match(g.stderr, /--reader minimal costs:\n {2}- istiod in the primary must run with PILOT_ENABLE_REMOTE_CREDENTIALS_CONTROLLER=false/);
      await primary.kubectl(['delete', 'serviceaccount,secret', '-n', 'istio-system', '-l', 'traffic.kubectl-plugins.io/mesh-remote=primary']);
      await primary.kubectl(['delete', 'clusterrole,clusterrolebinding', '-l', 'traffic.kubectl-plugins.io/mesh-remote=primary']);
    }
  });

  it('rotate: istiod stays synced with the details endpoints throughout; the old token is revoked', async () => {
    const before = await storedKubeconfig();
    const seen = new Set<string>();
    let endpointsAlways = true;
    let polls = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        seen.add((await status('remote1')) ?? 'absent');
        endpointsAlways &&= (await hasDetails()) && (await istiod.endpoints('details', 'bookinfo')).length === remotePodIPs.length;
        polls++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const r = await mr(['rotate', 'remote1', '--remote-context', 'remote1']);
    polling = false;
    await poll;
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^secret\/meshremote-reader-remote1-token-[a-z0-9]{5} created \(context remote1\)$/m);
    assert.match(r.stdout, /^secret\/istio-remote-secret-remote1 configured \(context primary\)$/m);
    assert.match(r.stdout, /^secret\/meshremote-reader-remote1-token-[a-z0-9]{5} deleted \(context remote1\)$/m);
    assert.match(r.stdout, /1 older token Secret\(s\) deleted; the previous token is refused by the API server/);
    // istiod swaps in a client with the new token (listed as syncing until it has synced) and keeps
    // serving the old one's state meanwhile: the cluster never leaves, its endpoints never go.
    assert.ok(polls >= 5, `polled ${polls} times`);
    assert.deepEqual(
      [...seen].filter((s) => s !== 'synced' && s !== 'syncing'),
      [],
      `statuses seen: ${[...seen].join(', ')}`,
    );
    assert.ok(endpointsAlways, "details and its endpoints stayed in istiod's registry");
    const old = join(work, 'old.kubeconfig');
    writeFileSync(old, before, { mode: 0o600 });
    const refused = await execa(bin('kubectl'), ['--kubeconfig', old, 'get', 'namespaces'], { reject: false, stdin: 'ignore' });
    assert.match(refused.stderr, /Unauthorized|must be logged in/);
    assert.notEqual(await storedKubeconfig(), before);
    assert.equal(await status('remote1'), 'synced');
  });

  it('unlink: istiod drops remote1 and its endpoints; --purge removes the reader; a second run finds nothing', async () => {
    const r = await mr(['unlink', 'remote1']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^secret\/istio-remote-secret-remote1 deleted \(context primary\)\nistiod pod istiod-harness reports cluster remote1 gone/);
    assert.equal(await status('remote1'), undefined);
    await until('details to leave the registry', async () => !(await hasDetails()), 30_000, istiod.processes);
    assert.deepEqual(await istiod.endpoints('details', 'bookinfo'), []);
    assert.equal((await remoteObjects()).length, 4, 'without --purge the reader stays');
    const purge = await mr(['unlink', 'remote1', '--remote-context', 'remote1', '--purge']);
    assert.equal(purge.exitCode, 0, purge.stderr);
    assert.match(purge.stdout, /^secret\/istio-remote-secret-remote1 already gone \(context primary\)$/m);
    assert.match(purge.stdout, /^serviceaccount\/meshremote-reader-remote1 deleted \(context remote1\)$/m);
    assert.deepEqual(await remoteObjects(), []);
    const again = await mr(['unlink', 'remote1', '--remote-context', 'remote1', '--purge']);
    assert.equal(again.exitCode, 0, again.stderr);
    assert.match(again.stdout, /nothing to purge/);
  });

  it('link whose primary step fails leaves nothing it made in the remote, and says so', async () => {
    // A primary user who may read but not write Secrets in istio-system.
    await primary.apply([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'meshremote-test-viewer' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'User', name: 'viewer' }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'meshremote-test-secret-reader', namespace: 'istio-system' },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'meshremote-test-secret-reader', namespace: 'istio-system' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'meshremote-test-secret-reader' },
        subjects: [{ kind: 'User', name: 'viewer' }],
      },
    ]);
    const viewer = yaml.load(readFileSync(await primary.userKubeconfig('viewer'), 'utf8')) as Record<string, { name: string }[]>;
    const merged = yaml.load(readFileSync(kubeconfig, 'utf8')) as Record<string, { name: string }[]>;
    const kc = join(work, 'viewer.kubeconfig');
    writeFileSync(
      kc,
      yaml.dump({
        ...merged,
        users: [...merged['users'], { ...viewer['users'][0], name: 'viewer' }],
        contexts: [...merged['contexts'], { name: 'primary-viewer', context: { cluster: 'primary', user: 'viewer' } }],
        'current-context': 'primary-viewer',
      }),
      { mode: 0o600 },
    );
    const r = await mr(['link', 'remote1', '--remote-context', 'remote1'], { KUBECONFIG: kc });
    assert.equal(r.exitCode, 1);
    const error = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
    assert.equal(error.length, 1, r.stderr);
    assert.match(error[0], /^error: forbidden: .*secrets.*; what this run created in context "remote1" was removed again$/);
    assert.deepEqual(await remoteObjects(), []);
    assert.equal(await status('remote1'), undefined);
  });

  it("the seed's two scripts: generate-kubeconfig in the remote, create-secret in the primary", async () => {
    const g = await mr(['generate-kubeconfig', 'remote1', '--context', 'remote1']);
    assert.equal(g.exitCode, 0, g.stderr);
    const file = join(work, 'remote1.kubeconfig');
    assert.match(g.stdout, new RegExp(`^kubeconfig ${file} written \\(service account istio-system/${READER}, token valid until `, 'm'));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.doesNotMatch(g.stdout + g.stderr, /token: |eyJ/, 'the token is never printed');
    assert.match(g.stderr, /Warning: the API server address https:\/\/127\.0\.0\.1:\d+ is a loopback address: .* pass --api-server /);
    const again = await mr(['generate-kubeconfig', 'remote1', '--context', 'remote1']);
    assert.match(again.stdout, /^kubeconfig \S+ unchanged: its token is valid until /);
    const printed = await mr(['generate-kubeconfig', 'remote1', '--context', 'remote1', '--output-file', '-']);
    assert.equal((yaml.load(printed.stdout) as { 'current-context': string })['current-context'], 'remote1');

    const refused = await mr(['create-secret', 'primary', '--from-kubeconfig', file]);
    assert.equal(refused.exitCode, 1);
    assert.match(refused.stderr, /^error: "primary" is the cluster ID of the primary \(context "primary"\) itself: istiod ignores/m);
    const c = await mr(['create-secret', 'remote1', '--from-kubeconfig', file]);
    assert.equal(c.exitCode, 0, c.stderr);
    assert.match(c.stdout, /^secret\/istio-remote-secret-remote1 created\nistiod pod istiod-harness reports cluster remote1 synced/);
    await until('details back in the registry', hasDetails, 30_000, istiod.processes);

    // Another secret registering remote1 first: istiod would ignore ours, so it is refused.
    await primary.apply([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'other-remote-secret', namespace: 'istio-system', labels: { 'istio/multiCluster': 'true' } },
        stringData: { remote1: await storedKubeconfig() },
      },
    ]);
    const dup = await mr(['create-secret', 'remote1', '--from-kubeconfig', file, '--overwrite']);
    assert.equal(dup.exitCode, 1);
    assert.match(dup.stderr, /cluster "remote1" is already registered by secret istio-system\/other-remote-secret/);
    await primary.kubectl(['-n', 'istio-system', 'delete', 'secret', 'other-remote-secret']);
    const done = await mr(['unlink', 'remote1', '--remote-context', 'remote1', '--purge']);
    assert.equal(done.exitCode, 0, done.stderr);
  });
});

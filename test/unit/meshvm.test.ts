// kubectl meshvm's pure parts: port arguments and names, the ssh target and argument arrays of setup,
// the install script's report, check's verdicts, list's rows, and usage errors (exit 2, nothing sent).
import assert from 'node:assert/strict';
import { plugin } from '../../plugins/meshvm/cli.js';
import { checkExit, checkVerdicts, type ClusterFacts } from '../../plugins/meshvm/check-rules.js';
import { vmRows } from '../../plugins/meshvm/list-rows.js';
import { parsePortArg, resolvePorts } from '../../plugins/meshvm/ports.js';
import { changedSomething, INSTALL_SCRIPT, parseTarget, reportLines, scpArgs, sshArgs, stagingDir } from '../../plugins/meshvm/setup-plan.js';
import type { WorkloadEntry } from '../../shared/istio/workload.js';
import { runInProcess } from '../support/buffers.js';

const entry = (
  name: string,
  address: string,
  labels: Record<string, string>,
  ports: Record<string, number>,
  extra: Partial<WorkloadEntry> = {},
): WorkloadEntry => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'WorkloadEntry',
  metadata: { name, namespace: 'bookinfo', ...extra.metadata },
  spec: { address, labels, ports, ...extra.spec },
  ...(extra.status ? { status: extra.status } : {}),
});

describe('kubectl meshvm', () => {
  describe('ports', () => {
    it('names ports as istioctl register did, and says so', () => {
      const r = resolvePorts(['3306', '80', '443', '9999'].map(parsePortArg), undefined, { what: 'service/x', canAdd: true, addHint: () => '' });
      assert.deepEqual(
        r.ports.map((p) => `${p.name}:${p.vmPort}`),
        ['mysql:3306', 'http:80', 'https:443', 'tcp-9999:9999'],
      );
      assert.ok(r.notes.some((n) => /port 9999 named "tcp-9999": Istio treats it as plain TCP/.test(n)));
    });
    it('refuses a name that disagrees with the Service, with the fix', () => {
      assert.throws(
        () => resolvePorts([parsePortArg('grpc:9080')], [{ name: 'http', port: 9080 }], { what: 'service/details', canAdd: false, addHint: () => '' }),
        /service\/details has port 9080 named "http", not "grpc"; register it under its name: http:9080/,
      );
    });
  });

  describe('setup', () => {
    it('takes user@host, IPv6 in brackets for scp, and refuses what ssh would read as an option', () => {
      assert.deepEqual(parseTarget('root@192.168.3.202'), { user: 'root', host: '192.168.3.202', ssh: 'root@192.168.3.202', scpHost: 'root@192.168.3.202' });
      assert.equal(parseTarget('admin@[2001:db8::7]').scpHost, 'admin@[2001:db8::7]');
      assert.equal(parseTarget('admin@2001:db8::7').ssh, 'admin@2001:db8::7');
      for (const bad of ['192.168.3.202', '-oProxyCommand=touch@x', 'root@-oProxyCommand=x', 'root@a b', 'root@999.1.1.1', 'ro ot@host'])
        assert.throws(() => parseTarget(bad), { name: 'ValidationError' }, bad);
    });
    it('checks host keys strictly unless told, never prompts, and ends options before the target', () => {
      const t = parseTarget('root@192.168.3.202');
      const strict = sshArgs(t, { acceptNewHostKey: false, connectTimeoutSeconds: 10 }, ['true']);
      assert.deepEqual(strict, ['-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '--', 'root@192.168.3.202', 'true']);
      const loose = sshArgs(t, { acceptNewHostKey: true, connectTimeoutSeconds: 5, port: 2222, identity: '/k', config: '/c' }, ['true']);
      assert.deepEqual(loose.slice(0, 6), ['-F', '/c', '-i', '/k', '-o', 'IdentitiesOnly=yes']);
      assert.ok(loose.includes('StrictHostKeyChecking=accept-new') && loose.join(' ').includes('-p 2222 --'));
      const scp = scpArgs(t, { acceptNewHostKey: false, connectTimeoutSeconds: 10, port: 2222 }, ['/b/hosts'], '/tmp/meshvm.abcdefghij');
      assert.deepEqual(scp.slice(-4), ['2222', '--', '/b/hosts', 'root@192.168.3.202:/tmp/meshvm.abcdefghij/']);
    });
    it("accepts only a staging directory of mktemp's shape", () => {
      assert.equal(stagingDir('/tmp/meshvm.AbC123xYz9\n'), '/tmp/meshvm.AbC123xYz9');
      for (const bad of ['/tmp/meshvm.x; rm -rf /', '/etc', '', 'Welcome!\n/tmp/meshvm.AbC123xYz9'])
        assert.throws(() => stagingDir(bad), { name: 'ValidationError' });
    });
    it("installs each file where Istio's VM doc puts it, the token 0600, and reads the VM's report", () => {
      for (const line of [
        'put "$src/root-cert.pem" /etc/certs/root-cert.pem 644',
        'put "$src/istio-token" /var/run/secrets/tokens/istio-token 600',
        'put "$src/cluster.env" /var/lib/istio/envoy/cluster.env 644',
        'put "$src/mesh.yaml" /etc/istio/config/mesh 644',
      ])
        assert.ok(INSTALL_SCRIPT.includes(line), line);
      const steps = reportLines('unchanged /etc/certs/root-cert.pem 644\npresent /etc/hosts 10.0.0.1 istiod.istio-system.svc\nno-unit istio -\nnoise\n');
      assert.deepEqual(steps[1], { action: 'present', path: '/etc/hosts', detail: '10.0.0.1 istiod.istio-system.svc' });
      assert.equal(changedSomething(steps), false);
      assert.equal(changedSomething(reportLines('added /etc/hosts 10.0.0.1 istiod.istio-system.svc')), true);
    });
  });

  describe('check', () => {
    const facts = (over: Partial<ClusterFacts> = {}): ClusterFacts => ({
      namespace: 'bookinfo',
      istioNamespace: 'istio-system',
      crds: true,
      rootCert: 'pem',
      entries: [],
      groups: [],
      services: [],
      serviceEntries: [],
      serviceAccounts: new Set(['default']),
      ...over,
    });
    const now = new Date('2026-12-01T00:00:00Z');
    it('fails without an east-west gateway, warns on a host-name load balancer', () => {
      const none = checkVerdicts({ cluster: facts(), now });
      assert.equal(none.find((v) => v.rule === 'eastwest-gateway')?.status, 'FAIL');
      assert.equal(checkExit(none, false), 3);
      const ew = {
        metadata: { name: 'istio-eastwestgateway' },
        spec: { selector: { istio: 'eastwestgateway' }, ports: [{ port: 15012 }, { port: 15017 }] },
        status: { loadBalancer: { ingress: [{ hostname: 'gw.example.com' }] } },
      };
      const byName = checkVerdicts({ cluster: facts({ eastwest: ew }), now });
      assert.equal(byName.find((v) => v.rule === 'eastwest-gateway')?.status, 'WARN');
      assert.match(byName.find((v) => v.rule === 'istiod-exposed')?.fix ?? '', /kubectl meshvm expose-istiod/);
    });
    it('fails a VM no Service selects and one whose Service targets a port name it lacks; names the missing service account', () => {
      const we = entry('details-192-168-3-202', '192.168.3.202', { app: 'details' }, { http: 9080 }, { spec: { serviceAccount: 'bookinfo-details' } });
      const lonely = checkVerdicts({ cluster: facts({ entries: [we] }), now });
      assert.equal(lonely.find((v) => v.rule.endsWith('/selected'))?.status, 'FAIL');
      assert.match(lonely.find((v) => v.rule.endsWith('/service-account'))?.fix ?? '', /create serviceaccount bookinfo-details/);
      const svc = { metadata: { name: 'details' }, spec: { selector: { app: 'details' }, ports: [{ name: 'grpc', port: 9090, targetPort: 'grpc' }] } };
      const wrong = checkVerdicts({ cluster: facts({ entries: [we], services: [svc] }), now });
      assert.equal(wrong.find((v) => v.rule.endsWith('/selected'))?.status, 'PASS');
      assert.match(wrong.find((v) => v.rule.endsWith('/ports'))?.reason ?? '', /port named "grpc", which the WorkloadEntry does not have/);
    });
  });

  it('lists each VM with what selects it and its health', () => {
    const healthy = entry(
      'a',
      '192.168.3.202',
      { app: 'details' },
      { http: 9080 },
      {
        metadata: { name: 'a', annotations: { 'istio.io/autoRegistrationGroup': 'details' } },
        status: { conditions: [{ type: 'Healthy', status: 'False', message: 'connection refused' }] },
      },
    );
    const rows = vmRows(
      [healthy, entry('b', '192.168.3.201', {}, {})],
      [{ metadata: { name: 'details', namespace: 'bookinfo' }, spec: { selector: { app: 'details' } } }],
      [],
    );
    assert.deepEqual(
      rows.map((r) => [r.address, r.selectedBy, r.healthy, r.group]),
      [
        ['192.168.3.201', [], undefined, undefined],
        ['192.168.3.202', ['service/details'], false, 'details'],
      ],
    );
  });

  describe('usage errors: one line, exit 2, nothing sent', () => {
    const cases: [string[], RegExp][] = [
      [['register', 'details', '192.168.3.256', 'http:9080'], /192\.168\.3\.256/],
      [['register', 'details', '192.168.3.202', 'http:0'], /1 to 65535/],
      [['register', 'details', '192.168.3.202', 'Http_x:9080'], /port name/],
      [['register', 'details', '192.168.3.202', 'http:9080', 'http:9081'], /overlap/],
      [['setup', 'root@192.168.3.202'], /--bootstrap DIR or --group NAME/],
      [['setup', 'root@192.168.3.202', '--bootstrap', 'x', '-p', '99999'], /1 to 65535/],
      [['check', '--connect'], /--connect needs --bootstrap/],
      [['list', '-o', 'name'], /unknown output format/],
    ];
    for (const [argv, message] of cases)
      it(argv.join(' '), async () => {
        const r = await runInProcess(plugin, [...argv, '--kubeconfig', '/nonexistent']);
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, /^error: [^\n]*\n$/);
        assert.match(r.stderr, message);
      });
  });
});

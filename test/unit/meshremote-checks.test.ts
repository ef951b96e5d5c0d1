// kubectl meshremote's pure decisions: preflight's checks over observed clusters, the names istiod would
// ignore or misattribute, what the minimal reader may read, and how a token's expiry is told.
import assert from 'node:assert/strict';
import { covering, parseCidr } from '../../plugins/meshremote/cidr.js';
import { describeExpiry, isLoopbackServer } from '../../plugins/meshremote/credentials.js';
import { preflightChecks, preflightExitCode, type Check } from '../../plugins/meshremote/preflight/checks.js';
import type { ClusterFacts } from '../../plugins/meshremote/preflight/observe.js';
import { nameRefusal, type PrimaryState } from '../../plugins/meshremote/primary.js';
import { readerRules } from '../../plugins/meshremote/reader.js';
import { declaredNameRefusal, type RemoteState } from '../../plugins/meshremote/remote.js';

const ROOT = { subject: 'CN=Root CA', fingerprint: 'AA:BB' };

function facts(context: string, role: 'primary' | 'remote', pods: string, services: string, extra: Partial<ClusterFacts> = {}): ClusterFacts {
  return {
    context,
    role,
    server: `https://${context}.example:6443`,
    reachable: true,
    version: 'v1.37.2',
    uid: `uid-${context}`,
    podCIDRs: { cidrs: [pods], source: 'nodes', detail: 'from the podCIDRs of 1 node(s)' },
    serviceCIDRs: { cidrs: [services], source: 'servicecidrs', detail: 'from 1 ServiceCIDR object(s)' },
    istio: {
      namespace: true,
      crds: true,
      values: { clusterName: context, network: 'network1', tag: '1.29.0' },
      namespaceNetwork: 'network1',
      controlPlaneClusters: role === 'remote' ? ['primary'] : [],
      istiods: role === 'primary' ? [{ pod: 'istiod-1', version: '1.29.0' }] : [],
      gateways: [],
    },
    roots: { published: [ROOT] },
    registered: [],
    ...extra,
  };
}

const status = (checks: Check[], name: string, ...clusters: string[]) =>
  checks.filter((c) => c.check === name && clusters.every((x) => c.clusters.includes(x))).map((c) => c.status);

describe('kubectl meshremote preflight checks', () => {
  const seed = [facts('primary', 'primary', '172.16.0.0/16', '172.19.0.0/20'), facts('remote1', 'remote', '172.20.0.0/16', '172.21.0.0/20')];

  it("passes seed 001's layout and says what it cannot check", () => {
    const checks = preflightChecks(seed);
    assert.deepEqual(
      checks.filter((c) => c.status === 'FAIL'),
      [],
    );
    assert.deepEqual(status(checks, 'cidr-overlap', 'primary', 'remote1'), ['PASS']);
    assert.deepEqual(status(checks, 'pod-routes'), ['UNCHECKED']);
    assert.equal(preflightExitCode(checks, false), 0);
  });

  it('fails a Pod range that overlaps another cluster on the same network, and warns across networks', () => {
    const overlapping = [seed[0], facts('remote1', 'remote', '172.16.0.0/16', '172.21.0.0/20')];
    const checks = preflightChecks(overlapping);
    const overlap = checks.find((c) => c.check === 'cidr-overlap')!;
    assert.equal(overlap.status, 'FAIL');
    assert.match(overlap.detail, /^pod 172\.16\.0\.0\/16 ∩ pod 172\.16\.0\.0\/16$/);
    assert.match(overlap.fix, /its own Pod and Service ranges/);
    assert.equal(preflightExitCode(checks, false), 3);

    const apart = facts('remote1', 'remote', '172.16.0.0/16', '172.21.0.0/20');
    apart.istio.namespaceNetwork = 'network2';
    apart.istio.values = { ...apart.istio.values, network: 'network2' };
    assert.deepEqual(status(preflightChecks([seed[0], apart]), 'cidr-overlap'), ['WARN']);
  });

  it('fails different trust roots and two contexts for one cluster', () => {
    const other = facts('remote1', 'remote', '172.20.0.0/16', '172.21.0.0/20', { roots: { published: [{ subject: 'CN=Other', fingerprint: 'CC:DD' }] } });
    assert.deepEqual(status(preflightChecks([seed[0], other]), 'trust-root'), ['FAIL']);
    const twin = facts('again', 'remote', '172.20.0.0/16', '172.21.0.0/20', { uid: 'uid-primary' });
    assert.deepEqual(status(preflightChecks([seed[0], twin]), 'distinct-clusters', 'primary', 'again'), ['FAIL']);
  });

  it('an unreachable cluster fails reachability and is left out of the rest', () => {
    const down: ClusterFacts = { ...seed[1], reachable: false, error: 'connection refused' };
    const checks = preflightChecks([seed[0], down]);
    assert.deepEqual(status(checks, 'reachable', 'remote1'), ['FAIL']);
    assert.deepEqual(status(checks, 'cidr-overlap'), []);
  });

  it('infers the smallest range that holds sampled pod IPs', () => {
    assert.deepEqual(
      covering(['10.50.0.7', '10.50.0.9', '10.50.0.12']).map((c) => c.text),
      ['10.50.0.0/28'],
    );
    assert.ok(parseCidr('10.50.0.0/16'));
    assert.equal(parseCidr('10.50.0.0/33'), undefined);
  });
});

describe('kubectl meshremote names and readers', () => {
  const primary: PrimaryState = { context: 'primary', uid: 'u1', namespace: 'istio-system', clusterID: 'primary', namespaceExists: true, secrets: [] };
  const remote: RemoteState = {
    context: 'remote1',
    server: 'https://r:6443',
    uid: 'u2',
    namespace: 'istio-system',
    values: { clusterName: 'remote1' },
    tokenSecrets: [],
  };

  it("refuses the primary's own cluster ID and a name another secret registered", () => {
    assert.match(nameRefusal(primary, 'primary')!, /^"primary" is the cluster ID of the primary \(context "primary"\) itself/);
    const other = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'istioctl-made', namespace: 'istio-system', labels: { 'istio/multiCluster': 'true' } },
      data: { remote1: Buffer.from('apiVersion: v1\nkind: Config\n').toString('base64') },
    };
    assert.match(nameRefusal({ ...primary, secrets: [other] }, 'remote1')!, /already registered by secret istio-system\/istioctl-made/);
    assert.equal(nameRefusal(primary, 'remote1'), undefined);
  });

  it("refuses a name other than the one the remote's Istio install gives itself", () => {
    assert.match(declaredNameRefusal(remote, 'myremote1')!, /calls itself "remote1" .* link it as "remote1"/);
    assert.equal(declaredNameRefusal(remote, 'remote1'), undefined);
    assert.equal(declaredNameRefusal({ ...remote, values: undefined }, 'anything'), undefined);
  });

  it('the minimal reader reads no Secrets or ConfigMaps and writes only what the primary controls', () => {
    const reads = (rules: ReturnType<typeof readerRules>, resource: string) => rules.some((r) => r.resources?.includes(resource) && r.verbs.includes('list'));
    assert.ok(reads(readerRules('istio', false), 'secrets'));
    assert.ok(!reads(readerRules('minimal', false), 'secrets') && !reads(readerRules('minimal', false), 'configmaps'));
    assert.ok(readerRules('minimal', false).every((r) => r.verbs.every((v) => ['get', 'list', 'watch'].includes(v) || r.resources?.includes('tokenreviews'))));
  });

  it('tells expiry and loopback servers apart', () => {
    const jwt = (claims: object) => `x.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.y`;
    const now = new Date('2026-12-01T00:00:00Z');
    assert.equal(describeExpiry(jwt({ exp: Date.parse('2026-12-03T00:00:00Z') / 1000 }), now), '2026-12-03T00:00:00Z (in 2d)');
    assert.match(describeExpiry(jwt({ sub: 'legacy' }), now), /^never/);
    assert.ok(isLoopbackServer('https://127.0.0.1:6443') && isLoopbackServer('https://localhost') && !isLoopbackServer('https://10.0.0.1:6443'));
  });
});

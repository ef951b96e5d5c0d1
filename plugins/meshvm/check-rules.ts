// `check` as a pure function: what was read from the cluster and the bundle in, one verdict per rule out
// (PASS, WARN or FAIL), each that does not pass with the command that fixes it.
import { ExitCode } from '../../shared/exit-codes.js';
import { X509Certificate } from 'node:crypto';
import { EASTWEST_INSTALL_HINT, externalAddress, gatewaySelector } from '../../shared/istio/eastwest.js';
import { portProtocol } from '../../shared/istio/protocol.js';
import {
  AUTO_REGISTRATION_GROUP,
  healthCondition,
  selectorMatches,
  type ServiceEntry,
  type WorkloadEntry,
  type WorkloadGroup,
} from '../../shared/istio/workload.js';
import type { Bundle } from './bundle.js';
import { BOOTSTRAP_FILES } from './bootstrap-files.js';
import type { CertificateResult, HandshakeResult } from './connect.js';
import { exposesIstiod, routesToIstiod } from './expose-plan.js';
import { ISTIO_CA_AUDIENCE } from './token.js';
import type { Service } from '../../shared/kube/types.js';
import type { Gateway, VirtualService } from '../../shared/istio/types.js';

export type Status = 'PASS' | 'WARN' | 'FAIL';

export interface Verdict {
  rule: string;
  status: Status;
  reason: string;
  fix: string;
}

const pass = (rule: string, reason: string): Verdict => ({ rule, status: 'PASS', reason, fix: '' });
const warn = (rule: string, reason: string, fix: string): Verdict => ({ rule, status: 'WARN', reason, fix });
const fail = (rule: string, reason: string, fix: string): Verdict => ({ rule, status: 'FAIL', reason, fix });

export interface ClusterFacts {
  namespace: string;
  istioNamespace: string;
  revision?: string | undefined;
  crds: boolean;
  rootCert?: string | undefined;
  eastwest?: Service | undefined;
  gateway?: Gateway | undefined;
  virtualService?: VirtualService | undefined;
  entries: WorkloadEntry[];
  groups: WorkloadGroup[];
  services: Service[];
  serviceEntries: ServiceEntry[];
  serviceAccounts: Set<string>;
  /** The cluster's ID as istiod knows it, when read. */
  clusterID?: string | undefined;
  /** The token's TokenReview, when the user may ask for one. */
  tokenReview?: { authenticated: boolean; error?: string | undefined } | undefined;
  /** <service>: only the VMs behind it. */
  service?: string | undefined;
}

export interface CheckInput {
  cluster?: ClusterFacts | undefined;
  bundle?: Bundle | undefined;
  connect?: { tls: HandshakeResult; ca?: CertificateResult | undefined } | undefined;
  now: Date;
}

const list = (xs: string[], max = 3) => (xs.length > max ? `${xs.slice(0, max).join(', ')} and ${xs.length - max} more` : xs.join(', '));

function clusterRules(c: ClusterFacts): Verdict[] {
  const out: Verdict[] = [];
  const ns = `-n ${c.namespace}`;
  if (!c.crds)
    return [
      fail(
        'istio-crds',
        "the cluster does not serve Istio's WorkloadEntry and WorkloadGroup kinds",
        'install Istio (istioctl install, or the base Helm chart)',
      ),
    ];
  out.push(pass('istio-crds', "Istio's CRDs are served"));
  out.push(
    c.rootCert
      ? pass('istiod', `istiod serves namespace ${c.namespace} (istio-ca-root-cert is there)`)
      : fail(
          'istiod',
          `no istio-ca-root-cert in namespace ${c.namespace}: no istiod serves it`,
          `install Istio, or check istiod: kubectl -n ${c.istioNamespace} get pods -l app=istiod`,
        ),
  );
  const ew = c.eastwest;
  if (!ew) out.push(fail('eastwest-gateway', `no east-west gateway in ${c.istioNamespace} for VMs to reach istiod through`, EASTWEST_INSTALL_HINT));
  else {
    const at = externalAddress(ew);
    const name = `service/${ew.metadata?.name}`;
    if (at?.ip) out.push(pass('eastwest-gateway', `${name} is at ${at.ip}`));
    else if (at?.hostname)
      out.push(
        warn(
          'eastwest-gateway',
          `${name} is the host name ${at.hostname}; VMs need its addresses in their hosts file, and they may change (istio#31624)`,
          'run kubectl meshvm bootstrap (or setup) again when they do',
        ),
      );
    else
      out.push(
        fail(
          'eastwest-gateway',
          `${name} has no external address (load balancer pending?)`,
          `kubectl -n ${c.istioNamespace} describe service ${ew.metadata?.name}`,
        ),
      );
    const missing = [15012, 15017].filter((p) => !(ew.spec?.ports ?? []).some((x) => x.port === p));
    if (missing.length) out.push(fail('eastwest-ports', `${name} does not open ${missing.join(' and ')}`, EASTWEST_INSTALL_HINT));
    const exposed = exposesIstiod(c.gateway, gatewaySelector(ew)) && routesToIstiod(c.virtualService, c.istioNamespace, c.revision);
    out.push(
      exposed
        ? pass('istiod-exposed', 'the east-west gateway passes 15012 and 15017 through to istiod')
        : fail(
            'istiod-exposed',
            'istiod is not exposed on the east-west gateway (no Gateway passing 15012/15017 through with a VirtualService to istiod)',
            'kubectl meshvm expose-istiod',
          ),
    );
  }
  for (const g of c.groups) {
    const name = g.metadata?.name ?? '';
    const sa = g.spec?.template?.serviceAccount || 'default';
    out.push(
      c.serviceAccounts.has(sa)
        ? pass(`group/${name}/service-account`, `serviceaccount ${sa} exists`)
        : fail(
            `group/${name}/service-account`,
            `serviceaccount ${sa} does not exist: bootstrap cannot get the VMs a token`,
            `kubectl ${ns} create serviceaccount ${sa}`,
          ),
    );
    if (Object.keys({ ...g.spec?.metadata?.labels, ...g.spec?.template?.labels }).length === 0)
      out.push(
        warn(
          `group/${name}/labels`,
          'the group gives its VMs no labels, so no Service can select them',
          `kubectl meshvm ${ns} group create ${name} -l app=${name} ...`,
        ),
      );
  }
  for (const we of c.entries) out.push(...entryRules(c, we));
  return out;
}

function entryRules(c: ClusterFacts, we: WorkloadEntry): Verdict[] {
  const out: Verdict[] = [];
  const ns = `-n ${c.namespace}`;
  const name = we.metadata?.name ?? '';
  const address = we.spec?.address ?? '';
  const rule = (r: string) => `vm/${name}/${r}`;
  const labels = we.spec?.labels ?? we.metadata?.labels ?? {};
  const group = we.metadata?.annotations?.[AUTO_REGISTRATION_GROUP];
  const services = c.services.filter((s) => selectorMatches(s.spec?.selector, labels));
  const entries = c.serviceEntries.filter((s) => selectorMatches(s.spec?.workloadSelector?.labels, labels));
  if (Object.keys(labels).length === 0)
    out.push(
      fail(
        rule('selected'),
        `${address} has no labels, and istiod ignores WorkloadEntries without labels`,
        `give it the labels of its Service's selector, or use kubectl meshvm register`,
      ),
    );
  else if (services.length + entries.length === 0)
    out.push(
      fail(
        rule('selected'),
        `no Service or ServiceEntry selects ${address} (labels ${Object.entries(labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')})`,
        `kubectl meshvm ${ns} register <service> ${address} <port>...`,
      ),
    );
  else
    out.push(
      pass(
        rule('selected'),
        `${address} is behind ${list([...services.map((s) => `service/${s.metadata?.name}`), ...entries.map((s) => `serviceentry/${s.metadata?.name}`)])}`,
      ),
    );
  const problems: string[] = [];
  const sniffed: string[] = [];
  for (const s of services) {
    for (const p of s.spec?.ports ?? []) {
      const what = `service/${s.metadata?.name} port ${p.port}${p.name ? ` "${p.name}"` : ''}`;
      if (typeof p.targetPort === 'string' && we.spec?.ports?.[p.targetPort] === undefined)
        problems.push(`${what} targets the port named "${p.targetPort}", which the WorkloadEntry does not have, so istiod gives it no endpoint`);
      if (portProtocol(p).protocol === undefined) sniffed.push(`${what}`);
    }
  }
  for (const se of entries)
    for (const p of se.spec?.ports ?? [])
      if (!p.protocol && portProtocol(p).protocol === undefined) sniffed.push(`serviceentry/${se.metadata?.name} port ${p.number} "${p.name}"`);
  if (problems.length)
    out.push(fail(rule('ports'), problems.join('; '), `add the port to the WorkloadEntry: kubectl meshvm ${ns} register <service> ${address} <name>:<port>`));
  else if (sniffed.length)
    out.push(
      warn(
        rule('ports'),
        `${list(sniffed)}: no protocol prefix in the name, so Istio sniffs the protocol`,
        'name ports <protocol>[-<suffix>] (http, http2, https, grpc, tcp, tls, mysql, ...)',
      ),
    );
  else if (services.length + entries.length) out.push(pass(rule('ports'), 'every port names its protocol'));
  const sa = we.spec?.serviceAccount || 'default';
  out.push(
    c.serviceAccounts.has(sa)
      ? pass(rule('service-account'), `serviceaccount ${sa} exists`)
      : fail(rule('service-account'), `serviceaccount ${sa}, the VM's identity, does not exist`, `kubectl ${ns} create serviceaccount ${sa}`),
  );
  const health = healthCondition(we);
  if (health) {
    out.push(
      health.status === 'True'
        ? pass(rule('health'), `istio-agent reports ${address} healthy`)
        : warn(
            rule('health'),
            `istio-agent reports ${address} unhealthy${health.message ? `: ${health.message}` : ''}`,
            `check the application on the VM (journalctl -u istio on it)`,
          ),
    );
  } else if (group) out.push(pass(rule('health'), `auto-registered by WorkloadGroup ${group}, no health checks`));
  return out;
}

function bundleRules(b: Bundle, c: ClusterFacts | undefined, now: Date): Verdict[] {
  const out: Verdict[] = [];
  const redo = `kubectl meshvm bootstrap ${b.env['ISTIO_META_WORKLOAD_NAME'] ?? '<group>'} -n ${b.env['POD_NAMESPACE'] ?? '<namespace>'} --output-dir ${b.dir}`;
  const missing = BOOTSTRAP_FILES.filter((f) => f !== 'sidecar.env' && b.files[f] === undefined);
  if (missing.length) out.push(fail('bundle-files', `${b.dir} lacks ${missing.join(', ')}`, redo));
  else out.push(pass('bundle-files', `${b.dir} has ${BOOTSTRAP_FILES.filter((f) => b.files[f] !== undefined).join(', ')}`));

  if (!b.discovery) out.push(fail('bundle-mesh', 'mesh.yaml names no discoveryAddress', redo));
  else out.push(pass('bundle-mesh', `the VM looks for istiod at ${b.discovery.host}:${b.discovery.port}`));

  const addresses = b.discovery ? (b.hosts.get(b.discovery.host) ?? []) : [];
  if (b.discovery && addresses.length === 0)
    out.push(
      fail(
        'bundle-hosts',
        `hosts does not map ${b.discovery.host}${b.files.hosts?.trim() ? '' : ' (it is empty, as istioctl leaves it when the gateway has a host name: istio#31624)'}, so the VM cannot find istiod`,
        `${redo} --ingress-ip <address of the east-west gateway>`,
      ),
    );
  else if (b.discovery) {
    const ew = c?.eastwest ? externalAddress(c.eastwest) : undefined;
    if (ew?.ip && !addresses.includes(ew.ip))
      out.push(warn('bundle-hosts', `hosts maps ${b.discovery.host} to ${addresses.join(', ')}, but the east-west gateway is at ${ew.ip} now`, redo));
    else out.push(pass('bundle-hosts', `hosts maps ${b.discovery.host} to ${addresses.join(', ')}`));
  }

  out.push(rootCertRule(b, c, now, redo));
  out.push(...tokenRules(b, c, now, redo));

  const env = b.env;
  const needed = ['ISTIO_NAMESPACE', 'POD_NAMESPACE', 'SERVICE_ACCOUNT', 'ISTIO_META_CLUSTER_ID', 'ISTIO_INBOUND_PORTS'].filter((k) => env[k] === undefined);
  if (needed.length) out.push(fail('bundle-cluster-env', `cluster.env lacks ${needed.join(', ')}`, redo));
  else if (c?.clusterID !== undefined && env['ISTIO_META_CLUSTER_ID'] !== c.clusterID)
    out.push(
      fail(
        'bundle-cluster-env',
        `cluster.env says cluster "${env['ISTIO_META_CLUSTER_ID']}", istiod knows this cluster as "${c.clusterID}"`,
        `${redo} --cluster-id ${c.clusterID}`,
      ),
    );
  else if (c && env['POD_NAMESPACE'] === c.namespace && !c.serviceAccounts.has(env['SERVICE_ACCOUNT']))
    out.push(
      fail(
        'bundle-cluster-env',
        `serviceaccount ${env['SERVICE_ACCOUNT']} does not exist in namespace ${c.namespace}`,
        `kubectl -n ${c.namespace} create serviceaccount ${env['SERVICE_ACCOUNT']}`,
      ),
    );
  else
    out.push(
      pass(
        'bundle-cluster-env',
        `workload ${env['ISTIO_META_WORKLOAD_NAME'] ?? '?'} in ${env['POD_NAMESPACE']} as ${env['SERVICE_ACCOUNT']}, cluster ${env['ISTIO_META_CLUSTER_ID'] || '(none)'}, inbound ports ${env['ISTIO_INBOUND_PORTS']}`,
      ),
    );
  return out;
}

function rootCertRule(b: Bundle, c: ClusterFacts | undefined, now: Date, redo: string): Verdict {
  if (b.files['root-cert.pem'] === undefined) return fail('bundle-root-cert', 'no root-cert.pem', redo);
  const cert: X509Certificate | undefined = b.rootCert;
  if (!cert) return fail('bundle-root-cert', `root-cert.pem is not a certificate (${b.rootCertError ?? 'unreadable'})`, redo);
  if (new Date(cert.validTo).getTime() < now.getTime()) return fail('bundle-root-cert', `root-cert.pem expired on ${cert.validTo}`, redo);
  if (c && (b.env['POD_NAMESPACE'] ?? c.namespace) === c.namespace && c.rootCert !== undefined) {
    if (!pemFingerprints(c.rootCert).includes(cert.fingerprint256))
      return fail('bundle-root-cert', `root-cert.pem is not the root istiod publishes in ${c.namespace} (istio-ca-root-cert)`, redo);
    return pass('bundle-root-cert', `root-cert.pem is istiod's root (${cert.subject.replace(/\n/g, ', ')}, until ${cert.validTo})`);
  }
  return pass('bundle-root-cert', `root-cert.pem is a certificate (${cert.subject.replace(/\n/g, ', ')}, until ${cert.validTo})`);
}

/** The SHA-256 fingerprints of every certificate in a PEM bundle. */
function pemFingerprints(pem: string): string[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).flatMap((block) => {
    try {
      return [new X509Certificate(block).fingerprint256];
    } catch {
      return [];
    }
  });
}

function tokenRules(b: Bundle, c: ClusterFacts | undefined, now: Date, redo: string): Verdict[] {
  const t = b.token;
  if (b.files['istio-token'] === undefined) return [fail('bundle-token', 'no istio-token', redo)];
  if (!t) return [fail('bundle-token', 'istio-token is not a JSON Web Token', redo)];
  const expected = `system:serviceaccount:${b.env['POD_NAMESPACE']}:${b.env['SERVICE_ACCOUNT']}`;
  if (!t.aud.includes(ISTIO_CA_AUDIENCE))
    return [fail('bundle-token', `the token is for ${t.aud.join(', ') || 'no audience'}, not ${ISTIO_CA_AUDIENCE}: istiod will refuse it`, redo)];
  if (t.sub !== expected) return [fail('bundle-token', `the token is ${t.sub}, but cluster.env says ${expected}`, redo)];
  const left = t.exp === undefined ? Infinity : t.exp * 1000 - now.getTime();
  const until = t.exp === undefined ? 'never' : new Date(t.exp * 1000).toISOString();
  const out: Verdict[] = [];
  if (left <= 0) out.push(fail('bundle-token', `the token expired at ${until}; the VM cannot get its first certificate with it`, redo));
  else if (left < 10 * 60_000)
    out.push(warn('bundle-token', `the token expires at ${until}, in ${Math.round(left / 60_000)} min`, `${redo} (before the VM starts)`));
  else out.push(pass('bundle-token', `${t.sub}, audience ${ISTIO_CA_AUDIENCE}, valid until ${until}`));
  if (c?.tokenReview && left > 0) {
    out.push(
      c.tokenReview.authenticated
        ? pass('bundle-token-review', 'the API server accepts the token for audience istio-ca (TokenReview)')
        : fail(
            'bundle-token-review',
            `the API server does not accept the token: ${c.tokenReview.error ?? 'not authenticated'} (the service account recreated?)`,
            redo,
          ),
    );
  }
  return out;
}

function connectRules(i: NonNullable<CheckInput['connect']>, b: Bundle | undefined): Verdict[] {
  const redo = 'kubectl meshvm bootstrap ... (or check the address: --istiod-address)';
  const out: Verdict[] = [i.tls.ok ? pass('connect-tls', i.tls.detail) : fail('connect-tls', i.tls.detail, redo)];
  if (i.ca) {
    const want = b ? `/ns/${b.env['POD_NAMESPACE']}/sa/${b.env['SERVICE_ACCOUNT']}` : '';
    if (i.ca.ok && want && !i.ca.identity?.endsWith(want))
      out.push(fail('connect-ca', `istiod issued a certificate for ${i.ca.identity}, not for ...${want}`, redo));
    else out.push(i.ca.ok ? pass('connect-ca', i.ca.detail) : fail('connect-ca', i.ca.detail, 'kubectl meshvm bootstrap ... for a fresh token'));
  }
  return out;
}

export function checkVerdicts(i: CheckInput): Verdict[] {
  return [
    ...(i.cluster ? clusterRules(i.cluster) : []),
    ...(i.bundle ? bundleRules(i.bundle, i.cluster, i.now) : []),
    ...(i.connect ? connectRules(i.connect, i.bundle) : []),
  ];
}

/** 0: nothing failed; 3: a rule failed (or warned, when strict). */

export function checkExit(verdicts: Verdict[], strict: boolean): number {
  return verdicts.some((v) => v.status === 'FAIL' || (strict && v.status === 'WARN')) ? ExitCode.gateFailed : ExitCode.ok;
}

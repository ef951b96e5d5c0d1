// preflight as a pure function: the facts read from each cluster in, one verdict per check out (PASS,
// WARN, FAIL, or UNCHECKED for what cannot be known from here), each not passing with its fix; plus
// the overlap matrix of Pod and Service ranges.
import { ExitCode } from '../../../shared/exit-codes.js';
import { isIP } from 'node:net';
import { isLoopbackServer } from '../credentials.js';
import { covering, overlaps, parseCidr, type Cidr } from '../cidr.js';
import type { ClusterFacts, RootCert } from './observe.js';
import { counted } from '../../../shared/output/plural.js';

export type Status = 'PASS' | 'WARN' | 'FAIL' | 'UNCHECKED';

export interface Check {
  check: string;
  /** The contexts it is about. */
  clusters: string[];
  status: Status;
  detail: string;
  fix: string;
}

export interface Range {
  kind: 'pod' | 'service';
  cidr: Cidr;
  /** Inferred from sampled pod IPs, not read. */
  inferred: boolean;
}

export interface MatrixCell {
  a: string;
  b: string;
  /** The overlapping pairs, e.g. "pod 10.0.0.0/16 ∩ service 10.0.0.0/20". */
  overlaps: string[];
  inferred: boolean;
}

const check = (c: string, clusters: string[], status: Status, detail: string, fix = ''): Check => ({ check: c, clusters, status, detail, fix });

/** A cluster's Pod and Service ranges (sampled pod IPs give the smallest range holding them). */
export function rangesOf(f: ClusterFacts): Range[] {
  const parse = (kind: Range['kind'], list: string[], inferred: boolean) =>
    list
      .map((t) => parseCidr(t))
      .filter((c): c is Cidr => Boolean(c))
      .map((cidr) => ({ kind, cidr, inferred }));
  return [
    ...parse('pod', f.podCIDRs.cidrs, false),
    ...(f.podCIDRs.sampled?.length ? covering(f.podCIDRs.sampled).map((cidr) => ({ kind: 'pod' as const, cidr, inferred: true })) : []),
    ...parse('service', f.serviceCIDRs.cidrs, false),
  ];
}

/** Every pair of clusters with the ranges that overlap. */
export function overlapMatrix(facts: ClusterFacts[]): MatrixCell[] {
  const cells: MatrixCell[] = [];
  const ranges = facts.map(rangesOf);
  for (let i = 0; i < facts.length; i++) {
    for (let j = i + 1; j < facts.length; j++) {
      const found: string[] = [];
      let inferred = false;
      for (const x of ranges[i]) {
        for (const y of ranges[j]) {
          if (!overlaps(x.cidr, y.cidr)) continue;
          found.push(`${x.kind} ${x.cidr.text}${x.inferred ? ' (inferred)' : ''} ∩ ${y.kind} ${y.cidr.text}${y.inferred ? ' (inferred)' : ''}`);
          inferred ||= x.inferred || y.inferred;
        }
      }
      cells.push({ a: facts[i].context, b: facts[j].context, overlaps: found, inferred });
    }
  }
  return cells;
}

/** The network a cluster's workloads are on: istio-system's label, else the install's global.network. */
export const networkOf = (f: ClusterFacts): string | undefined => f.istio.namespaceNetwork ?? f.istio.values?.network;

/** The name a remote will be linked as: the cluster name its Istio install declares, else its context's name. */
export const linkNameOf = (f: ClusterFacts): { name: string; declared: boolean } =>
  f.istio.values?.clusterName ? { name: f.istio.values.clusterName, declared: true } : { name: f.context, declared: false };

const minor = (v: string | undefined) => /^v?(\d+\.\d+)\./.exec(v ?? '')?.[1];
const rootsText = (r: RootCert[]) =>
  r.map((c) => `${c.subject.split(', ').find((x) => x.startsWith('CN=')) ?? c.subject} (${c.fingerprint.slice(0, 11)})`).join(' + ');

function rangeChecks(f: ClusterFacts): Check[] {
  const out: Check[] = [];
  const p = f.podCIDRs;
  if (p.source === 'nodes') out.push(check('pod-cidr', [f.context], 'PASS', `${p.cidrs.join(', ')} (${p.detail})`));
  else if (p.source === 'pods') {
    const inferred = covering(p.sampled ?? []).map((c) => c.text);
    out.push(
      check(
        'pod-cidr',
        [f.context],
        'WARN',
        `${p.detail}; they lie in ${inferred.join(', ')} (inferred, the real range may be wider)`,
        "read the range from the CNI's own configuration (e.g. Cilium's clusterPoolIPv4PodCIDRList, the VPC subnets of a cloud IPAM) and compare by hand",
      ),
    );
  } else out.push(check('pod-cidr', [f.context], 'WARN', `unknown: ${p.detail}`, "read the range from the CNI's configuration and compare by hand"));
  const s = f.serviceCIDRs;
  if (s.source === 'servicecidrs') out.push(check('service-cidr', [f.context], 'PASS', `${s.cidrs.join(', ')} (${s.detail})`));
  else if (s.source === 'probe') {
    const several = Number(minor(f.version)?.split('.')[1] ?? 0) >= 33;
    out.push(
      check(
        'service-cidr',
        [f.context],
        several ? 'WARN' : 'PASS',
        `${s.cidrs.join(', ')} (${s.detail})${several ? '; the API server names one range even when several ServiceCIDRs exist' : ''}`,
        several ? 'allow listing servicecidrs.networking.k8s.io to see every range (kubectl get servicecidrs)' : '',
      ),
    );
  } else
    out.push(
      check(
        'service-cidr',
        [f.context],
        'WARN',
        `unknown: ${s.detail}`,
        'read --service-cluster-ip-range of kube-apiserver (or kubectl get servicecidrs) and compare by hand',
      ),
    );
  return out;
}

function istioChecks(f: ClusterFacts): Check[] {
  const i = f.istio;
  const versions = [...new Set(i.istiods.map((x) => x.version).filter(Boolean))];
  const pods = i.istiods.length;
  const unknown = i.istiods.filter((x) => x.error).map((x) => x.error);
  const versionText = versions.length ? `istiod ${versions.join(', ')}` : `istiod (version not read${unknown.length ? `: ${unknown[0]}` : ''})`;
  if (f.role === 'primary') {
    if (!pods) {
      return [
        check(
          'istio',
          [f.context],
          'FAIL',
          i.istiodError ? `cannot list istiod pods: ${i.istiodError}` : `no running istiod in istio-system${i.crds ? '' : ', and no Istio CRDs'}`,
          'install the control plane first: istioctl install --set values.global.multiCluster.clusterName=<name> --set values.global.network=<network>',
        ),
      ];
    }
    return [
      check(
        'istio',
        [f.context],
        'PASS',
        `${versionText} in ${counted(pods, 'pod')}, cluster ID ${i.values?.clusterName ?? 'unknown (no istio-sidecar-injector values)'}`,
      ),
    ];
  }
  if (!i.crds) {
    return [
      check(
        'istio',
        [f.context],
        'WARN',
        'no Istio CRDs: the remote has no Istio installed',
        "install Istio's remote profile: istioctl install --set profile=remote --set values.istiodRemote.injectionPath=... (or multi-primary: a full install)",
      ),
    ];
  }
  const what = pods
    ? `${versionText} in ${counted(pods, 'pod')} (multi-primary)`
    : `Istio CRDs installed${i.values?.tag ? `, install tag ${i.values.tag}` : ''}, no istiod (primary-remote)`;
  return [check('istio', [f.context], 'PASS', what)];
}

function versionCheck(facts: ClusterFacts[]): Check[] {
  const primary = facts.find((f) => f.role === 'primary');
  const of = (f: ClusterFacts) =>
    f.istio.istiods.find((x) => x.version)?.version ?? (f.istio.values?.tag && /^\d/.test(f.istio.values.tag) ? f.istio.values.tag : undefined);
  const want = primary && of(primary);
  if (!want) return [];
  const skewed = facts.filter((f) => f !== primary && of(f) && minor(of(f)) !== minor(want));
  if (!skewed.length) return [];
  return [
    check(
      'istio-version',
      skewed.map((f) => f.context),
      'WARN',
      `${skewed.map((f) => `${f.context} runs ${of(f)}`).join(', ')}; the primary runs ${want}`,
      "keep every cluster on the primary's minor version (Istio supports a skew of one minor version during upgrades only)",
    ),
  ];
}

function rootCheck(facts: ClusterFacts[]): Check[] {
  const out: Check[] = [];
  const known = facts
    .filter((f) => f.reachable)
    .map((f) => ({ f, roots: f.roots.published ?? f.roots.pluggedIn, source: f.roots.published ? 'istio-ca-root-cert' : 'cacerts' }))
    .filter((x) => x.roots?.length);
  const missing = facts.filter((f) => f.reachable && !(f.roots.published ?? f.roots.pluggedIn)?.length);
  for (const f of missing) {
    out.push(
      check(
        'trust-root',
        [f.context],
        'UNCHECKED',
        f.role === 'remote' && !f.istio.istiods.length
          ? `no istio-ca-root-cert in istio-system yet (the primary's istiod publishes it once linked)${f.roots.note ? `; ${f.roots.note}` : ''}`
          : `no root to compare: ${f.roots.note ?? 'neither istio-ca-root-cert nor cacerts in istio-system'}`,
      ),
    );
  }
  if (known.length < 2) return out;
  const prints = (x: (typeof known)[number]) => new Set(x.roots!.map((r) => r.fingerprint));
  const groups: (typeof known)[] = [];
  for (const x of known) {
    const g = groups.find((grp) => grp.some((y) => [...prints(x)].some((p) => prints(y).has(p))));
    if (g) g.push(x);
    else groups.push([x]);
  }
  if (groups.length === 1) {
    out.push(
      check(
        'trust-root',
        known.map((x) => x.f.context),
        'PASS',
        `one root in ${known.map((x) => x.f.context).join(', ')}: ${rootsText(known[0].roots!)}`,
      ),
    );
  } else {
    out.push(
      check(
        'trust-root',
        known.map((x) => x.f.context),
        'FAIL',
        `different roots: ${groups.map((g) => `${g.map((x) => `${x.f.context} (${x.source})`).join(', ')}: ${rootsText(g[0].roots!)}`).join('; ')}; mTLS between their workloads fails (unknown CA)`,
        "plug in one root: a cacerts Secret in each primary's istio-system with an intermediate of a shared root (Istio's 'Plug in CA Certificates' task), then restart istiod",
      ),
    );
  }
  return out;
}

function nameChecks(facts: ClusterFacts[]): Check[] {
  const out: Check[] = [];
  const primary = facts.find((f) => f.role === 'primary');
  const primaryID = primary?.istio.values?.clusterName;
  const remotes = facts.filter((f) => f.role === 'remote' && f.reachable);
  const names = remotes.map((f) => ({ f, ...linkNameOf(f) }));
  for (const n of names) {
    const src = n.declared ? 'its istio-sidecar-injector values' : 'no cluster name configured: the context name';
    const other = names.find((m) => m !== n && m.name === n.name);
    const reg = primary?.registered.find((r) => r.id === n.name);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n.name) || n.name.length > 63) {
      out.push(
        check(
          'cluster-name',
          [n.f.context],
          'FAIL',
          `"${n.name}" (${src}) is not a DNS-1123 label`,
          'link it with a name of lower-case letters, digits and dashes',
        ),
      );
    } else if (primaryID && n.name === primaryID) {
      out.push(
        check(
          'cluster-name',
          [n.f.context],
          'FAIL',
          `"${n.name}" (${src}) is the primary's own cluster ID: istiod ignores such a secret`,
          'give the remote its own cluster name (global.multiCluster.clusterName)',
        ),
      );
    } else if (other) {
      out.push(
        check(
          'cluster-name',
          [n.f.context, other.f.context],
          'FAIL',
          `${n.f.context} and ${other.f.context} are both "${n.name}": istiod keeps only the first`,
          'give each cluster its own cluster name',
        ),
      );
    } else if (reg && reg.server !== n.f.server) {
      out.push(
        check(
          'cluster-name',
          [n.f.context],
          'FAIL',
          `"${n.name}" is already registered in the primary by secret ${reg.secret} for ${reg.server || 'another server'}`,
          `unlink it first: kubectl meshremote unlink ${n.name} --context ${primary!.context}`,
        ),
      );
    } else {
      out.push(
        check('cluster-name', [n.f.context], 'PASS', `"${n.name}" (${src})${reg ? `; already linked by secret ${reg.secret}` : ', free in the primary'}`),
      );
    }
  }
  return out;
}

function networkChecks(facts: ClusterFacts[]): Check[] {
  const out: Check[] = [];
  const reachable = facts.filter((f) => f.reachable);
  for (const f of reachable) {
    const label = f.istio.namespaceNetwork;
    const value = f.istio.values?.network;
    if (label && value && label !== value) {
      out.push(
        check(
          'network',
          [f.context],
          'FAIL',
          `istio-system is labelled network ${label} but the install says ${value}`,
          `kubectl --context ${f.context} label namespace istio-system topology.istio.io/network=${value} --overwrite`,
        ),
      );
    } else if (!label && f.istio.namespace) {
      out.push(
        check(
          'network',
          [f.context],
          'WARN',
          `istio-system has no topology.istio.io/network label${value ? ` (the install says ${value})` : ''}`,
          `kubectl --context ${f.context} label namespace istio-system topology.istio.io/network=${value ?? '<network>'}`,
        ),
      );
    }
  }
  const networks = [...new Set(reachable.map(networkOf).map((n) => n ?? '(none)'))];
  if (networks.length <= 1) {
    out.push(
      check(
        'networks',
        reachable.map((f) => f.context),
        'PASS',
        `one network (${networks[0] ?? 'none'}): Pod and Service ranges must not overlap, and pods must reach each other's IPs directly`,
      ),
    );
    out.push(
      check(
        'pod-routes',
        reachable.map((f) => f.context),
        'UNCHECKED',
        'whether a pod in one cluster reaches pod IPs of the others cannot be seen from here',
        'from a pod in each cluster, request a pod IP of the other (kubectl exec <pod> -- curl -s <pod-ip>:<port>), or run istio.io\'s "Verify the installation" with helloworld',
      ),
    );
  } else {
    out.push(
      check(
        'networks',
        reachable.map((f) => f.context),
        'PASS',
        `several networks (${networks.join(', ')}): traffic between them goes through east-west gateways; ranges may overlap across networks`,
      ),
    );
    for (const f of reachable.filter((x) => !x.istio.gateways.length)) {
      out.push(
        check(
          'east-west-gateway',
          [f.context],
          'WARN',
          `no Service labelled topology.istio.io/network in ${f.context}: other networks cannot reach its workloads`,
          `samples/multicluster/gen-eastwest-gateway.sh --network ${networkOf(f) ?? '<network>'} | istioctl --context ${f.context} install -y -f -`,
        ),
      );
    }
  }
  return out;
}

function controlPlaneChecks(facts: ClusterFacts[]): Check[] {
  const out: Check[] = [];
  const primary = facts.find((f) => f.role === 'primary');
  const id = primary?.istio.values?.clusterName;
  for (const f of facts.filter((x) => x.role === 'remote' && x.reachable)) {
    const cp = f.istio.controlPlaneClusters;
    if (f.istio.istiods.length) continue; // multi-primary: its own istiod
    if (!cp.length) {
      out.push(
        check(
          'control-plane',
          [f.context],
          'WARN',
          'no istiod and istio-system names no control plane: no istiod publishes root certificates or patches webhooks there',
          `kubectl --context ${f.context} annotate namespace istio-system topology.istio.io/controlPlaneClusters=${id ?? '<primary cluster ID>'}`,
        ),
      );
    } else if (id && !cp.includes(id) && !cp.includes('*')) {
      out.push(
        check(
          'control-plane',
          [f.context],
          'WARN',
          `istio-system names ${cp.join(', ')} as its control plane, not the primary (${id})`,
          `kubectl --context ${f.context} annotate namespace istio-system topology.istio.io/controlPlaneClusters=${id} --overwrite`,
        ),
      );
    } else {
      out.push(
        check(
          'control-plane',
          [f.context],
          'PASS',
          `controlled by ${cp.join(', ')} (primary-remote): the reader also gets what the primary's istiod writes there`,
        ),
      );
    }
  }
  return out;
}

function serverChecks(facts: ClusterFacts[]): Check[] {
  const out: Check[] = [];
  const primary = facts.find((f) => f.role === 'primary');
  for (const f of facts.filter((x) => x.role === 'remote' && x.reachable)) {
    if (isLoopbackServer(f.server)) {
      out.push(
        check(
          'api-server',
          [f.context],
          'WARN',
          `${f.server} answers here but is a loopback address: istiod reaches it only if it runs on this machine`,
          "link with --api-server <address the primary's pods reach>",
        ),
      );
    }
    const host = new URL(f.server).hostname.replace(/^\[|\]$/g, '');
    out.push(
      check(
        'api-server-from-primary',
        [f.context],
        'UNCHECKED',
        `whether istiod in ${primary?.context ?? 'the primary'} reaches ${isIP(host) ? host : f.server}: seen only once linked`,
        `after linking: kubectl meshremote list --context ${primary?.context ?? '<primary>'} (istiod's sync status)`,
      ),
    );
  }
  return out;
}

/** Every check over the clusters read. The primary first, then the remotes, as given. */
export function preflightChecks(facts: ClusterFacts[]): Check[] {
  const out: Check[] = [];
  for (const f of facts) {
    if (!f.reachable) {
      out.push(check('reachable', [f.context], 'FAIL', `cannot reach ${f.server}: ${f.error}`, `kubectl --context ${f.context} get --raw /version`));
      continue;
    }
    out.push(check('reachable', [f.context], 'PASS', `Kubernetes ${f.version} at ${f.server}`));
  }
  const byUid = new Map<string, string[]>();
  for (const f of facts.filter((x) => x.uid)) byUid.set(f.uid!, [...(byUid.get(f.uid!) ?? []), f.context]);
  for (const same of [...byUid.values()].filter((v) => v.length > 1)) {
    out.push(check('distinct-clusters', same, 'FAIL', `${same.join(' and ')} are the same cluster (kube-system has the same UID)`, 'name each cluster once'));
  }
  for (const f of facts.filter((x) => x.reachable)) out.push(...rangeChecks(f));
  const reachable = facts.filter((f) => f.reachable);
  const networks = new Map(reachable.map((f) => [f.context, networkOf(f) ?? '']));
  for (const cell of overlapMatrix(reachable)) {
    const sameNetwork = networks.get(cell.a) === networks.get(cell.b);
    if (!cell.overlaps.length) out.push(check('cidr-overlap', [cell.a, cell.b], 'PASS', 'no Pod or Service range overlaps'));
    else {
      const status: Status = sameNetwork && !cell.inferred ? 'FAIL' : 'WARN';
      out.push(
        check(
          'cidr-overlap',
          [cell.a, cell.b],
          status,
          `${cell.overlaps.join('; ')}${sameNetwork ? '' : ' (different networks: allowed, traffic crosses through east-west gateways)'}`,
          sameNetwork
            ? 'on one network every cluster needs its own Pod and Service ranges: rebuild one cluster with other ranges, or put them on separate networks with east-west gateways'
            : '',
        ),
      );
    }
  }
  for (const f of reachable) out.push(...istioChecks(f));
  out.push(
    ...versionCheck(reachable),
    ...rootCheck(facts),
    ...nameChecks(facts),
    ...networkChecks(facts),
    ...controlPlaneChecks(facts),
    ...serverChecks(facts),
  );
  return out;
}

export function preflightExitCode(checks: Check[], strict: boolean): number {
  return checks.some((c) => c.status === 'FAIL' || (strict && c.status === 'WARN')) ? ExitCode.gateFailed : ExitCode.ok;
}

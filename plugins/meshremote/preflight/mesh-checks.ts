// The Istio checks: each cluster's install, then what the clusters must agree on to share one mesh
// (versions, root of trust, names, networks, control planes, API server addresses).
import { isIP } from 'node:net';
import { isLoopbackServer } from '../credentials.js';
import type { ClusterFacts, RootCert } from './observe.js';
import { counted } from '../../../shared/output/plural.js';
import { check, minor, type Check } from './verdict.js';

export const networkOf = (f: ClusterFacts): string | undefined => f.istio.namespaceNetwork ?? f.istio.values?.network;

/** The name a remote will be linked as: the cluster name its Istio install declares, else its context's name. */
export const linkNameOf = (f: ClusterFacts): { name: string; declared: boolean } =>
  f.istio.values?.clusterName ? { name: f.istio.values.clusterName, declared: true } : { name: f.context, declared: false };

const rootsText = (r: RootCert[]) =>
  r.map((c) => `${c.subject.split(', ').find((x) => x.startsWith('CN=')) ?? c.subject} (${c.fingerprint.slice(0, 11)})`).join(' + ');

export function istioChecks(f: ClusterFacts): Check[] {
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

/** What the clusters must agree on; `facts` holds every cluster, reachable or not. */
export function acrossClusterChecks(facts: ClusterFacts[]): Check[] {
  const reachable = facts.filter((f) => f.reachable);
  return [...versionCheck(reachable), ...rootCheck(facts), ...nameChecks(facts), ...networkChecks(facts), ...controlPlaneChecks(facts), ...serverChecks(facts)];
}

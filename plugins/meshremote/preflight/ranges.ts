// The Pod and Service ranges of each cluster, checked one cluster at a time and as a matrix of overlaps.
import { covering, overlaps, parseCidr, type Cidr } from '../cidr.js';
import type { ClusterFacts } from './observe.js';
import { check, minor, type Check } from './verdict.js';

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

export function rangeChecks(f: ClusterFacts): Check[] {
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

// preflight as a pure function: the facts read from each cluster in, one verdict per check out (PASS,
// WARN, FAIL, or UNCHECKED for what cannot be known from here), each not passing with its fix; plus
// the overlap matrix of Pod and Service ranges.
import { ExitCode } from '../../../shared/exit-codes.js';
import type { ClusterFacts } from './observe.js';
import { acrossClusterChecks, istioChecks, networkOf } from './mesh-checks.js';
import { overlapMatrix, rangeChecks } from './ranges.js';
import { check, type Check, type Status } from './verdict.js';

export type { Check, Status } from './verdict.js';
export { overlapMatrix } from './ranges.js';

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
  out.push(...acrossClusterChecks(facts));
  return out;
}

export function preflightExitCode(checks: Check[], strict: boolean): number {
  return checks.some((c) => c.status === 'FAIL' || (strict && c.status === 'WARN')) ? ExitCode.gateFailed : ExitCode.ok;
}

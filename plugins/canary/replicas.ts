// The L4 canary: traffic behind one Service splits by ready pods, so a weight is a replica ratio.
// Pure: current replicas and the wanted share in, the replica counts (and how close they get) out.

export interface ReplicaSolution {
  canary: number;
  stable: number;
  total: number;
  /** The canary's share the counts give, in percent (rounded to 0.1). */
  achieved: number;
  exact: boolean;
  /** When not exact: the nearest total that would give the share exactly. */
  exactTotal?: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Replica counts for `percent` of `total` pods. The nearest whole split is chosen (ties favour the
 * stable version); a share strictly
 * between 0 and 100 keeps at least one pod of each version when the total allows it (otherwise a
 * "5%" canary would get no traffic at all).
 */
export function solveReplicas(percent: number, total: number): ReplicaSolution {
  // Nearest whole split; on a tie the stable version keeps the extra pod (the canary is the risk).
  let canary = Math.max(0, Math.ceil((percent * total) / 100 - 0.5));
  if (percent > 0 && percent < 100 && total >= 2) canary = Math.min(Math.max(canary, 1), total - 1);
  const stable = total - canary;
  const achieved = total === 0 ? 0 : Math.round((canary / total) * 1000) / 10;
  const exact = total > 0 && (percent * total) % 100 === 0 && canary === (percent * total) / 100;
  const solution: ReplicaSolution = { canary, stable, total, achieved, exact };
  if (!exact) {
    const step = 100 / gcd(percent, 100); // totals that divide evenly are multiples of this
    const up = Math.max(step, Math.ceil(total / step) * step);
    const down = Math.floor(total / step) * step;
    // Prefer the larger total on a tie: capacity should not drop because of rounding.
    solution.exactTotal = down >= step && total - down < up - total ? down : up;
  }
  return solution;
}

// A replica plan's steps as the changes carryOut does, in order, with the waits between them: a
// scale-up is ready before the scale-down that follows it (or before traffic moves to it). Pure.
import type { JournalStep } from '../../shared/kube/journal.js';
import type { Change } from '../../shared/kube/plan.js';
import type { ScaleStep } from './plan-set.js';

export function toChange(s: ScaleStep): Change {
  if (s.delete) return { action: 'delete', ref: s.ref };
  return { action: 'patch', ref: s.ref, patch: s.patch, verb: s.from === s.to ? 'annotated' : `scaled (${s.from} -> ${s.to})` };
}

/**
 * Steps to carry out before a route change (the leading scale-ups, and a baseline written first) and
 * after it (scale-downs, deletes, a baseline cleared last).
 */
export function splitSteps(steps: ScaleStep[]): [ScaleStep[], ScaleStep[]] {
  let n = 0;
  while (n < steps.length && (steps[n].to > steps[n].from || (n === 0 && steps[n].to === steps[n].from && !steps[n].delete && steps.length > 1))) n++;
  return [steps.slice(0, n), steps.slice(n)];
}

/** The wait key of a scale-up: `ready:<deployment>:<replicas>:<why>`. */
export const readyKey = (s: ScaleStep, why: 'scale-down' | 'traffic') => `ready:${s.name}:${s.to}:${why}`;

/** Journal steps of scale steps; with waitLast, the last scale-up is ready before what comes after them. */
export function scaleSteps(steps: ScaleStep[], waitLast: boolean): JournalStep[] {
  return steps.map((s, i) => {
    const last = i === steps.length - 1;
    const wait = s.to > s.from && (!last || waitLast) ? readyKey(s, last ? 'traffic' : 'scale-down') : undefined;
    return { changes: [toChange(s)], ...(wait ? { wait } : {}) };
  });
}

// Whether a server-side apply would change anything: what lets a second run of a command make no
// write at all. An apply changes nothing when the live object already holds every field we send, with
// the same value, and our field manager owns no field we no longer send (the apply would remove it).
// Pure; when unsure it says "changes" (the apply is then sent, which is always correct).
import type { KubeObject } from './object.js';

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The first field of `want` that `have` does not hold with the same value (lists: same length, item
 * by item), as a path; undefined when it holds all. An empty map or list is held by its absence: the
 * server does not keep them (`data: {}`).
 */
export function firstDifference(want: Json, have: Json, path = ''): string | undefined {
  if (Array.isArray(want)) {
    if (have === undefined && want.length === 0) return undefined;
    if (!Array.isArray(have) || have.length !== want.length) return path || '.';
    for (const [i, w] of want.entries()) {
      const d = firstDifference(w, have[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (isObject(want)) {
    const h = have === undefined ? {} : have;
    if (!isObject(h)) return path || '.';
    for (const [k, v] of Object.entries(want)) {
      const d = v === undefined ? undefined : firstDifference(v, h[k], `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return want === have ? undefined : path || '.';
}

/** Every field of `want` is in `have` with the same value. */
export const holds = (want: Json, have: Json): boolean => firstDifference(want, have) === undefined;

/** Where in a list the item a managed-fields key (k:{"port":80,"protocol":"TCP"}) names is (-1: not there). */
function indexOf(key: Record<string, Json>, list: Json[]): number {
  return list.findIndex((item) => isObject(item) && Object.entries(key).every(([k, v]) => JSON.stringify(item[k]) === JSON.stringify(v)));
}

/**
 * A field in a manager's fieldsV1 set that `want` does not have (the apply would remove it). List
 * items are found by their key in the live object (`have`: the server fills in defaults a key may
 * hold, such as a port's protocol), and compared with the item at the same place in `want` (holds()
 * has checked both lists are as long).
 */
export function ownsMore(fields: Json, want: Json, have: Json): boolean {
  if (!isObject(fields)) return false;
  for (const [key, sub] of Object.entries(fields)) {
    if (key === '.') continue;
    let next: Json;
    let live: Json;
    if (key.startsWith('f:')) {
      if (!isObject(want) || want[key.slice(2)] === undefined) return true;
      next = want[key.slice(2)];
      live = isObject(have) ? have[key.slice(2)] : undefined;
    } else if (key.startsWith('k:')) {
      if (!Array.isArray(want) || !Array.isArray(have)) return true;
      const at = indexOf(JSON.parse(key.slice(2)) as Record<string, Json>, have);
      if (at < 0 || at >= want.length) return true;
      next = want[at];
      live = have[at];
    } else if (key.startsWith('v:')) {
      if (!Array.isArray(want) || !want.some((x) => JSON.stringify(x) === key.slice(2))) return true;
      continue;
    } else {
      return true; // i: (by index) or anything newer: not understood, so not sure
    }
    if (ownsMore(sub, next, live)) return true;
  }
  return false;
}

/** Why a server-side apply of `want` by `manager` would change `live`, or undefined when it would not. */
export function applyChangeReason(want: KubeObject, live: KubeObject | undefined, manager: string): string | undefined {
  if (!live) return 'not there yet';
  const ours = (live.metadata?.managedFields ?? []).filter((m) => m.manager === manager && m.operation === 'Apply');
  // Not applied by us before: applying makes us an owner of its fields (a write, even with equal values).
  if (ours.length !== 1) return `not applied by ${manager} before`;
  const differs = firstDifference(want, live);
  if (differs) return `${differs} differs`;
  return ownsMore(ours[0].fieldsV1, want, live) ? `${manager} owns fields it no longer sets` : undefined;
}

/** Would a server-side apply of `want` by `manager` change `live`? */
export const applyChanges = (want: KubeObject, live: KubeObject | undefined, manager: string): boolean => applyChangeReason(want, live, manager) !== undefined;

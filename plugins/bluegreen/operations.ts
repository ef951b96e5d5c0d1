// The blue-green operations on slots, the same for every provider: set a share, switch, roll back to
// the split recorded before the first change, finalize, preview by header or cookie. Pure: the slots
// read, our state annotations and the operation in; the desired slots and the state to write out.
import { isDeepStrictEqual } from 'node:util';
import { CliError, UsageError } from '../../shared/errors.js';
import { portFor, slotKey, type BackendWeight, type PreviewMatch, type Provider, type Slot } from './model.js';
import type { Service } from '../../shared/kube/types.js';

/** Our annotations (under the shared prefix): the slots before the first change, and the new Service. */
export const PREVIOUS_SPLIT = 'bluegreen.previous-split';
export const NEW_SERVICE = 'bluegreen.new-service';
/** Services a finalize stopped routing to and kept (a later finalize --delete-old deletes them). */
export const RELEASED = 'bluegreen.released';

export type Operation =
  | { kind: 'set'; service: string; percent: number }
  | { kind: 'rollback' }
  | { kind: 'finalize'; service?: string | undefined; deleteOld?: boolean | undefined }
  | { kind: 'preview'; service: string; match: PreviewMatch };

export interface Selection {
  host?: string | undefined;
  path?: string | undefined;
}

export interface OperationPlan {
  desired: Slot[];
  /** Our annotations to set (string) or remove (null). */
  state: Record<string, string | null>;
  /** The keys of the slots the operation applies to. */
  selected: string[];
  /** The Service that is (or becomes) the new backend. */
  newService: string;
  /** Services no slot routes to any more (finalize), with those an earlier finalize kept. */
  released: string[];
}

/** The slots recorded before the first change, or undefined (absent, or not ours to trust). */
export function readPreviousSplit(state: Record<string, string>): Record<string, Slot> | undefined {
  const raw = state[PREVIOUS_SPLIT];
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const slots = Object.values(parsed as Record<string, Slot>);
    const ok = slots.every(
      (s) =>
        Array.isArray(s?.backends) &&
        s.backends.every((b) => typeof b.service === 'string' && Number.isInteger(b.percent) && b.percent >= 0 && b.percent <= 100),
    );
    return ok ? (parsed as Record<string, Slot>) : undefined;
  } catch {
    return undefined;
  }
}

export function selectSlots(slots: Slot[], sel: Selection, what: string): Slot[] {
  const chosen = slots.filter(
    (s) => (sel.host === undefined || s.host === sel.host || s.host.split(',').includes(sel.host)) && (sel.path === undefined || s.path === sel.path),
  );
  if (chosen.length === 0) {
    const asked = [sel.host !== undefined ? `host "${sel.host}"` : '', sel.path !== undefined ? `path "${sel.path}"` : ''].filter(Boolean).join(' and ');
    const has = slots.map((s) => `${s.host}${s.path}`).join(', ') || 'nothing';
    throw new UsageError(`${what} has no route for ${asked || 'any host'}; it routes ${has}`);
  }
  return chosen;
}

function setShare(slot: Slot, service: string, percent: number, services: Service[]): Slot {
  const others = slot.backends.filter((b) => b.service !== service);
  if (others.length === 0) {
    if (percent === 100) return slot;
    throw new CliError(`service "${service}" is the only backend of ${slotKey(slot)}, so there is no old backend to give ${100 - percent}% to`);
  }
  const live = others.filter((b) => b.percent > 0);
  if (live.length > 1) {
    throw new CliError(
      `${slotKey(slot)} splits traffic between ${live.map((b) => b.service).join(', ')}; blue-green moves traffic between two Services: finalize or remove one first`,
    );
  }
  const old = live[0] ?? others[0];
  const existing = slot.backends.find((b) => b.service === service);
  const added: BackendWeight[] = existing ? [] : [{ service, percent, port: portFor(services, service, old.port) }];
  const backends = [...slot.backends, ...added].map((b) => (b.service === service ? { ...b, percent } : b === old ? { ...b, percent: 100 - percent } : b));
  return { ...slot, backends };
}

/** Which Service is the new one: named, recorded by an earlier run, or told by the provider's objects. */
function newServiceOf(op: Operation, state: Record<string, string>, hint: string | undefined, what: string, chosen: Slot[]): string {
  if (op.kind === 'set' || op.kind === 'preview') return op.service;
  // Already final: every slot has one backend, the same Service, and no preview.
  const sole = new Set(chosen.map((s) => (s.backends.length === 1 && !s.preview ? s.backends[0].service : '')));
  const finalized = sole.size === 1 && !sole.has('') ? [...sole][0] : undefined;
  const found = (op.kind === 'finalize' ? (op.service ?? finalized) : undefined) ?? state[NEW_SERVICE] ?? hint;
  // Nothing recorded and nothing marks a new backend: a rollback has nothing to undo (already rolled back).
  if (!found && op.kind === 'rollback') return '';
  if (!found)
    throw new UsageError(`cannot tell which backend of ${what} is the new one (no earlier 'kubectl bluegreen set' recorded it); name it with --service`);
  return found;
}

export function planOperation(
  p: Provider,
  slots: Slot[],
  state: Record<string, string>,
  op: Operation,
  sel: Selection,
  ctx: { what: string; namespace: string; services: Service[]; newHint?: string | undefined },
): OperationPlan {
  const selected = selectSlots(slots, sel, ctx.what);
  const newService = newServiceOf(op, state, ctx.newHint, ctx.what, selected);
  const involves = (s: Slot) => s.backends.some((b) => b.service === newService) || s.preview?.service === newService;
  // Without --host/--path, finalize acts where the new Service is routed (other hosts keep their own).
  const narrowed = op.kind === 'finalize' && sel.host === undefined && sel.path === undefined ? selected.filter(involves) : selected;
  const chosen = narrowed.length ? narrowed : selected;
  const keys = new Set(chosen.map(slotKey));
  const known = new Set(ctx.services.map((s) => s.metadata?.name));
  if ((op.kind === 'set' || op.kind === 'preview') && !known.has(newService))
    throw new CliError(`service "${newService}" not found in namespace "${ctx.namespace}"`);
  if (op.kind === 'preview') {
    const kind = op.match.cookie !== undefined ? 'cookie' : 'header';
    if (!p.previews.includes(kind)) {
      throw new UsageError(
        `provider ${p.name} cannot route by ${kind}${p.previews.length ? ` (only by ${p.previews.join(' or ')})` : ''}; use a provider that can (nginx, alb, gateway, istio)`,
      );
    }
  }
  const previous = readPreviousSplit(state);
  const change = (s: Slot): Slot => {
    switch (op.kind) {
      case 'set':
        return setShare(s, op.service, op.percent, ctx.services);
      case 'preview':
        return { ...s, preview: { service: op.service, ...op.match } };
      case 'finalize': {
        const keep = s.backends.find((b) => b.service === newService);
        if (!involves(s)) throw new CliError(`${slotKey(s)} does not route to service "${newService}"; nothing to finalize there`);
        const port = keep?.port ?? portFor(ctx.services, newService, s.backends[0]?.port);
        return { host: s.host, path: s.path, backends: [{ service: newService, percent: 100, port }] };
      }
      case 'rollback': {
        const before = previous?.[slotKey(s)];
        if (before) return { host: s.host, path: s.path, backends: before.backends, ...(before.preview ? { preview: before.preview } : {}) };
        // A slot the record does not hold was not changed by us; with no record at all, the new
        // Service (where the slot has it) gets 0% and its preview goes.
        if (previous || !involves(s)) return s;
        const rest = setShare({ ...s, preview: undefined }, newService, 0, ctx.services);
        return { host: s.host, path: s.path, backends: rest.backends };
      }
    }
  };
  const desired = slots.map((s) => (keys.has(slotKey(s)) ? normalize(change(s)) : s));
  const changed = !isDeepStrictEqual(desired.map(normalize), slots.map(normalize));
  const state2: Record<string, string | null> = {};
  const referenced = new Set(desired.flatMap((s) => [...s.backends.map((b) => b.service), ...(s.preview ? [s.preview.service] : [])]));
  const kept = readReleased(state).filter((x) => !referenced.has(x));
  const released = [...new Set([...slots.flatMap((s) => s.backends.map((b) => b.service)), ...kept])].filter((x) => !referenced.has(x));
  if (op.kind === 'rollback' || op.kind === 'finalize') {
    // The record stays for the slots not done with yet (changed since, and not selected now).
    const left = Object.entries(previous ?? {}).filter(
      ([k, before]) => !keys.has(k) && desired.some((d) => slotKey(d) === k && !isDeepStrictEqual(normalize(d), normalize(before))),
    );
    if (left.length) {
      const value = JSON.stringify(Object.fromEntries(left));
      if (value !== state[PREVIOUS_SPLIT]) state2[PREVIOUS_SPLIT] = value;
    } else {
      if (state[PREVIOUS_SPLIT] !== undefined) state2[PREVIOUS_SPLIT] = null;
      if (state[NEW_SERVICE] !== undefined) state2[NEW_SERVICE] = null;
    }
    // What finalize kept is remembered, so that a later finalize --delete-old can still delete it.
    const remember = op.kind === 'finalize' && !op.deleteOld && released.length ? JSON.stringify(released) : null;
    if (remember !== (state[RELEASED] ?? null)) state2[RELEASED] = remember;
  } else if (changed) {
    // The split from before the first change stays recorded until rollback or finalize.
    if (!previous) state2[PREVIOUS_SPLIT] = JSON.stringify(Object.fromEntries(slots.map((s) => [slotKey(s), normalize(s)])));
    if (state[NEW_SERVICE] !== newService) state2[NEW_SERVICE] = newService;
  }
  return { desired, state: state2, selected: [...keys], newService, released };
}

function readReleased(state: Record<string, string>): string[] {
  try {
    const v = JSON.parse(state[RELEASED] ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** A slot without undefined fields, so equal splits compare equal. */
export function normalize(s: Slot): Slot {
  const clean = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return clean({
    host: s.host,
    path: s.path,
    backends: s.backends.map((b) => clean({ service: b.service, percent: b.percent, port: b.port ? clean(b.port) : undefined })),
    preview: s.preview ? clean({ ...s.preview, header: s.preview.header ? clean(s.preview.header) : undefined }) : undefined,
  });
}

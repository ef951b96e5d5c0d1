// Read-only views (status, check) over big namespaces keep only what they print: each list page is read
// item by item (each item parsed on its own, without its managedFields, so a whole page of full objects
// never sits in memory) and each item is cut down to the fields its view reads before the next one is
// parsed, so 10,000 objects never sit in memory whole. Never used for objects that are written back (a
// PUT of a slimmed object would drop its fields).
import type { KubeObject } from './client.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The fields of an object a view reads: `true` keeps a value whole; an object keeps those keys only,
 * each by its own Fields (over an array, applied to each element).
 */
export type Fields = true | { readonly [key: string]: Fields };

/** The object metadata views read (everything but managedFields and times other than creation and deletion). */
export const VIEW_METADATA: Fields = {
  name: true,
  namespace: true,
  uid: true,
  resourceVersion: true,
  generation: true,
  creationTimestamp: true,
  deletionTimestamp: true,
  labels: true,
  annotations: true,
  ownerReferences: true,
};

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
}

interface Slimmable extends KubeObject {
  metadata?: KubeObject['metadata'] & { managedFields?: unknown };
  spec?: { template?: { metadata?: unknown; spec?: unknown } } & Record<string, unknown>;
  status?: { conditions?: Condition[] } & Record<string, unknown>;
}

/**
 * Drops managedFields, kubectl's last-applied copy, a pod template's spec and conditions' messages and
 * times (together most of a Deployment): conditions keep type, status and reason.
 */
export function slim<T extends KubeObject>(item: T): T {
  const o = item as Slimmable;
  const meta = o.metadata;
  if (meta) {
    delete meta.managedFields;
    if (meta.annotations && LAST_APPLIED in meta.annotations) {
      const { [LAST_APPLIED]: _dropped, ...rest } = meta.annotations;
      meta.annotations = rest;
    }
  }
  const template = o.spec?.template;
  if (template && typeof template === 'object' && 'spec' in template) delete template.spec;
  const conditions = o.status?.conditions;
  if (o.status && Array.isArray(conditions)) o.status.conditions = conditions.map(({ type, status, reason }) => ({ type, status, reason }));
  return item;
}

/** A copy of `value` with only `fields` (new objects: nothing of the parsed original stays reachable). */
export function pick(value: unknown, fields: Fields): unknown {
  if (fields === true || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => pick(v, fields));
  const from = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) if (key in from) out[key] = pick(from[key], fields[key]);
  return out;
}

const QUOTE = 34;
const BACKSLASH = 92;
const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;
const skipSpace = (s: string, i: number) => {
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i;
};

/** Index just past the string whose opening quote is at i. */
function stringEnd(s: string, i: number): number {
  for (let j = s.indexOf('"', i + 1); j >= 0; j = s.indexOf('"', j + 1)) {
    let slashes = 0;
    while (s.charCodeAt(j - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return j + 1;
  }
  throw new SyntaxError('unterminated string');
}

/** Index just past the JSON value (object, array, string or literal) that starts at i. */
function valueEnd(s: string, i: number): number {
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === QUOTE) {
      j = stringEnd(s, j) - 1;
      if (depth === 0) return j + 1;
    } else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      if (depth === 0) return j;
      if (--depth === 0) return j + 1;
    } else if (depth === 0 && (c === 44 || isSpace(c))) return j;
  }
  if (depth === 0) return s.length;
  throw new SyntaxError('unterminated value');
}

const MANAGED_FIELDS = '"managedFields":';

/** One list item parsed from s[start, end), without its managedFields (usually a third of an object or more). */
function parseItem(s: string, start: number, end: number): unknown {
  let text = '';
  let from = start;
  for (let m = s.indexOf(MANAGED_FIELDS, start); m >= 0 && m < end; m = s.indexOf(MANAGED_FIELDS, m + 1)) {
    const valueStart = skipSpace(s, m + MANAGED_FIELDS.length);
    // metadata.managedFields is a list; a key of that name elsewhere (an annotation's) stays.
    if (s[valueStart] !== '[') continue;
    let after = skipSpace(s, valueEnd(s, valueStart));
    // Drop the key with one of the commas around it.
    let before = m;
    if (s[after] === ',') after++;
    else {
      before--;
      while (isSpace(s.charCodeAt(before))) before--;
      if (s[before] !== ',') before++;
    }
    text += s.slice(from, before);
    from = after;
    m = after - 1;
  }
  return JSON.parse(from === start ? s.slice(start, end) : text + s.slice(from, end));
}

/**
 * A list's JSON text read one item at a time: each item (without managedFields) goes to `each` as soon
 * as it is parsed; returns the rest of the list (its metadata: continue, resourceVersion).
 */
export function readListText(s: string, each: (item: unknown) => void): Record<string, unknown> {
  let i = skipSpace(s, 0);
  if (s[i] !== '{') return JSON.parse(s) as Record<string, unknown>;
  const rest: Record<string, unknown> = {};
  i = skipSpace(s, i + 1);
  while (s[i] !== '}') {
    const keyEnd = stringEnd(s, i);
    const key = JSON.parse(s.slice(i, keyEnd)) as string;
    i = skipSpace(s, keyEnd);
    if (s[i] !== ':') throw new SyntaxError(`expected ':' at ${i}`);
    i = skipSpace(s, i + 1);
    if (key === 'items' && s[i] === '[') {
      i = skipSpace(s, i + 1);
      while (s[i] !== ']') {
        const end = valueEnd(s, i);
        each(parseItem(s, i, end));
        i = skipSpace(s, end);
        if (s[i] === ',') i = skipSpace(s, i + 1);
        else if (s[i] !== ']') throw new SyntaxError(`expected ',' or ']' at ${i}`);
      }
      i++;
    } else {
      const end = valueEnd(s, i);
      rest[key] = JSON.parse(s.slice(i, end));
      i = end;
    }
    i = skipSpace(s, i);
    if (s[i] === ',') i = skipSpace(s, i + 1);
    else if (s[i] !== '}') throw new SyntaxError(`expected ',' or '}' at ${i}`);
  }
  if (skipSpace(s, i + 1) !== s.length) throw new SyntaxError('text after the list');
  return rest;
}

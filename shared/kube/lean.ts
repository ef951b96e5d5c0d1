// Read-only views (status, check) over big namespaces keep only what they print: each list page is read
// item by item (each item parsed on its own, without its managedFields, so a whole page of full objects
// never sits in memory) and each item is cut down to the fields its view reads before the next one is
// parsed, so 10,000 objects never sit in memory whole. Never used for objects that are written back (a
// PUT of a slimmed object would drop its fields).
import { setFlagsFromString } from 'node:v8';
import type { KubeObject } from './object.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The fields of an object a view reads: `true` keeps a value whole; an object keeps those keys only,
 * each by its own Fields (over an array, applied to each element).
 */
export type Fields = true | { readonly [key: string]: Fields };

let youngKeptSmall = false;

/**
 * Reading thousands of objects allocates fast while keeping a little of each, and V8 answers by growing
 * its young generation to 2 x 16 MB: a third of a 10,000-object status's peak memory. Growth factor 1
 * keeps it at its starting size (more, shorter scavenges: no more CPU measured), ~35 MB less at peak.
 * The factor is read when V8 grows the space, so setting it now takes effect; a V8 that refuses 1 keeps
 * its default. Once per process, on the first lean list.
 */
export function keepYoungGenerationSmall(): void {
  if (youngKeptSmall) return;
  youngKeptSmall = true;
  setFlagsFromString('--semi-space-growth-factor=1');
}

/** The object metadata views read (not managedFields, versions or times other than deletion). */
export const VIEW_METADATA: Fields = {
  name: true,
  namespace: true,
  uid: true,
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

/** The text ends inside a value: more of it is needed. */
class Incomplete extends Error {}

/** Index just past the string whose opening quote is at i. */
function stringEnd(s: string, i: number): number {
  for (let j = s.indexOf('"', i + 1); j >= 0; j = s.indexOf('"', j + 1)) {
    let slashes = 0;
    while (s.charCodeAt(j - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return j + 1;
  }
  throw new Incomplete();
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
  throw new Incomplete();
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

type State = 'open' | 'key' | 'items' | 'next' | 'after' | 'done' | 'raw';

/**
 * A list's JSON text read as it arrives, one item at a time: each item (without managedFields) goes to
 * `each` as soon as its text is complete, and only an unfinished item's text is kept between chunks.
 */
export class ListReader {
  private text = '';
  private i = 0;
  private state: State = 'open';
  private readonly rest: Record<string, unknown> = {};

  constructor(private readonly each: (item: unknown) => void) {}

  push(chunk: string): void {
    this.text = this.i > 0 ? this.text.slice(this.i) + chunk : this.text + chunk;
    this.i = 0;
    if (this.state === 'raw') return;
    try {
      while (this.step());
    } catch (err) {
      if (!(err instanceof Incomplete)) throw err;
    }
  }

  /** The list's other fields (its metadata: continue, resourceVersion) once the whole text has come. */
  end(): Record<string, unknown> {
    if (this.state === 'raw') return JSON.parse(this.text) as Record<string, unknown>;
    if (this.state === 'open' && skipSpace(this.text, this.i) === this.text.length) return {};
    if (this.state !== 'done') throw new SyntaxError('the list ends early');
    return this.rest;
  }

  /** One token or value further; false when more text is needed. */
  private step(): boolean {
    const s = this.text;
    let i = skipSpace(s, this.i);
    if (i >= s.length) return false;
    const c = s[i];
    switch (this.state) {
      case 'open':
        if (c !== '{') {
          this.state = 'raw';
          return false;
        }
        i = skipSpace(s, i + 1);
        if (i >= s.length) return false;
        this.state = s[i] === '}' ? 'after' : 'key';
        this.i = i;
        return true;
      case 'key': {
        if (c !== '"') throw new SyntaxError(`expected a key at ${i}`);
        const keyEnd = stringEnd(s, i);
        let v = skipSpace(s, keyEnd);
        if (v >= s.length) return false;
        if (s[v] !== ':') throw new SyntaxError(`expected ':' at ${v}`);
        v = skipSpace(s, v + 1);
        if (v >= s.length) return false;
        const key = JSON.parse(s.slice(i, keyEnd)) as string;
        if (key === 'items' && s[v] === '[') {
          this.state = 'items';
          this.i = v + 1;
          return true;
        }
        const end = valueEnd(s, v);
        this.rest[key] = JSON.parse(s.slice(v, end));
        this.state = 'after';
        this.i = end;
        return true;
      }
      case 'items':
      case 'next':
        if (c === ']') {
          this.state = 'after';
          this.i = i + 1;
          return true;
        }
        if (this.state === 'next') {
          if (c !== ',') throw new SyntaxError(`expected ',' or ']' at ${i}`);
          this.state = 'items';
          this.i = i + 1;
          return true;
        }
        {
          const end = valueEnd(s, i);
          this.each(parseItem(s, i, end));
          this.state = 'next';
          this.i = end;
        }
        return true;
      case 'after':
        if (c === ',' || c === '}') {
          this.state = c === ',' ? 'key' : 'done';
          this.i = i + 1;
          return true;
        }
        throw new SyntaxError(`expected ',' or '}' at ${i}`);
      default:
        throw new SyntaxError(`text after the list at ${i}`);
    }
  }
}

/** A whole list's JSON text read item by item (see ListReader); returns the list's other fields. */
export function readListText(s: string, each: (item: unknown) => void): Record<string, unknown> {
  const reader = new ListReader(each);
  reader.push(s);
  return reader.end();
}

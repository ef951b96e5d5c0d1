// Label and field selectors as the API server reads them from ?labelSelector= and ?fieldSelector=, for
// the in-memory API server: equality (=, ==, !=), sets (in, notin) and existence (key, !key) on labels;
// equality and inequality on dotted field paths (metadata.name, spec.nodeName, status.phase).
import type { KubeObject } from '../../shared/kube/object.js';

type Test = (o: KubeObject) => boolean;

/** Split on commas outside parentheses: "a in (x,y),b" is two requirements. */
function requirements(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const labelsOf = (o: KubeObject) => o.metadata?.labels ?? {};

function labelTest(req: string): Test {
  let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(req);
  if (m) {
    const [, key, op, list] = m;
    const values = new Set(list.split(',').map((v) => v.trim()));
    return op === 'in' ? (o) => values.has(labelsOf(o)[key] ?? '\0') : (o) => !values.has(labelsOf(o)[key] ?? '\0');
  }
  m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(req);
  if (m) {
    const [, key, op, value] = m;
    return op === '!=' ? (o) => labelsOf(o)[key] !== value : (o) => labelsOf(o)[key] === value;
  }
  m = /^(!?)([\w./-]+)$/.exec(req);
  if (m) {
    const [, not, key] = m;
    return not ? (o) => !(key in labelsOf(o)) : (o) => key in labelsOf(o);
  }
  throw new SelectorError(`unable to parse requirement: ${req}`);
}

function fieldValue(o: KubeObject, path: string): string {
  let v: unknown = o;
  for (const part of path.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[part] : undefined;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

function fieldTest(req: string): Test {
  const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(req);
  if (!m) throw new SelectorError(`invalid field selector: ${req}`);
  const [, path, op, value] = m;
  return op === '!=' ? (o) => fieldValue(o, path) !== value : (o) => fieldValue(o, path) === value;
}

/** A selector the server cannot read: answered 400 BadRequest. */
export class SelectorError extends Error {}

/** The objects a label and a field selector both accept (either may be empty: everything). */
export function selector(labels: string | undefined, fields: string | undefined): Test {
  const tests = [...requirements(labels ?? '').map(labelTest), ...requirements(fields ?? '').map(fieldTest)];
  return (o) => tests.every((t) => t(o));
}

// kubectl's JSONPath templates (-o jsonpath=...), parsed and evaluated with the same rules and the same
// output as kubectl: `{.a.b}`, `{.items[*].x}`, `{range ...}...{end}`, filters `[?(@.x=="y")]`, quoted
// literals `{"\n"}`, `..` recursive descent, slices `[1:3]`, `[-1]`, unions `['a','b']`. A list of
// values prints separated by single spaces; maps and lists as compact JSON with sorted keys; a missing
// key prints nothing (kubectl's default --allow-missing-template-keys=true).
//
// Unlike kubectl, a template that can never run (an `{end}` without `{range}`, a `{range}` without
// `{end}`, an unknown word) is refused when parsed, so it is a usage error before any request.
import { goJson, goText } from './go-values.js';
import { JsonPathError, type Node, type Param, type ListNode, type Segment } from './jsonpath-parse.js';

export { JsonPathError, parseJsonPath, type Segment } from './jsonpath-parse.js';

/** A value inside a {range} whose item is null: kubectl prints it as <no value>. */
const NO_VALUE = Symbol('no value');
type Value = unknown;

const isNil = (v: Value) => v === null || v === undefined || v === NO_VALUE;
const isMap = (v: Value): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function walk(input: Value[], node: Node): Value[] {
  switch (node.t) {
    case 'list':
      return node.nodes.reduce<Value[]>((cur, n) => walk(cur, n), input);
    case 'text':
      return [node.text];
    case 'int':
    case 'float':
    case 'bool':
      return [node.value];
    case 'field': {
      const out: Value[] = [];
      for (const v of input) if (isMap(v) && Object.prototype.hasOwnProperty.call(v, node.name)) out.push(v[node.name]);
      return out;
    }
    case 'wildcard': {
      const out: Value[] = [];
      for (const v of input) {
        if (Array.isArray(v)) out.push(...(v as Value[]));
        else if (isMap(v)) out.push(...Object.values(v));
      }
      return out;
    }
    case 'recursive':
      return recursive(input);
    case 'array':
      return array(input, node.params);
    case 'union':
      return node.lists.flatMap((l) => walk(input, l));
    case 'filter':
      return filter(input, node);
    case 'range':
    case 'end':
      throw new JsonPathError(`"${node.t}" must open its own {...}`);
  }
}

function children(v: Value): Value[] {
  if (Array.isArray(v)) return v as Value[];
  if (isMap(v)) return Object.values(v);
  return [];
}

function recursive(input: Value[]): Value[] {
  const out: Value[] = [];
  for (const v of input) {
    if (isNil(v)) continue;
    const kids = children(v);
    if (kids.length) {
      out.push(v);
      out.push(...recursive(kids));
    }
  }
  return out;
}

function array(input: Value[], node: [Param, Param, Param]): Value[] {
  const out: Value[] = [];
  for (const v of input) {
    if (isNil(v)) continue;
    if (!Array.isArray(v)) throw new JsonPathError(`${goTypeName(v)} is not array or slice`);
    const len = v.length;
    const [p0, p1, p2] = node.map((p) => ({ ...p }));
    if (!p0 || !p1 || !p2) continue;
    if (!p0.known) p0.value = 0;
    if (p0.value < 0) p0.value += len;
    if (!p1.known) p1.value = len;
    if (p1.value < 0 || (p1.value === 0 && p1.derived)) p1.value += len;
    if (p1.value === p0.value) return out;
    if (p0.value >= len || p0.value < 0) throw new JsonPathError(`array index out of bounds: index ${p0.value}, length ${len}`);
    if (p1.value > len || p1.value < 0) throw new JsonPathError(`array index out of bounds: index ${p1.value - 1}, length ${len}`);
    if (p0.value > p1.value) throw new JsonPathError(`starting index ${p0.value} is greater than ending index ${p1.value}`);
    let step = 1;
    if (p2.known) {
      if (p2.value <= 0) throw new JsonPathError('step must be > 0');
      step = p2.value;
    }
    for (let i = p0.value; i < p1.value; i += step) out.push(v[i]);
  }
  return out;
}

function goTypeName(v: Value): string {
  if (isMap(v)) return 'map[string]interface {}';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return 'interface {}';
}

type Kind = 'bool' | 'int' | 'float' | 'string';

/** Go's kinds for comparison: integers and other numbers do not compare (kubectl: "incompatible types"). */
function kindOf(v: Value, literalFloat: boolean): Kind {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) && !literalFloat ? 'int' : 'float';
  throw new JsonPathError('invalid type for comparison');
}

function compare(op: string, left: Value, leftFloat: boolean, right: Value, rightFloat: boolean): boolean {
  const k1 = kindOf(left, leftFloat);
  const k2 = kindOf(right, rightFloat);
  if (k1 !== k2) throw new JsonPathError('incompatible types for comparison');
  if (op === '==') return left === right;
  if (op === '!=') return left !== right;
  if (k1 === 'bool') throw new JsonPathError('invalid type for comparison');
  const a = left as number | string;
  const b = right as number | string;
  switch (op) {
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
  }
  throw new JsonPathError(`unrecognized filter operator ${op}`);
}

const isFloatLiteral = (l: ListNode) => l.nodes.length === 1 && l.nodes[0]?.t === 'float';

function filter(input: Value[], node: Extract<Node, { t: 'filter' }>): Value[] {
  const out: Value[] = [];
  for (const v of input) {
    if (!Array.isArray(v)) throw new JsonPathError(`${goTypeName(v)} is not array or slice and cannot be filtered`);
    for (const item of v as Value[]) {
      const lefts = walk([item], node.left);
      if (node.op === 'exists') {
        if (lefts.length) out.push(item);
        continue;
      }
      if (lefts.length === 0) continue;
      if (lefts.length > 1) throw new JsonPathError('can only compare one element at a time');
      const rights = walk([item], node.right);
      if (rights.length === 0) continue;
      if (rights.length > 1) throw new JsonPathError('can only compare one element at a time');
      if (compare(node.op, lefts[0], isFloatLiteral(node.left), rights[0], isFloatLiteral(node.right))) out.push(item);
    }
  }
  return out;
}

/** The values of one action, as kubectl's PrintResults writes them: separated by single spaces. */
function printValues(values: Value[]): string {
  return values.map((v) => (v === NO_VALUE ? '<no value>' : typeof v === 'object' && v !== null ? goJson(v) : goText(v, 'null'))).join(' ');
}

function execute(segments: Segment[], data: Value): string {
  let out = '';
  for (const s of segments) {
    if (s.t === 'text') out += s.text;
    else if (s.t === 'action') out += printValues(walk([data], s.list));
    else for (const item of walk([data], s.list)) out += execute(s.body, item === null ? NO_VALUE : item);
  }
  return out;
}

/** A parsed template run on a plain JSON value (what -o json prints); throws JsonPathError on a runtime error. */
export function runJsonPath(segments: Segment[], data: unknown): string {
  return execute(segments, data);
}

/** Every value each action finds (custom-columns cells), without printing. */
export function findValues(segments: Segment[], data: unknown): unknown[] {
  const out: unknown[] = [];
  for (const s of segments) {
    if (s.t === 'action') out.push(...walk([data], s.list));
    else if (s.t === 'text') out.push(s.text);
  }
  return out;
}

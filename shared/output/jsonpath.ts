// kubectl's JSONPath templates (-o jsonpath=...), parsed and evaluated with the same rules and the same
// output as kubectl: `{.a.b}`, `{.items[*].x}`, `{range ...}...{end}`, filters `[?(@.x=="y")]`, quoted
// literals `{"\n"}`, `..` recursive descent, slices `[1:3]`, `[-1]`, unions `['a','b']`. A list of
// values prints separated by single spaces; maps and lists as compact JSON with sorted keys; a missing
// key prints nothing (kubectl's default --allow-missing-template-keys=true).
//
// Unlike kubectl, a template that can never run (an `{end}` without `{range}`, a `{range}` without
// `{end}`, an unknown word) is refused when parsed, so it is a usage error before any request.
import { goJson, goText } from './go-values.js';

type Param = { known: boolean; value: number; derived: boolean };

export type Node =
  | { t: 'text'; text: string }
  | { t: 'list'; nodes: Node[] }
  | { t: 'field'; name: string }
  | { t: 'wildcard' }
  | { t: 'recursive' }
  | { t: 'array'; params: [Param, Param, Param] }
  | { t: 'union'; lists: ListNode[] }
  | { t: 'filter'; left: ListNode; right: ListNode; op: string }
  | { t: 'int'; value: number }
  | { t: 'float'; value: number }
  | { t: 'bool'; value: boolean }
  | { t: 'range' }
  | { t: 'end' };
type ListNode = { t: 'list'; nodes: Node[] };

/** A template's top level: text, actions, and range blocks with their bodies. */
export type Segment = { t: 'text'; text: string } | { t: 'action'; list: ListNode } | { t: 'range'; list: ListNode; body: Segment[] };

export class JsonPathError extends Error {}

const EOF = '';
const isSpace = (r: string) => r === ' ' || r === '\t';
const isEndOfLine = (r: string) => r === '\r' || r === '\n';
const isTerminator = (r: string) => isSpace(r) || isEndOfLine(r) || [EOF, '.', ',', '[', ']', '$', '@', '{', '}'].includes(r);
const isDigit = (r: string) => /^\p{Nd}$/u.test(r);
const isAlphaNumeric = (r: string) => r === '_' || /^[\p{L}\p{Nd}]$/u.test(r);
const DICT_KEY = /^'([^']*)'$/;
const SLICE = /^(-?\d*)(:-?\d*)?(:-?\d*)?$/;
const FILTER = /^([^!<>=]+)([!<>=]+)(.+?)$/;

/** A recursive-descent parser following kubectl's (k8s.io/client-go/util/jsonpath) rule for rule. */
class Parser {
  private pos = 0;
  private start = 0;
  readonly root: ListNode = { t: 'list', nodes: [] };
  constructor(private readonly input: string) {}

  parse(): ListNode {
    this.parseText(this.root);
    return this.root;
  }

  private next(): string {
    if (this.pos >= this.input.length) return EOF;
    const cp = this.input.codePointAt(this.pos) ?? 0;
    const r = String.fromCodePoint(cp);
    this.pos += r.length;
    return r;
  }
  private backup(r: string): void {
    this.pos -= r.length;
  }
  private peek(): string {
    const r = this.next();
    this.backup(r);
    return r;
  }
  private consumeText(): string {
    const value = this.input.slice(this.start, this.pos);
    this.start = this.pos;
    return value;
  }
  private rest(): string {
    return this.input.slice(this.pos);
  }

  private parseText(cur: ListNode): void {
    for (;;) {
      if (this.rest().startsWith('{')) {
        if (this.pos > this.start) cur.nodes.push({ t: 'text', text: this.consumeText() });
        this.parseLeftDelim(cur);
        return;
      }
      if (this.next() === EOF) break;
    }
    if (this.pos > this.start) cur.nodes.push({ t: 'text', text: this.consumeText() });
  }

  private parseLeftDelim(cur: ListNode): void {
    this.pos += 1;
    this.consumeText();
    const list: ListNode = { t: 'list', nodes: [] };
    cur.nodes.push(list);
    this.parseInsideAction(list);
  }

  private parseInsideAction(cur: ListNode): void {
    // A loop where kubectl recurses after each node, so long templates cannot overflow the stack.
    for (;;) {
      const rest = this.rest();
      if (rest.startsWith('{')) return this.parseLeftDelim(cur);
      if (rest.startsWith('}')) {
        this.pos += 1;
        this.consumeText();
        return this.parseText(this.root);
      }
      if (rest.startsWith('[?(')) {
        this.parseFilter(cur);
        continue;
      }
      if (rest.startsWith('..')) {
        this.parseRecursive(cur);
        continue;
      }
      const r = this.next();
      if (r === EOF || isEndOfLine(r)) throw new JsonPathError('unclosed action');
      if (r === ' ' || r === '@' || r === '$') this.consumeText();
      else if (r === '[') this.parseArray(cur);
      else if (r === '"' || r === "'") this.parseQuote(cur, r);
      else if (r === '.') this.parseField(cur);
      else if (r === '+' || r === '-' || isDigit(r)) {
        this.backup(r);
        this.parseNumber(cur);
      } else if (isAlphaNumeric(r)) {
        this.backup(r);
        this.parseIdentifier(cur);
      } else throw new JsonPathError(`unrecognized character in action: ${JSON.stringify(r)}`);
    }
  }

  private parseRecursive(cur: ListNode): void {
    if (cur.nodes[cur.nodes.length - 1]?.t === 'recursive') throw new JsonPathError('invalid multiple recursive descent');
    this.pos += 2;
    this.consumeText();
    cur.nodes.push({ t: 'recursive' });
    if (isAlphaNumeric(this.peek())) this.parseField(cur);
  }

  private parseField(cur: ListNode): void {
    this.consumeText();
    while (this.advance());
    const value = this.consumeText();
    cur.nodes.push(value === '*' ? { t: 'wildcard' } : { t: 'field', name: value.replaceAll('\\', '') });
  }

  private advance(): boolean {
    const r = this.next();
    if (r === '\\') this.next();
    else if (isTerminator(r)) {
      this.backup(r);
      return false;
    }
    return true;
  }

  private parseIdentifier(cur: ListNode): void {
    for (;;) {
      const r = this.next();
      if (isTerminator(r)) {
        this.backup(r);
        break;
      }
    }
    const value = this.consumeText();
    if (value === 'true' || value === 'false') cur.nodes.push({ t: 'bool', value: value === 'true' });
    else if (value === 'range') cur.nodes.push({ t: 'range' });
    else if (value === 'end') cur.nodes.push({ t: 'end' });
    else throw new JsonPathError(`unrecognized identifier ${value}`);
  }

  private parseNumber(cur: ListNode): void {
    const r = this.peek();
    if (r === '+' || r === '-') this.next();
    for (;;) {
      const d = this.next();
      if (d !== '.' && !isDigit(d)) {
        this.backup(d);
        break;
      }
    }
    const value = this.consumeText();
    if (/^[+-]?\d+$/.test(value)) cur.nodes.push({ t: 'int', value: Number(value) });
    else if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(value)) cur.nodes.push({ t: 'float', value: Number(value) });
    else throw new JsonPathError(`cannot parse number ${value}`);
  }

  private parseQuote(cur: ListNode, end: string): void {
    for (;;) {
      const r = this.next();
      if (r === EOF || r === '\n') throw new JsonPathError('unterminated quoted string');
      if (r === end && this.input[this.pos - 2] !== '\\') break;
    }
    const value = this.consumeText();
    cur.nodes.push({ t: 'text', text: unquote(value) });
  }

  private parseArray(cur: ListNode): void {
    for (;;) {
      const r = this.next();
      if (r === EOF || r === '\n') throw new JsonPathError('unterminated array');
      if (r === ']') break;
    }
    let text = this.consumeText().slice(1, -1);
    if (text === '*') text = ':';
    const parts = text.split(',');
    if (parts.length > 1) {
      cur.nodes.push({ t: 'union', lists: parts.map((p) => parseAction(`[${p.trim()}]`)) });
      return;
    }
    const key = DICT_KEY.exec(text);
    if (key) {
      cur.nodes.push(...parseAction(`.${key[1] ?? ''}`).nodes);
      return;
    }
    const m = SLICE.exec(text);
    if (!m) throw new JsonPathError(`invalid array index ${text}`);
    const raw = [m[1] ?? '', m[2] ?? '', m[3] ?? ''];
    const params: Param[] = [];
    for (let i = 0; i < 3; i++) {
      let v = raw[i] ?? '';
      const prev = params[0];
      if (v !== '') {
        if (i > 0) v = v.slice(1);
        if (i > 0 && v === '') params.push({ known: false, value: 0, derived: false });
        else {
          if (!/^-?\d+$/.test(v)) throw new JsonPathError(`array index ${v} is not a number`);
          params.push({ known: true, value: Number(v), derived: false });
        }
      } else if (i === 1) params.push({ known: true, value: (prev?.value ?? 0) + 1, derived: true });
      else params.push({ known: false, value: 0, derived: false });
    }
    cur.nodes.push({ t: 'array', params: params as [Param, Param, Param] });
  }

  private parseFilter(cur: ListNode): void {
    this.pos += 3;
    this.consumeText();
    let begin = false;
    let end = false;
    let pair = '';
    for (;;) {
      const r = this.next();
      if (r === EOF || r === '\n') throw new JsonPathError('unterminated filter');
      if (r === '"' || r === "'") {
        if (!begin) {
          begin = true;
          pair = r;
          continue;
        }
        if (this.input[this.pos - 2] !== '\\' && r === pair) end = true;
      } else if (r === ')' && begin === end) break;
    }
    if (this.next() !== ']') throw new JsonPathError('unclosed array expect ]');
    const text = this.consumeText().slice(0, -2);
    const m = FILTER.exec(text);
    if (!m) cur.nodes.push({ t: 'filter', left: parseAction(text), right: { t: 'list', nodes: [] }, op: 'exists' });
    else cur.nodes.push({ t: 'filter', left: parseAction(m[1] ?? ''), right: parseAction(m[3] ?? ''), op: m[2] ?? '' });
  }
}

/** An expression inside a filter or union, parsed as kubectl does: as the template `{text}`. */
function parseAction(text: string): ListNode {
  const root = new Parser(`{${text}}`).parse();
  const first = root.nodes[0];
  if (first?.t !== 'list') throw new JsonPathError(`invalid expression ${text}`);
  return first;
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"' };

/** Go's strconv.Unquote for "..." and '...' (kubectl's UnquoteExtend). */
function unquote(quoted: string): string {
  const body = quoted.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] ?? '';
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i] ?? '';
    const hex = (n: number) => {
      const h = body.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) throw new JsonPathError(`unquote string ${quoted} error invalid syntax`);
      i += n;
      return parseInt(h, 16);
    };
    if (e in ESCAPES) out += ESCAPES[e];
    else if (e === 'x') out += String.fromCharCode(hex(2));
    else if (e === 'u') out += String.fromCodePoint(hex(4));
    else if (e === 'U') out += String.fromCodePoint(hex(8));
    else if (/[0-7]/.test(e) && /^[0-7]{3}$/.test(body.slice(i, i + 3))) {
      out += String.fromCharCode(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else throw new JsonPathError(`unquote string ${quoted} error invalid syntax`);
  }
  return out;
}

/** Every node kind the evaluator knows, checked once so a bad template fails when parsed. */
function checkList(list: ListNode, inFilter = false): void {
  list.nodes.forEach((n, i) => {
    if ((n.t === 'range' || n.t === 'end') && (inFilter || i > 0)) throw new JsonPathError(`"${n.t}" must open its own {...}`);
    if (n.t === 'list') checkList(n, inFilter);
    if (n.t === 'union') n.lists.forEach((l) => checkList(l, true));
    if (n.t === 'filter') {
      checkList(n.left, true);
      checkList(n.right, true);
    }
  });
}

/** The template as text, actions and range blocks; throws JsonPathError on anything kubectl could not run. */
export function parseJsonPath(template: string): Segment[] {
  const root = new Parser(template).parse();
  const stack: Segment[][] = [[]];
  const ranges: ListNode[] = [];
  for (const n of root.nodes) {
    const top = stack[stack.length - 1] ?? [];
    if (n.t === 'text') top.push({ t: 'text', text: n.text });
    else if (n.t === 'list') {
      checkList(n);
      const first = n.nodes[0];
      if (first?.t === 'range') {
        ranges.push({ t: 'list', nodes: n.nodes.slice(1) });
        stack.push([]);
      } else if (first?.t === 'end') {
        if (n.nodes.length > 1) throw new JsonPathError('"end" must stand alone: {end}');
        const body = stack.pop();
        const list = ranges.pop();
        if (!body || !list || stack.length === 0) throw new JsonPathError('not in range, nothing to end');
        stack[stack.length - 1]?.push({ t: 'range', list, body });
      } else top.push({ t: 'action', list: n });
    }
  }
  if (ranges.length) throw new JsonPathError('range without {end}');
  return stack[0] ?? [];
}

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

// YAML written the way Go programs built on sigs.k8s.io/yaml write it (istioctl, kubectl): the value
// goes through JSON and go-yaml v2's encoder, so map keys come in go-yaml's "natural" order, sequences
// sit at their key's indentation, and each string gets the style go-yaml picks (plain when it reads
// back as the same string, "double-quoted" when it would read as a number, bool, null or date,
// 'single-quoted' when plain text would be misread), folded at spaces past column 80. Files meant to
// match a Go tool's byte for byte are written with this instead of js-yaml.

/** go-yaml v2's key order (sorter.go keyList.Less) for string keys: runs of digits compare as numbers, letters after other characters. */
export function goYamlKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  const isLetter = (c: string) => /\p{L}/u.test(c);
  const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetter(ar[i]);
    const bl = isLetter(br[i]);
    if (al && bl) return ar[i] < br[i];
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10n + BigInt(ar[ai].charCodeAt(0) - 48);
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10n + BigInt(br[bi].charCodeAt(0) - 48);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i] < br[i];
  }
  return ar.length < br.length;
}

const BOOL_NULL = new Set(
  'y Y yes Yes YES true True TRUE on On ON n N no No NO false False FALSE off Off OFF ~ null Null NULL .nan .NaN .NAN .inf .Inf .INF +.inf +.Inf +.INF -.inf -.Inf -.INF <<'.split(
    ' ',
  ),
);
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE60 = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
// The timestamp forms go-yaml resolves (date; date and time with a zone after T; date and time after a space).
const TIMESTAMPS = [
  /^\d{4}-\d{1,2}-\d{1,2}$/,
  /^\d{4}-\d{1,2}-\d{1,2}[Tt]\d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  /^\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?$/,
];

/** Would go-yaml read this plain scalar back as something other than a string (resolve.go)? */
function resolvesToNonString(s: string): boolean {
  if (s === '' || BOOL_NULL.has(s)) return true;
  const c = s[0];
  if (c === '.') return YAML_FLOAT.test(s);
  if (c === '+' || c === '-' || (c >= '0' && c <= '9')) {
    if (TIMESTAMPS.some((t) => t.test(s))) return true;
    const plain = s.replace(/_/g, '');
    if (/^[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9][0-9]*|0)$/.test(plain)) return true;
    if (YAML_FLOAT.test(plain)) return true;
  }
  return false;
}

const isPrintable = (cp: number) =>
  cp === 0x0a ||
  (cp >= 0x20 && cp <= 0x7e) ||
  cp === 0x85 ||
  (cp >= 0xa0 && cp <= 0xd7ff) ||
  (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff) ||
  (cp >= 0x10000 && cp <= 0x10ffff);

interface Analysis {
  blockPlain: boolean;
  singleQuoted: boolean;
  block: boolean;
  multiline: boolean;
}

/** yaml_emitter_analyze_scalar, for a scalar in block context. */
function analyze(s: string): Analysis {
  if (s === '') return { blockPlain: true, singleQuoted: true, block: false, multiline: false };
  const chars = [...s];
  let blockIndicators = s.startsWith('---') || s.startsWith('...');
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let precededByWhitespace = true;
  let previousSpace = false;
  let previousBreak = false;
  const blank = (c: string | undefined) =>
    c === undefined || c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\u0085' || c === '\u2028' || c === '\u2029';
  const isBreak = (c: string) => c === '\n' || c === '\r' || c === '\u0085' || c === '\u2028' || c === '\u2029';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    const followedByWhitespace = blank(chars[i + 1]);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) blockIndicators = true;
      if ((c === '?' || c === ':' || c === '-') && followedByWhitespace) blockIndicators = true;
    } else {
      if (c === ':' && followedByWhitespace) blockIndicators = true;
      if (c === '#' && precededByWhitespace) blockIndicators = true;
    }
    if (!isPrintable(c.codePointAt(0) ?? 0)) special = true;
    if (c === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = blank(c);
  }
  let blockPlain = true;
  let singleQuoted = true;
  let block = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlain = false;
  if (trailingSpace) block = false;
  if (breakSpace) blockPlain = singleQuoted = false;
  if (spaceBreak || special) blockPlain = singleQuoted = block = false;
  if (lineBreaks) blockPlain = false;
  if (blockIndicators) blockPlain = false;
  return { blockPlain, singleQuoted, block, multiline: lineBreaks };
}

const WIDTH = 80;

/** Text written from `column` on, breaking at single spaces once past the width (go-yaml's folding). */
function folded(s: string, column: number, indent: number, quoted: boolean): string {
  const chars = [...s];
  let out = '';
  let col = column;
  let spaces = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    const inner = !quoted || (i !== 0 && i !== chars.length - 1);
    if (c === ' ' && !spaces && col > WIDTH && inner && chars[i + 1] !== ' ') {
      out += `\n${' '.repeat(indent)}`;
      col = indent;
      spaces = true;
      continue;
    }
    spaces = c === ' ';
    out += c;
    col += c === "'" && quoted ? 2 : 1;
  }
  return out;
}

const ESCAPES: Record<string, string> = {
  '\0': '0',
  '\x07': 'a',
  '\b': 'b',
  '\t': 't',
  '\n': 'n',
  '\x0b': 'v',
  '\f': 'f',
  '\r': 'r',
  '\x1b': 'e',
  '"': '"',
  '\\': '\\',
  '\u0085': 'N',
  '\u00a0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

function doubleQuoted(s: string, column: number, indent: number): string {
  let out = '"';
  let col = column + 1;
  const chars = [...s];
  let spaces = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    const cp = c.codePointAt(0) ?? 0;
    if (c === ' ' && !spaces && col > WIDTH && i !== 0 && i !== chars.length - 1) {
      out += `\n${' '.repeat(indent)}`;
      col = indent;
      if (chars[i + 1] === ' ') {
        out += '\\';
        col++;
      }
      spaces = true;
      continue;
    }
    spaces = c === ' ';
    let piece: string;
    if (!isPrintable(cp) || cp === 0xfeff || c === '"' || c === '\\' || ESCAPES[c] !== undefined) {
      const e = ESCAPES[c];
      piece = e ? `\\${e}` : cp <= 0xff ? `\\x${hex(cp, 2)}` : cp <= 0xffff ? `\\u${hex(cp, 4)}` : `\\U${hex(cp, 8)}`;
    } else piece = c;
    out += piece;
    col += [...piece].length;
  }
  return `${out}"`;
}

const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');

function literal(s: string, indent: number): string {
  const chomp = !s.endsWith('\n') ? '-' : s.endsWith('\n\n') ? '+' : '';
  const hint = s.startsWith(' ') || s.startsWith('\n') ? '2' : '';
  const body = (chomp === '' ? s.slice(0, -1) : chomp === '+' ? s.slice(0, -1) : s).split('\n');
  return `|${hint}${chomp}${body.map((l) => (l === '' ? '\n' : `\n${' '.repeat(indent)}${l}`)).join('')}`;
}

/** A string as go-yaml writes it at `column`, continuation lines at `indent`; keys may not be block scalars. */
function stringScalar(s: string, column: number, indent: number, key: boolean): string {
  const a = analyze(s);
  const canPlain = !resolvesToNonString(s) && !BASE60.test(s);
  let style: 'plain' | 'single' | 'double' | 'literal' = s.includes('\n') ? 'literal' : canPlain ? 'plain' : 'double';
  if (key && a.multiline) style = 'double';
  if (style === 'plain' && !a.blockPlain) style = 'single';
  if (style === 'single' && !a.singleQuoted) style = 'double';
  if (style === 'literal' && (!a.block || key)) style = 'double';
  switch (style) {
    case 'plain':
      return folded(s, column, indent, false);
    case 'single':
      return `'${folded(s, column + 1, indent, true).replace(/'/g, "''")}'`;
    case 'double':
      return doubleQuoted(s, column, indent);
    case 'literal':
      return literal(s, indent);
  }
}

function number(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return BigInt(n).toString();
  if (!Number.isFinite(n)) return Number.isNaN(n) ? '.nan' : n > 0 ? '.inf' : '-.inf';
  // strconv.FormatFloat(f, 'g', -1, 64): the shortest digits, exponent form from 1e21 and below 1e-4.
  const [mantissa = '', exp = '0'] = n.toExponential().split('e');
  const e = Number(exp);
  if (e < -4 || e >= 21) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return String(n);
}

function scalar(v: unknown, column: number, indent: number): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return number(v);
  return stringScalar(typeof v === 'string' ? v : JSON.stringify(v), column, indent, false);
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function emptyCollection(v: unknown): string | undefined {
  if (Array.isArray(v) && v.length === 0) return '[]';
  if (isMap(v) && Object.keys(v).length === 0) return '{}';
  return undefined;
}

function lines(v: unknown, indent: number): string[] {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  if (Array.isArray(v)) {
    for (const item of v) {
      const empty = emptyCollection(item);
      if (empty !== undefined || (!isMap(item) && !Array.isArray(item))) {
        out.push(`${pad}- ${empty ?? scalar(item, indent + 2, indent + 2)}`);
        continue;
      }
      const inner = lines(item, indent + 2);
      out.push(`${pad}- ${inner[0].slice(indent + 2)}`, ...inner.slice(1));
    }
    return out;
  }
  if (isMap(v)) {
    const keys = Object.keys(v).sort((a, b) => (goYamlKeyLess(a, b) ? -1 : goYamlKeyLess(b, a) ? 1 : 0));
    for (const k of keys) {
      const val = v[k];
      const key = stringScalar(k, indent, indent, true);
      const head = `${pad}${key}:`;
      const empty = emptyCollection(val);
      if (empty !== undefined) out.push(`${head} ${empty}`);
      else if (isMap(val)) out.push(head, ...lines(val, indent + 2));
      else if (Array.isArray(val)) out.push(head, ...lines(val, indent));
      else out.push(`${head} ${scalar(val, head.length + 1, indent + 2)}`);
    }
    return out;
  }
  return [`${pad}${scalar(v, indent, indent)}`];
}

/** sigs.k8s.io/yaml.Marshal of a JSON value. */
export function goYaml(value: unknown): string {
  const empty = emptyCollection(value);
  if (empty !== undefined) return `${empty}\n`;
  return `${lines(value, 0).join('\n')}\n`;
}

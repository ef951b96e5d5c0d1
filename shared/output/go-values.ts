// Plain JSON values printed as kubectl's Go code prints them, for output that must match kubectl byte
// for byte (-o jsonpath, -o custom-columns): kubectl decodes a whole JSON number into an int64 and any
// other into a float64, and Go formats each its own way.

const INT64_LIMIT = 2 ** 63;

const isGoInt = (n: number) => Number.isInteger(n) && Math.abs(n) < INT64_LIMIT;

function goInt(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}

/** fmt's %v of a float64: the shortest digits, exponent form when the exponent is < -4 or >= 6 (shortest %g). */
function goFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  const [mantissa = '', e = '0'] = n.toExponential().split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(n);
}

/** A scalar as fmt.Fprint writes it (jsonpath's text output); `nil` names null (jsonpath "null", %v "<nil>"). */
export function goText(v: unknown, nil: string): string {
  if (v === null || v === undefined) return nil;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return isGoInt(v) ? goInt(v) : goFloat(v);
  if (typeof v === 'boolean') return String(v);
  return goFmtV(v);
}

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, sortKeys(o[k])]),
    );
  }
  return v;
}

/** encoding/json's Marshal: compact, map keys sorted, <, > and & escaped as \u003c... (Go's HTML-safe default). */
export function goJson(v: unknown): string {
  return (JSON.stringify(sortKeys(v)) ?? 'null').replace(HTML_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** fmt's %v of a decoded JSON value (custom-columns cells): map[a:1 b:x], [1 2], <nil>. */
export function goFmtV(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goFmtV).join(' ')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${goFmtV(o[k])}`)
      .join(' ')}]`;
  }
  return goText(v, '<nil>');
}

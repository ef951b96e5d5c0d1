// A VM's cluster.env as istioctl writes it (istioctl/pkg/workload mapToString): sorted KEY=value lines,
// each value quoted by Istio's shellescape.Quote, and read back the way istio-start.sh's shell reads it.

// Istio's pattern is the Python original's [^\w@%+=:,./-] written in a Go raw string, so `\\w` is a
// backslash and a "w": every value with any other character is quoted, which is nearly all of them.
const UNSAFE = /[^\\w@%+=:,./-]/;

/** Istio's shellescape.Quote (pkg/util/shellescape). */
export function shellQuote(s: string): string {
  if (s === '') return "''";
  return UNSAFE.test(s) ? `'${s.replace(/'/g, `'"'"'`)}'` : s;
}

/** KEY=value lines sorted as Go's sort.Strings sorts them (by UTF-8 bytes), with a final newline. */
export function renderClusterEnv(env: Record<string, string>): string {
  const lines = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`);
  lines.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `${lines.join('\n')}\n`;
}

/** The variables a POSIX shell gets from sourcing the file (single and double quotes, backslashes outside quotes). */
export function parseClusterEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = '';
    const raw = m[2];
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i];
      if (c === "'") {
        const end = raw.indexOf("'", i + 1);
        value += raw.slice(i + 1, end < 0 ? raw.length : end);
        i = end < 0 ? raw.length : end;
      } else if (c === '"') {
        let j = i + 1;
        for (; j < raw.length && raw[j] !== '"'; j++) value += raw[j] === '\\' && j + 1 < raw.length && '"\\$`'.includes(raw[j + 1]) ? raw[++j] : raw[j];
        i = j;
      } else if (c === '\\' && i + 1 < raw.length) value += raw[++i];
      else if (/\s/.test(c)) break;
      else value += c;
    }
    out[m[1]] = value;
  }
  return out;
}

// Routers that match headers only (Istio, Gateway API) see a cookie through the Cookie header: a
// regular expression for the pair at its start or after a "; ". Shared by canary and bluegreen routes.

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const unescape = (s: string) => s.replace(/\\(.)/g, '$1');

/** A Cookie header regex matching cookie `name` set to exactly `value` (both taken literally). */
export function cookieRegex(name: string, value: string): string {
  return `^(.*?;\\s*)?${escape(name)}=${escape(value)}(;.*)?$`;
}

/** The cookie back from cookieRegex's output, or undefined for any other regex. */
export function cookieFromRegex(regex: string): { name: string; value: string } | undefined {
  const m = /^\^\(\.\*\?;\\s\*\)\?((?:\\.|[^=\\])+)=(.*)\(;\.\*\)\?\$$/.exec(regex);
  return m ? { name: unescape(m[1]), value: unescape(m[2]) } : undefined;
}

// What to probe, read from flags the same way by every command that probes: the URL (http or https)
// and request headers given as "Name: value", with --host as the Host header.
import { UsageError } from '../errors.js';
import { headerValue, httpToken } from '../validate.js';

export function probeUrl(raw: string, flag = 'URL'): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${flag} "${raw}" is not a URL; give one like http://10.0.0.5/ or https://shop.example.com/path`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`only http:// and https:// URLs can be probed, not ${url.protocol}`);
  return url;
}

export function probeHeaders(list: string[], host: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of list) {
    const i = h.indexOf(':');
    if (i <= 0) throw new UsageError(`header "${h}" must look like "Name: value"`);
    const name = httpToken(h.slice(0, i).trim(), 'HTTP header name').toLowerCase();
    headers[name] = headerValue(h.slice(i + 1).trim(), `value of header ${name}`);
  }
  if (host) headers['host'] = host;
  return headers;
}

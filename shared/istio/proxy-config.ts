// Istio's ProxyConfig (mesh config defaultConfig) as Istio's tools print it: read the way istiod reads
// YAML into the proto (snake_case or camelCase keys, Go durations), written the way jsonpb writes it
// (camelCase, zero values left out except in wrapper fields, durations as "<seconds>s", 64-bit
// wrapper values as strings). Covers the fields of istio.io/api mesh/v1alpha1/proxy.proto; fields it
// does not know pass through unchanged.
import yaml from 'js-yaml';

type Json = Record<string, unknown>;

/** google.protobuf.*Value fields: their zero value is kept (it is set, not absent). */
const WRAPPERS = new Set([
  'concurrency',
  'holdApplicationUntilProxyStarts',
  'statsCompression',
  'enableIstioTags',
  'fallback',
  'disabled',
  'enabled',
  'subject',
  'cert',
  'chain',
  'dns',
  'uri',
  'preserveHttp1HeaderCase',
  'listenerPerConnectionBufferLimitBytes',
  'clusterPerConnectionBufferLimitBytes',
  'httpMaxConcurrentStreams',
  'http2InitialStreamWindowSize',
  'http2InitialConnectionWindowSize',
  'httpMergeSlashes',
  'listenerConnectionLimit',
  'globalDownstreamConnectionLimit',
  'maxNumberOfAttributes',
  'maxNumberOfAnnotations',
  'maxNumberOfMessageEvents',
]);
/** Int64Value fields: jsonpb writes them as strings. */
const INT64 = new Set(['maxNumberOfAttributes', 'maxNumberOfAnnotations', 'maxNumberOfMessageEvents']);
const DURATIONS = new Set([
  'drainDuration',
  'discoveryRefreshDelay',
  'terminationDrainDuration',
  'fileFlushInterval',
  'pollDelay',
  'httpIdleTimeout',
  'httpMaxConnectionDuration',
  'httpDrainTimeout',
  'httpRequestTimeout',
  'httpRequestHeadersTimeout',
  'httpStreamIdleTimeout',
  'httpMaxStreamDuration',
]);
/** map<> fields: their keys are data, not field names. */
const MAPS = new Set(['proxyMetadata', 'runtimeValues', 'customTags']);
/** Enum fields and their zero value, which jsonpb leaves out. */
const ENUM_ZERO: Record<string, string> = { interceptionMode: 'REDIRECT', controlPlaneAuthPolicy: 'NONE', forwardClientCertDetails: 'UNDEFINED' };

const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** A Go duration ("1m30s", "1.5s", "10ms") or jsonpb's "<seconds>s", in nanoseconds; undefined when it is neither. */
export function goDurationNanos(text: string): bigint | undefined {
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(text);
  if (!m && text !== '0') return undefined;
  if (text === '0') return 0n;
  let total = 0;
  for (const part of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) total += Number(part[1]) * UNITS[part[2]];
  return BigInt(Math.round(total)) * (m?.[1] === '-' ? -1n : 1n);
}

/** A duration as jsonpb writes it: seconds with 0, 3, 6 or 9 fraction digits, then "s". */
export function protoDuration(nanos: bigint): string {
  const sign = nanos < 0n ? '-' : '';
  const abs = nanos < 0n ? -nanos : nanos;
  let text = `${abs / 1_000_000_000n}.${String(abs % 1_000_000_000n).padStart(9, '0')}`;
  text = text
    .replace(/000$/, '')
    .replace(/000$/, '')
    .replace(/\.000$/, '');
  return `${sign}${text}s`;
}

function normalizeValue(key: string, v: unknown, inMap: boolean): unknown {
  if (v === null || v === undefined) return undefined;
  if (inMap) return isObject(v) ? normalizeMessage(v) : v;
  if (DURATIONS.has(key) && (typeof v === 'string' || typeof v === 'number')) {
    const nanos = typeof v === 'number' ? BigInt(Math.round(v * 1e9)) : goDurationNanos(v);
    return nanos === undefined ? v : protoDuration(nanos);
  }
  if (MAPS.has(key) && isObject(v)) {
    const entries = Object.entries(v).map(([k, x]) => [k, normalizeValue(k, x, true)] as const);
    return entries.length ? Object.fromEntries(entries.filter(([, x]) => x !== undefined)) : undefined;
  }
  if (isObject(v)) return normalizeMessage(v);
  if (Array.isArray(v)) {
    const items = (v as unknown[]).map((x) => (isObject(x) ? normalizeMessage(x) : x));
    return items.length ? items : undefined;
  }
  if (WRAPPERS.has(key)) return INT64.has(key) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') ? String(v) : v;
  if (v === '' || v === 0 || v === false || ENUM_ZERO[key] === v) return undefined;
  return v;
}

function normalizeMessage(m: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(m)) {
    const key = camel(k);
    const value = normalizeValue(key, v, false);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** A ProxyConfig as jsonpb writes it (what istioctl puts under defaultConfig in a VM's mesh.yaml). */
export function proxyConfigJson(config: Json): Json {
  return normalizeMessage(config);
}

/**
 * ProxyConfig overrides (the proxy.istio.io/config annotation, YAML or JSON) applied the way jsonpb
 * unmarshals into an existing message: each field given replaces the one there, maps and nested
 * messages included.
 */
export function applyProxyConfig(base: Json, overrides: string): Json {
  const parsed = yaml.load(overrides);
  if (!isObject(parsed)) return base;
  const out: Json = {};
  for (const [k, v] of Object.entries(base)) out[camel(k)] = v;
  for (const [k, v] of Object.entries(parsed)) out[camel(k)] = v;
  return out;
}

export interface MeshConfig {
  defaultConfig: Json;
  trustDomain: string;
  raw: Json;
}

/** The mesh config (ConfigMap istio, key mesh) as istioctl reads it: no defaults filled in beyond an empty defaultConfig. */
export function parseMeshConfig(text: string): MeshConfig {
  const raw = yaml.load(text);
  const mesh = isObject(raw) ? raw : {};
  const dc = mesh['defaultConfig'] ?? mesh['default_config'];
  const trust = mesh['trustDomain'] ?? mesh['trust_domain'];
  return { defaultConfig: isObject(dc) ? { ...dc } : {}, trustDomain: typeof trust === 'string' ? trust : '', raw: mesh };
}

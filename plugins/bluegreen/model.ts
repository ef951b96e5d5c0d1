// The one model every provider maps to and from: an object (Ingress, HTTPRoute, VirtualService)
// routes host/path slots; each slot splits its traffic between Services in whole percentages and may
// have a preview rule (requests with a header or cookie go to one Service). Providers read their
// objects into slots and write desired slots back; the operations (set, switch, rollback, finalize,
// preview) are computed here, once, on slots. Pure.
import type { KubeObject } from '../../shared/kube/object.js';
import type { Change } from '../../shared/kube/plan.js';
import { cookieFromRegex as sharedCookieFromRegex, cookieRegex as sharedCookieRegex } from '../../shared/http/cookie.js';
import type { Service } from '../../shared/kube/types.js';

export const PROVIDERS = ['aliyun', 'nginx', 'alb', 'gateway', 'istio'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export interface ServicePort {
  number?: number | undefined;
  name?: string | undefined;
}

export interface BackendWeight {
  service: string;
  /** Whole percent of the slot's traffic. */
  percent: number;
  port?: ServicePort | undefined;
}

export interface PreviewMatch {
  header?: { name: string; value?: string | undefined; pattern?: string | undefined } | undefined;
  cookie?: string | undefined;
}

export interface PreviewRule extends PreviewMatch {
  service: string;
}

export interface Slot {
  host: string;
  path: string;
  backends: BackendWeight[];
  preview?: PreviewRule | undefined;
}

export interface IngressPath {
  path?: string;
  pathType?: string;
  backend?: { service?: { name?: string; port?: ServicePort } };
}
export interface IngressRule {
  host?: string;
  http?: { paths?: IngressPath[] };
}
export interface IngressLike extends KubeObject {
  spec?: { ingressClassName?: string; rules?: IngressRule[]; [k: string]: unknown };
}

/** What a planner sees: the object named, the other Ingresses of its namespace (companions), the Services. */
export interface Observed {
  namespace: string;
  target: KubeObject;
  ingresses: IngressLike[];
  services: Service[];
}

export interface ReadResult {
  slots: Slot[];
  /** Things a person should know (deprecated annotations, weights that could not be read). */
  warnings: string[];
  /** The backend the provider's objects mark as the new one (a canary Ingress's, an annotated one). */
  newService?: string | undefined;
}

export interface Provider {
  name: ProviderName;
  /** The preview matches this provider can write (none: preview is refused). */
  previews: readonly ('header' | 'cookie')[];
  /** Shown on every use: the controller's or annotation's end of life, and what to move to. */
  notice?: string;
  read(o: Observed): ReadResult;
  /** The changes that bring the object (and its companions) to `desired`; `state` is merged into our annotations. */
  write(o: Observed, desired: Slot[], state: Record<string, string | null>): Change[];
}

export const slotKey = (s: { host: string; path: string }): string => `${s.host}${s.path}`;

/**
 * Whole percentages summing to 100 from proportional weights (largest remainder, ties to the earlier
 * backend): 1:1:1 -> 34/33/33. All zero stays all zero (no traffic goes anywhere).
 */
export function toPercents(weights: number[]): number[] {
  const total = weights.reduce((a, w) => a + w, 0);
  if (total <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (w / total) * 100);
  const out = exact.map(Math.floor);
  let left = 100 - out.reduce((a, w) => a + w, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    out[i]++;
    left--;
  }
  return out;
}

/** A port of a Service for a new backend: the one with the old backend's number or name, else its only one. */
export function portFor(services: Service[], service: string, like: ServicePort | undefined): ServicePort | undefined {
  const ports = services.find((s) => s.metadata?.name === service)?.spec?.ports ?? [];
  const same = ports.find((p) => (like?.number !== undefined && p.port === like.number) || (like?.name !== undefined && p.name === like.name));
  const p = same ?? (ports.length === 1 ? ports[0] : undefined);
  if (!p) return like;
  return like?.name !== undefined && p.name ? { name: p.name } : { number: p.port };
}

/** Preview routes and rules we write carry this name (with the path): any other header route is someone else's and left alone. */
export const PREVIEW_NAME = 'bluegreen-preview';

export function previewName(path: string): string {
  return `${PREVIEW_NAME}${path
    .replace(/[^a-z0-9]+/gi, '-')
    .replace(/-$/, '')
    .toLowerCase()}`;
}

export function isOurPreview(name: unknown): boolean {
  return typeof name === 'string' && (name === PREVIEW_NAME || name.startsWith(`${PREVIEW_NAME}-`));
}

/** The preview cookie (set to "always", ingress-nginx's convention) as a Cookie header regex, for header-only routers. */
export function cookieRegex(name: string): string {
  return sharedCookieRegex(name, 'always');
}

/** The preview cookie's name back from cookieRegex's output, or undefined for any other regex. */
export function cookieFromRegex(regex: string): string | undefined {
  const c = sharedCookieFromRegex(regex);
  return c?.value === 'always' ? c.name : undefined;
}

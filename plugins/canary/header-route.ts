// Header and cookie routes under Istio (seed 002: requests with `end-user: jason` go to v2). Pure: the
// VirtualService, DestinationRules and Deployments behind the Service in, the rewritten objects out.
// A route is known by its match: adding it again changes nothing, adding it to another version moves
// it, and removing it also removes the subset it added when nothing else routes there any more.
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { CliError } from '../../shared/errors.js';
import { cookieRegex } from '../../shared/http/cookie.js';
import { isManagedBy, readState, stateAnnotations } from '../../shared/kube/ownership.js';
import { isServiceHost, ruleChange, subsetsFor, type ServiceRef } from './istio.js';
import type { DestinationRule, HttpRoute, Subset, VirtualService } from '../../shared/istio/types.js';
import type { Deployment } from '../../shared/kube/types.js';

/** On a DestinationRule: the subsets a route added (removed with the last route using them). */
export const ADDED_SUBSETS = 'added-subsets';

export type MatchKind = 'exact' | 'prefix' | 'regex';
export interface HeaderMatch {
  header: string;
  kind: MatchKind;
  value: string;
  /** For a cookie match: "name=value", as the user gave it (the regex is how Istio sees it). */
  cookie?: string;
}

/** A cookie is matched on the Cookie header: the pair at the start or after a "; ". */
export function cookieMatch(name: string, value: string): HeaderMatch {
  return { header: 'cookie', kind: 'regex', value: cookieRegex(name, value), cookie: `${name}=${value}` };
}

/** The Istio match for all the header conditions (one match block: every condition must hold). */
export function istioMatch(matches: HeaderMatch[]): Record<string, unknown>[] {
  const headers: Record<string, Record<string, string>> = {};
  for (const m of matches) headers[m.header] = { [m.kind]: m.value };
  return [{ headers }];
}

export function describeMatch(matches: HeaderMatch[]): string {
  const op: Record<MatchKind, string> = { exact: '=', prefix: '^=', regex: '~=' };
  return matches.map((m) => (m.cookie ? `cookie ${m.cookie}` : `${m.header}${op[m.kind]}${m.value}`)).join(',');
}

export interface RouteInput {
  svc: ServiceRef;
  /** The Deployments behind the Service (to make a subset for --to <deployment>). */
  behind: Deployment[];
  vs: VirtualService;
  /** Every VirtualService in the namespace (a subset still routed to by another one is kept). */
  virtualServices: VirtualService[];
  rules: DestinationRule[];
  matches: HeaderMatch[];
  /** A subset of the Service's DestinationRule, or a Deployment behind the Service; absent to remove. */
  to?: string | undefined;
}

export interface RuleWrite {
  action: 'create' | 'patch' | 'delete';
  object: DestinationRule;
  /** Our annotations to set (string) or remove (null) with a patch. */
  state?: Record<string, string | null>;
  /** Subsets added go in before the route refers to them; subsets pruned go after it stops. */
  order: 'before' | 'after';
}

export interface RoutePlan {
  action: 'added' | 'moved' | 'removed' | 'unchanged' | 'absent';
  subset?: string;
  /** The VirtualService's new http routes (resourceVersion kept), when they change. */
  virtualService?: VirtualService;
  rule?: RuleWrite;
}

const routeName = (match: unknown) => `kubectl-canary-${createHash('sha256').update(JSON.stringify(match)).digest('hex').slice(0, 10)}`;

function vsWith(vs: VirtualService, http: HttpRoute[]): VirtualService {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: vs.metadata?.name, namespace: vs.metadata?.namespace, resourceVersion: vs.metadata?.resourceVersion },
    spec: { http },
  };
}

function addedOf(rule: DestinationRule | undefined): string[] {
  try {
    const parsed: unknown = JSON.parse(rule ? (readState(rule)[ADDED_SUBSETS] ?? '[]') : '[]');
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** Subsets the routes to the Service refer to, across the namespace's VirtualServices (one replaced by `http`). */
function referenced(input: RouteInput, http: HttpRoute[]): Set<string> {
  const routes = input.virtualServices.flatMap((v) =>
    (v.metadata?.name === input.vs.metadata?.name ? http : (v.spec?.http ?? [])).flatMap((r) => (r.route ?? []).map((d) => ({ d, at: v.metadata?.namespace }))),
  );
  return new Set(routes.filter(({ d, at }) => isServiceHost(input.svc, d.destination?.host, at)).map(({ d }) => d.destination?.subset ?? ''));
}

/** The rule after pruning route-added subsets no route uses: patched, deleted when ours and empty, or untouched. */
function pruned(input: RouteInput, rule: DestinationRule | undefined, subsets: Subset[], added: string[], http: HttpRoute[]): RuleWrite | undefined {
  if (!rule) return undefined;
  const used = referenced(input, http);
  const drop = added.filter((s) => !used.has(s));
  const keep = subsets.filter((s) => !drop.includes(s.name));
  const stillAdded = added.filter((s) => !drop.includes(s));
  const before = rule.spec?.subsets ?? [];
  if (keep.length === before.length && isDeepStrictEqual(stillAdded, addedOf(rule))) return undefined;
  const meta = { name: rule.metadata?.name, namespace: input.svc.namespace, resourceVersion: rule.metadata?.resourceVersion };
  if (keep.length === 0 && isManagedBy(rule, 'canary'))
    return { action: 'delete', object: { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta }, order: 'after' };
  const state = stateAnnotations<string | null>({ [ADDED_SUBSETS]: stillAdded.length ? JSON.stringify(stillAdded) : null }).metadata.annotations;
  return {
    action: 'patch',
    object: { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta, spec: { subsets: keep } },
    state,
    order: 'after',
  };
}

export function planRoute(input: RouteInput): RoutePlan {
  const { svc, vs } = input;
  const serviceName = svc.service.metadata?.name ?? '';
  const http = vs.spec?.http ?? [];
  const match = istioMatch(input.matches);
  const at = http.findIndex((r) => isDeepStrictEqual(r.match, match));
  const ruleNow = input.rules.find((r) => isServiceHost(svc, r.spec?.host, r.metadata?.namespace));

  if (input.to === undefined) {
    if (at < 0) return { action: 'absent' };
    const next = http.filter((_, i) => i !== at);
    const rule = pruned(input, ruleNow, ruleNow?.spec?.subsets ?? [], addedOf(ruleNow), next);
    return { action: 'removed', virtualService: vsWith(vs, next), ...(rule ? { rule } : {}) };
  }

  // The subset: one the rule names, else one made for the Deployment of that name.
  let subset: string;
  let found: ReturnType<typeof subsetsFor> | undefined;
  if (ruleNow?.spec?.subsets?.some((s) => s.name === input.to)) {
    subset = input.to;
  } else {
    const d = input.behind.find((x) => x.metadata?.name === input.to);
    if (!d) {
      throw new CliError(
        `"${input.to}" is neither a subset of ${ruleNow ? `destinationrule/${ruleNow.metadata?.name}` : `a DestinationRule for service "${serviceName}"`} nor a Deployment behind service "${serviceName}"; name one of ${[...(ruleNow?.spec?.subsets ?? []).map((s) => `subset ${s.name}`), ...input.behind.map((x) => `deployment ${x.metadata?.name}`)].join(', ') || '(none)'}`,
      );
    }
    found = subsetsFor(svc, input.rules, [{ d, others: input.behind.filter((x) => x !== d) }]);
    subset = found.names[0]!;
  }

  // The destination as the routes already name the Service (same host form and port).
  const existing = http.flatMap((r) => r.route ?? []).find((d) => isServiceHost(svc, d.destination?.host, vs.metadata?.namespace));
  const port = existing?.destination?.port;
  const destination = { host: existing?.destination?.host ?? serviceName, subset, ...(port ? { port } : {}) };
  const route: HttpRoute = { name: at >= 0 ? (http[at].name ?? routeName(match)) : routeName(match), match, route: [{ destination }] };
  // First, so it wins over every other route (a header route after the catch-all would never match).
  const next = at >= 0 ? http.map((r, i) => (i === at ? { ...r, route: route.route } : r)) : [route, ...http];
  const action = at < 0 ? 'added' : isDeepStrictEqual(next, http) ? 'unchanged' : 'moved';

  let rule: RuleWrite | undefined;
  if (found?.added.length) {
    const create = ruleChange(svc, found)!;
    const state = stateAnnotations({ [ADDED_SUBSETS]: JSON.stringify([...addedOf(ruleNow), ...found.added]) }).metadata.annotations;
    rule = found.rule
      ? { action: 'patch', object: create, state, order: 'before' }
      : { action: 'create', object: { ...create, metadata: { ...create.metadata, annotations: state } }, order: 'before' };
  } else if (action === 'moved') {
    // The route left a subset it had added: prune it.
    rule = pruned(input, ruleNow, ruleNow?.spec?.subsets ?? [], addedOf(ruleNow), next);
  }
  return { action, subset, ...(action !== 'unchanged' ? { virtualService: vsWith(vs, next) } : {}), ...(rule ? { rule } : {}) };
}

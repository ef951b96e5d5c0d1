// Alibaba Cloud's Ingress weights (seed 001 chapter 2): both Services listed under the same host and
// path, the share of each in an annotation `ingress.aliyun.weight/<service>: "50"` (unannotated
// backends share the rest), or in the later `nginx.ingress.kubernetes.io/service-weight:
// "new: 20, old: 80"` (relative weights). Both are deprecated; every use says what to move to.
import { isDeepStrictEqual } from 'node:util';
import { CliError } from '../../../shared/errors.js';
import { stateAnnotations } from '../../../shared/kube/ownership.js';
import type { Change } from '../../../shared/kube/plan.js';
import { toPercents, slotKey, type IngressLike, type Observed, type Provider, type ReadResult, type Slot } from '../model.js';
import { pathGroups, rewriteRules } from '../ingress-rules.js';

export const ALIYUN_WEIGHT = 'ingress.aliyun.weight/';
export const SERVICE_WEIGHT = 'nginx.ingress.kubernetes.io/service-weight';

/** "new-nginx: 20, old-nginx: 80" (commas or new lines) -> weights; undefined when it does not parse. */
export function parseServiceWeight(value: string): Map<string, number> | undefined {
  const out = new Map<string, number>();
  for (const part of value
    .split(/[,\n]/)
    .map((x) => x.trim())
    .filter(Boolean)) {
    const m = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)\s*:\s*(\d+)$/.exec(part);
    if (!m) return undefined;
    out.set(m[1], Number(m[3]));
  }
  return out;
}

export function formatServiceWeight(weights: [string, number][]): string {
  return weights.map(([s, w]) => `${s}: ${w}`).join(', ');
}

function aliyunWeights(ing: IngressLike): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of Object.entries(ing.metadata?.annotations ?? {})) {
    if (k.startsWith(ALIYUN_WEIGHT) && /^\d+$/.test(v.trim())) out.set(k.slice(ALIYUN_WEIGHT.length), Number(v));
  }
  return out;
}

export const aliyunProvider: Provider = {
  name: 'aliyun',
  previews: [],
  notice:
    'the ingress.aliyun.weight/* and nginx.ingress.kubernetes.io/service-weight annotations are deprecated (ACK no longer maintains its Nginx Ingress controller); move to canary Ingresses (--provider nginx or alb) or Gateway API HTTPRoute weights (--provider gateway)',

  read(o: Observed): ReadResult {
    const ing = o.target as IngressLike;
    const warnings: string[] = [];
    const serviceWeight = ing.metadata?.annotations?.[SERVICE_WEIGHT];
    const relative = serviceWeight !== undefined ? parseServiceWeight(serviceWeight) : undefined;
    if (serviceWeight !== undefined && !relative)
      warnings.push(`${SERVICE_WEIGHT} "${serviceWeight}" does not parse (expected "svc: weight, svc: weight"); shares are read as equal`);
    const absolute = aliyunWeights(ing);
    const slots: Slot[] = pathGroups(ing).map((g) => {
      const n = g.entries.length;
      let percents: number[];
      if (n <= 1) percents = g.entries.map(() => 100);
      else if (relative) percents = toPercents(g.entries.map((e) => relative.get(e.service) ?? 0));
      else {
        const given = g.entries.map((e) => absolute.get(e.service));
        const sum = given.reduce<number>((a, w) => a + (w ?? 0), 0);
        if (sum > 100) warnings.push(`the ${ALIYUN_WEIGHT}* weights of ${slotKey(g)} add up to ${sum}, more than 100; read as proportions`);
        const free = given.filter((w) => w === undefined).length;
        const rest = Math.max(0, 100 - sum);
        // Unannotated backends share what the annotated ones leave; with none unannotated, proportions.
        percents = toPercents(given.map((w) => (w !== undefined ? w : free ? rest / free : 0)));
      }
      if (n > 1 && !relative && absolute.size === 0 && serviceWeight === undefined) {
        warnings.push(`${slotKey(g)} lists ${n} Services without weights; the controller splits it evenly`);
      }
      return { host: g.host, path: g.path, backends: g.entries.map((e, i) => ({ service: e.service, percent: percents[i], port: e.port })) };
    });
    const annotated = [...absolute.keys()];
    return { slots, warnings, newService: !relative && annotated.length === 1 ? annotated[0] : undefined };
  },

  write(o: Observed, desired: Slot[], state: Record<string, string | null>): Change[] {
    const ing = o.target as IngressLike;
    const useServiceWeight = ing.metadata?.annotations?.[SERVICE_WEIGHT] !== undefined;
    const rules = rewriteRules(ing, new Map(desired.map((s) => [slotKey(s), s.backends])));
    // An annotation weighs a Service everywhere in the Ingress: two slots cannot give it two shares.
    const weights = new Map<string, number>();
    for (const s of desired.filter((x) => x.backends.length > 1)) {
      for (const [i, b] of s.backends.entries()) {
        if (!useServiceWeight && i === 0) continue; // the first backend takes what the others leave
        const had = weights.get(b.service);
        if (had !== undefined && had !== b.percent) {
          throw new CliError(
            `service "${b.service}" would need ${had}% in one path and ${b.percent}% in another, but its weight annotation applies to the whole Ingress; use --host/--path on an Ingress per host`,
          );
        }
        weights.set(b.service, b.percent);
      }
    }
    const annotations: Record<string, string | null> = {};
    const current = ing.metadata?.annotations ?? {};
    if (useServiceWeight) {
      const value = weights.size ? formatServiceWeight([...weights]) : null;
      if (value !== current[SERVICE_WEIGHT] && !(value === null && current[SERVICE_WEIGHT] === undefined)) annotations[SERVICE_WEIGHT] = value;
    } else {
      for (const k of Object.keys(current)) if (k.startsWith(ALIYUN_WEIGHT) && !weights.has(k.slice(ALIYUN_WEIGHT.length))) annotations[k] = null;
      for (const [s, w] of weights) if (current[`${ALIYUN_WEIGHT}${s}`] !== String(w)) annotations[`${ALIYUN_WEIGHT}${s}`] = String(w);
    }
    Object.assign(annotations, stateAnnotations(state).metadata.annotations);
    const rulesChanged = !isDeepStrictEqual(rules, ing.spec?.rules ?? []);
    if (!rulesChanged && Object.keys(annotations).length === 0) return [];
    const ref = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: ing.metadata?.name ?? '', namespace: o.namespace };
    const patch: Record<string, unknown> = {
      metadata: { resourceVersion: ing.metadata?.resourceVersion, annotations },
      ...(rulesChanged ? { spec: { rules } } : {}),
    };
    return [{ action: 'patch', ref, patch, verb: 'configured' }];
  },
};

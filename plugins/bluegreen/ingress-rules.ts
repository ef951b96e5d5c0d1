// Ingress rules as slots: the paths of a rule with the same host and path form one slot, each path
// entry one backend (the seed's form: two Services listed under the same path). Pure.
import type { IngressLike, IngressPath, IngressRule, ServicePort } from './model.js';

export interface PathGroup {
  host: string;
  path: string;
  pathType: string;
  entries: { service: string; port?: ServicePort | undefined }[];
}

export const hostOf = (host: string | undefined): string => host ?? '*';

export function pathGroups(ing: IngressLike): PathGroup[] {
  const groups: PathGroup[] = [];
  for (const rule of ing.spec?.rules ?? []) {
    for (const p of rule.http?.paths ?? []) {
      const host = hostOf(rule.host);
      const path = p.path ?? '/';
      let g = groups.find((x) => x.host === host && x.path === path);
      if (!g) groups.push((g = { host, path, pathType: p.pathType ?? 'Prefix', entries: [] }));
      const service = p.backend?.service?.name;
      if (service) g.entries.push({ service, port: p.backend?.service?.port });
    }
  }
  return groups;
}

export function ingressPath(path: string, pathType: string, service: string, port: ServicePort | undefined): IngressPath {
  return { path, pathType, backend: { service: { name: service, ...(port ? { port } : {}) } } };
}

/**
 * The Ingress's rules with the given slots' path entries replaced by one entry per Service (in order,
 * where the slot's first entry stood); other paths and rules as they were.
 */
export function rewriteRules(ing: IngressLike, bySlot: Map<string, { service: string; port?: ServicePort | undefined }[]>): IngressRule[] {
  return (ing.spec?.rules ?? []).map((rule) => {
    if (!rule.http?.paths) return rule;
    const done = new Set<string>();
    const paths: IngressPath[] = [];
    for (const p of rule.http.paths) {
      const key = `${hostOf(rule.host)}${p.path ?? '/'}`;
      const wanted = bySlot.get(key);
      if (!wanted) {
        paths.push(p);
        continue;
      }
      if (done.has(key)) continue;
      done.add(key);
      for (const b of wanted) paths.push(ingressPath(p.path ?? '/', p.pathType ?? 'Prefix', b.service, b.port));
    }
    return { ...rule, http: { ...rule.http, paths } };
  });
}

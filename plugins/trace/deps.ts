// The service dependency graph (who calls whom, how often, how many failed) as a tree for the
// terminal, and as Graphviz dot or Mermaid for pictures. Pure.
import type { Painter } from '../../shared/output/color.js';
import type { DependencyLink } from './model.js';
import { counted } from '../../shared/output/plural.js';

export interface DependencyGraph {
  services: string[];
  links: DependencyLink[];
}

export function graphOf(links: DependencyLink[]): DependencyGraph {
  // Merge duplicates (a backend may split a pair across time buckets); order for stable output.
  const merged = new Map<string, DependencyLink>();
  for (const l of links) {
    const key = `${l.parent}\u0000${l.child}`;
    const m = merged.get(key);
    if (!m) merged.set(key, { ...l });
    else {
      m.calls += l.calls;
      if (l.errors !== undefined) m.errors = (m.errors ?? 0) + l.errors;
    }
  }
  const sorted = [...merged.values()].sort((a, b) => (a.parent < b.parent ? -1 : a.parent > b.parent ? 1 : a.child < b.child ? -1 : a.child > b.child ? 1 : 0));
  const services = [...new Set(sorted.flatMap((l) => [l.parent, l.child]))].sort();
  return { services, links: sorted };
}

function counts(l: DependencyLink): string {
  const calls = counted(l.calls, 'call');
  if (l.errors === undefined) return calls;
  return `${calls}, ${counted(l.errors, 'error')}`;
}

/** Services nobody calls are the roots; in a cycle with no such service, the first by name starts it. */
export function renderDependencyTree(g: DependencyGraph, paint: Painter): string {
  if (g.links.length === 0) return '';
  const out = new Map<string, DependencyLink[]>();
  const called = new Set<string>();
  for (const l of g.links) {
    if (!out.has(l.parent)) out.set(l.parent, []);
    out.get(l.parent)!.push(l);
    if (l.parent !== l.child) called.add(l.child);
  }
  const roots = g.services.filter((s) => !called.has(s));
  const lines: string[] = [];
  const expanded = new Set<string>();
  const walk = (service: string, prefix: string, path: Set<string>) => {
    expanded.add(service);
    const edges = out.get(service) ?? [];
    edges.forEach((l, i) => {
      const last = i === edges.length - 1;
      const again =
        l.child === service
          ? ' (calls itself)'
          : path.has(l.child)
            ? ' (calls back up the tree)'
            : expanded.has(l.child) && (out.get(l.child)?.length ?? 0) > 0
              ? ' (its calls are shown above)'
              : '';
      const c = l.errors ? paint('red', counts(l)) : paint('gray', counts(l));
      lines.push(`${prefix}${last ? '└─ ' : '├─ '}${l.child}  ${c}${again}`);
      if (!again) walk(l.child, `${prefix}${last ? '   ' : '│  '}`, new Set([...path, l.child]));
    });
  };
  const starts = roots.length ? roots : [g.services[0]];
  for (const r of starts) {
    if (expanded.has(r)) continue;
    lines.push(paint('bold', r));
    walk(r, '', new Set([r]));
  }
  // Services only reachable through a cycle that no root leads into.
  for (const s of g.services) {
    if (expanded.has(s) || !out.has(s)) continue;
    lines.push(paint('bold', s));
    walk(s, '', new Set([s]));
  }
  return lines.join('\n') + '\n';
}

const dotId = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function renderDot(g: DependencyGraph): string {
  const lines = ['digraph services {', '  rankdir=LR;', '  node [shape=box, style=rounded];'];
  for (const s of g.services) lines.push(`  ${dotId(s)};`);
  for (const l of g.links) {
    const attrs = [`label=${dotId(counts(l))}`, ...(l.errors ? ['color=red', 'fontcolor=red'] : [])];
    lines.push(`  ${dotId(l.parent)} -> ${dotId(l.child)} [${attrs.join(', ')}];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

export function renderMermaid(g: DependencyGraph): string {
  const id = new Map(g.services.map((s, i) => [s, `s${i}`]));
  // Mermaid labels are quoted; a double quote inside one is written as #quot;.
  const q = (s: string) => `"${s.replace(/"/g, '#quot;')}"`;
  const lines = ['flowchart LR'];
  for (const s of g.services) lines.push(`  ${id.get(s)}[${q(s)}]`);
  g.links.forEach((l) => lines.push(`  ${id.get(l.parent)} -->|${q(counts(l))}| ${id.get(l.child)}`));
  const failing = g.links.map((l, i) => (l.errors ? i : -1)).filter((i) => i >= 0);
  if (failing.length) lines.push(`  linkStyle ${failing.join(',')} stroke:red,color:red`);
  return lines.join('\n') + '\n';
}

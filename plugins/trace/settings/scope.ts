// The scope flags of the commands that write a Telemetry (sampling, disable, enable without a provider):
// -n NAMESPACE (kubectl's; the context's namespace by default), --selector k=v[,k=v] for some workloads
// of it, or --mesh-wide for the root namespace.
import type { Argv } from 'yargs';
import { bool, str, type Args } from '../../../shared/cli/command.js';
import { UsageError } from '../../../shared/errors.js';
import { dnsSubdomain, keyValue } from '../../../shared/validate.js';
import type { Scope } from './plan-telemetry.js';

export interface ScopeArgs {
  meshWide: boolean;
  selector?: Record<string, string> | undefined;
  /** -n as given; without it the context's namespace applies. */
  namespace?: string | undefined;
  revision?: string | undefined;
  name?: string | undefined;
}

export function scopeFlags(y: Argv): Argv {
  return y
    .option('selector', { alias: 'l', type: 'string', describe: 'Only the workloads with these pod labels, k=v[,k=v] (in the namespace of -n)' })
    .option('mesh-wide', { type: 'boolean', default: false, describe: "The whole mesh: a Telemetry in the mesh config's root namespace" })
    .option('revision', { type: 'string', describe: 'Only for this control-plane revision (the Telemetry is labelled istio.io/rev; default: every revision)' })
    .option('name', {
      type: 'string',
      describe: 'Name of the Telemetry to create when the scope has none (default: kubectl-trace, or one derived from --selector)',
    });
}

/** "app=reviews,version=v2" -> labels; label keys and values as Kubernetes allows them. */
export function parseSelector(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value.split(',')) {
    if (part.trim() === '') continue;
    if (/[!()]|!=|\sin\s|\snotin\s/.test(part)) throw new UsageError(`--selector "${value}": a Telemetry selects by equality only (k=v[,k=v])`);
    const [k, v] = keyValue(part.trim().replace(/==/, '='), '--selector');
    if (!/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(k)) throw new UsageError(`--selector: "${k}" is not a label key`);
    if (v !== '' && !/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(v)) throw new UsageError(`--selector: "${v}" is not a label value`);
    out[k] = v;
  }
  if (Object.keys(out).length === 0) throw new UsageError('--selector needs at least one k=v');
  return out;
}

export function readScope(args: Args): ScopeArgs {
  const meshWide = bool(args, 'mesh-wide');
  const selector = str(args, 'selector');
  const namespace = str(args, 'namespace');
  if (meshWide && (selector || namespace)) throw new UsageError('--mesh-wide applies to every namespace: it cannot be combined with -n or --selector');
  const revision = str(args, 'revision');
  const name = str(args, 'name');
  if (name !== undefined) dnsSubdomain(name, '--name');
  if (revision !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(revision)) throw new UsageError(`--revision "${revision}" is not a revision name`);
  return { meshWide, selector: selector ? parseSelector(selector) : undefined, namespace, revision, name };
}

export function toScope(a: ScopeArgs, contextNamespace: string): Scope {
  if (a.meshWide) return { level: 'mesh' };
  const namespace = a.namespace ?? contextNamespace;
  return a.selector ? { level: 'workload', namespace, selector: a.selector } : { level: 'namespace', namespace };
}

// How a command that writes prints its result, the same way in every plugin. Without -o: kubectl's
// one line per object and the command's summary line, for people. With -o json|yaml: one document of
// ours (apiVersion <plugin>.traffic.kubectl-plugins.io/v1alpha1, a kind naming the change) with what
// changed, before and after; with -o name: the objects written, kubectl's kind.group/name, one a line.
// With -o the lines for people go to stderr, so stdout holds nothing but the document. --dry-run
// prints the same document, with dryRun set. docs/output.md ("Commands that write") lists every kind.
import type { Argv } from 'yargs';
import type { Args } from '../cli/command.js';
import { outputFlag, readOutput } from '../cli/flags.js';
import type { CommandContext } from '../context.js';
import type { DryRun, KubeObject } from '../kube/object.js';
import type { ApplyResult } from '../kube/plan.js';
import { changeName } from '../kube/plan.js';
import { objectList, outputDocument } from './api.js';
import type { FormatName } from './format.js';
import { objectName } from './names.js';

/** The -o values every writing command takes ('table': no -o, the lines for people). */
export const CHANGE_FORMATS = ['table', 'json', 'yaml', 'name'] as const satisfies readonly FormatName[];
export type ChangeFormat = (typeof CHANGE_FORMATS)[number];

/** -o json|yaml|name on a writing command. */
export function changeOutputFlag(y: Argv): Argv {
  return outputFlag(y, CHANGE_FORMATS);
}

/** -o as given; anything but json, yaml or name is a usage error before any request. */
export function readChangeOutput(args: Args): ChangeFormat {
  return readOutput(args, CHANGE_FORMATS) as ChangeFormat;
}

/** One object the command wrote, would write (dry run), or found as asked ('unchanged'). */
export interface ObjectChange {
  /** kubectl's kind.group/name: deployment.apps/new-nginx, node/node-a1. */
  name: string;
  /** The verb of kubectl's line: created, configured, scaled, patched, labeled, deleted, unchanged... */
  action: string;
  /** The kubeconfig context of the cluster it is in, when the command writes to two (meshremote). */
  context?: string;
}

/** The fields every change document ends with. */
export interface ChangeFields {
  dryRun: DryRun;
  /** Whether anything was (or, in a dry run, would be) written. */
  changed: boolean;
  objects: ObjectChange[];
}

/** A change, as the command hands it to the printer. */
export interface ChangeResult<F extends object> {
  kind: string;
  /** The command's own fields (what it changed, before and after), printed before the common ones. */
  fields: F;
  dryRun: DryRun;
  objects: ObjectChange[];
  /** Without -o: the summary line(s) for people (the per-object lines were printed as the work went). */
  lines?: string[];
}

export type ChangeDocument<F extends object> = { apiVersion: string; kind: string } & F & ChangeFields;

/** The document -o json|yaml prints. */
export function changeDocument<F extends object>(plugin: string, r: ChangeResult<F>): ChangeDocument<F> {
  const changed = r.objects.some((o) => o.action !== 'unchanged' && o.action !== 'already gone');
  return outputDocument(plugin, r.kind, { ...r.fields, dryRun: r.dryRun, changed, objects: r.objects });
}

/**
 * The context for a writing command's work. Without -o it is ctx. With -o, what the work writes to
 * stdout (kubectl's lines, a client dry run's YAML stream) goes to stderr, so stdout stays parseable.
 */
export function workContext(ctx: CommandContext, format: ChangeFormat): CommandContext {
  return format === 'table' ? ctx : { ...ctx, stdout: ctx.stderr };
}

/** The objects of applyPlan's (or executePlan's) results, with the verb of each line. */
export function appliedObjects(results: readonly ApplyResult[], context?: string): ObjectChange[] {
  return results.map((r) => ({ name: changeName(r.change), action: r.verb, ...(context === undefined ? {} : { context }) }));
}

/** An object by its kind, apiVersion and name, with what happened to it. */
export function objectChange(o: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>, action: string): ObjectChange {
  return { name: objectName(o.apiVersion ?? '', o.kind ?? '', o.metadata?.name ?? ''), action };
}

/** Print a change on the real stdout of ctx (not a workContext's): its document, its names, or its lines. */
export async function printChange<F extends object>(ctx: CommandContext, format: ChangeFormat, r: ChangeResult<F>): Promise<void> {
  if (format === 'table') {
    for (const line of r.lines ?? []) ctx.stdout.write(`${line}\n`);
    return;
  }
  if (format === 'name') {
    ctx.stdout.write(r.objects.map((o) => `${o.name}\n`).join(''));
    return;
  }
  await printDocument(ctx, format, changeDocument(ctx.plugin, r));
}

/**
 * Kubernetes objects a command wrote (or would write), as one ObjectList (kubectl apply -f takes it),
 * or their names. Without -o, nothing: the command printed its lines.
 */
export async function printObjects(ctx: CommandContext, format: ChangeFormat, objects: readonly KubeObject[]): Promise<void> {
  if (format === 'table') return;
  if (format === 'name') {
    ctx.stdout.write(objects.map((o) => `${objectChange(o, '').name}\n`).join(''));
    return;
  }
  await printDocument(ctx, format, objectList(ctx.plugin, objects));
}

async function printDocument(ctx: CommandContext, format: 'json' | 'yaml', doc: unknown): Promise<void> {
  const { renderJson, renderYaml } = await import('./printers.js');
  ctx.stdout.write(format === 'json' ? renderJson(doc) : renderYaml(doc));
}

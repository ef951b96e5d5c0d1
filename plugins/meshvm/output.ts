// Printing objects as kubectl does after a write: -o name one kind.group/name a line, -o json|yaml the
// object itself, or a v1 List when there are several.
import type { CommandContext } from '../../shared/context.js';
import type { KubeObject } from '../../shared/kube/client.js';
import type { OutputFormat } from '../../shared/output/format.js';
import { objectName } from '../../shared/output/names.js';
import { print } from '../../shared/output/print.js';

export async function printObjects(ctx: CommandContext, format: OutputFormat, objects: KubeObject[]): Promise<void> {
  const data = objects.length === 1 ? objects[0] : { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: objects };
  await print(ctx, format, {
    data,
    rows: [],
    columns: [],
    names: objects.map((x) => objectName(x.apiVersion ?? '', x.kind ?? '', x.metadata?.name ?? '')),
  });
}

/** Our own documents (-o json|yaml of read commands): a group of ours, never core v1. */
export const API_VERSION = 'traffic.kubectl-plugins.io/v1alpha1';

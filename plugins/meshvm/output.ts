// Printing the objects a command wrote: -o name one kind.group/name a line, -o json|yaml our ObjectList
// with the objects in items (kubectl apply -f still takes it).
import type { CommandContext } from '../../shared/context.js';
import type { KubeObject } from '../../shared/kube/client.js';
import type { OutputFormat } from '../../shared/output/format.js';
import { objectName } from '../../shared/output/names.js';
import { print } from '../../shared/output/print.js';
import { objectList, outputApiVersion } from '../../shared/output/api.js';

export async function printObjects(ctx: CommandContext, format: OutputFormat, objects: KubeObject[]): Promise<void> {
  await print(ctx, format, {
    data: objectList('meshvm', objects),
    rows: [],
    columns: [],
    names: objects.map((x) => objectName(x.apiVersion ?? '', x.kind ?? '', x.metadata?.name ?? '')),
  });
}

/** Our own documents (-o json|yaml of read commands): a group of ours, never core v1. */
export const API_VERSION = outputApiVersion('meshvm');

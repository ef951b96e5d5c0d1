// Printing objects that hold credentials: the whole object only when -o asks for it; otherwise the
// token in a remote secret's kubeconfig shows as REDACTED.
import type { CommandContext } from '../../shared/context.js';
import type { KubeObject } from '../../shared/kube/client.js';
import type { OutputFormat } from '../../shared/output/format.js';
import { objectList } from '../../shared/output/api.js';
import { objectName } from '../../shared/output/names.js';
import { PLUGIN } from './names.js';

const TOKEN_LINE = /^(\s*token:\s*).+$/gm;

/** A remote secret as a readable manifest (stringData, as istioctl prints it) with its tokens redacted. */
export function redactedSecret(secret: KubeObject): KubeObject {
  const data = (secret['data'] ?? {}) as Record<string, string>;
  const stringData = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8').replace(TOKEN_LINE, '$1REDACTED')]));
  const { data: _omitted, ...rest } = secret;
  void _omitted;
  return { ...rest, stringData };
}

/** One object as -o name prints it, or as -o json|yaml do: in our ObjectList (kubectl apply -f takes it). */
export async function printObject(ctx: CommandContext, format: OutputFormat, obj: KubeObject): Promise<void> {
  const { render } = await import('../../shared/output/printers.js');
  const names = [objectName(obj.apiVersion ?? '', obj.kind ?? '', obj.metadata?.name ?? '')];
  ctx.stdout.write(render(format, { data: objectList(PLUGIN, [obj]), rows: [], columns: [], names }));
}

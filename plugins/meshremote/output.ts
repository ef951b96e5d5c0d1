// Printing objects that hold credentials: the whole object only when -o asks for it; otherwise the
// token in a remote secret's kubeconfig shows as REDACTED.
import type { KubeObject } from '../../shared/kube/object.js';

const TOKEN_LINE = /^(\s*token:\s*).+$/gm;

/** A remote secret as a readable manifest (stringData, as istioctl prints it) with its tokens redacted. */
export function redactedSecret(secret: KubeObject): KubeObject {
  const data = (secret['data'] ?? {}) as Record<string, string>;
  const stringData = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8').replace(TOKEN_LINE, '$1REDACTED')]));
  const { data: _omitted, ...rest } = secret;
  void _omitted;
  return { ...rest, stringData };
}

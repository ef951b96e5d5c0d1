// kubectl's resource/name form, shared by -o name and the one-line change messages.

/** kind.group/name, kind lower-cased, as kubectl prints it (deployment.apps/x, service/y). */
export function objectName(apiVersion: string, kind: string, name: string): string {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  return `${kind.toLowerCase()}${group ? `.${group}` : ''}/${name}`;
}

// The documents -o json|yaml prints are ours, never core v1: apiVersion
// <plugin>.traffic.kubectl-plugins.io/v1alpha1 and a kind naming what the document holds. Lists carry
// `items` and a kind ending in List. docs/output.md describes every shape.

export const OUTPUT_GROUP = 'traffic.kubectl-plugins.io';
export const OUTPUT_VERSION = 'v1alpha1';

/** The apiVersion of a plugin's documents ("canary" -> canary.traffic.kubectl-plugins.io/v1alpha1). */
export function outputApiVersion(plugin: string): string {
  return `${plugin}.${OUTPUT_GROUP}/${OUTPUT_VERSION}`;
}

/** A document of ours: apiVersion and kind first, then the fields. */
export function outputDocument<T extends object>(plugin: string, kind: string, fields: T): { apiVersion: string; kind: string } & T {
  return { apiVersion: outputApiVersion(plugin), kind, ...fields };
}

/**
 * Kubernetes objects a command wrote (or would write), as one document: kind ObjectList with the
 * objects in `items`. kubectl reads any document with `items` as a list, so `kubectl apply -f` still
 * takes it.
 */
export function objectList(plugin: string, items: readonly object[]): { apiVersion: string; kind: 'ObjectList'; items: readonly object[] } {
  return { apiVersion: outputApiVersion(plugin), kind: 'ObjectList', items };
}

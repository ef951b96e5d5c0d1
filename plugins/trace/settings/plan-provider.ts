// Planning `enable --provider`: a tracing extension provider in a revision's mesh config (ConfigMap
// istio[-<rev>], key mesh), made the default tracing provider when asked. Every other field of the
// mesh config is kept as read; the write is conditional on the version read. Pure.
import { CliError, ValidationError } from '../../../shared/errors.js';
import type { Change } from '../../../shared/kube/plan.js';
import {
  MESH_CONFIG_KEY,
  dumpMeshConfig,
  findProvider,
  tracingKind,
  validateExtensionProviders,
  validateProviderService,
  type ExtensionProvider,
  type MeshConfig,
} from '../../../shared/istio/mesh-config.js';
import type { ControlPlane } from './observe.js';

export const PROVIDER_TYPES = ['zipkin', 'opentelemetry'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

export interface ProviderSpec {
  type: ProviderType;
  name: string;
  service: string;
  port: number;
  /** zipkin: collector path (Istio's default /api/v2/spans). opentelemetry: OTLP/HTTP path (without it, gRPC). */
  path?: string | undefined;
  makeDefault: boolean;
}

export interface ProviderPlan {
  changes: Change[];
  warnings: string[];
  /** The mesh config as it will be. */
  mesh: MeshConfig;
  action: 'created' | 'updated' | 'unchanged';
}

function providerBody(p: ProviderSpec, prior: Record<string, unknown> | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = { ...(prior ?? {}), service: p.service, port: p.port };
  if (p.type === 'zipkin') {
    if (p.path !== undefined) body['path'] = p.path;
  } else if (p.path !== undefined) {
    // OTLP over HTTP: the path goes in `http`; a grpc block would contradict it.
    delete body['grpc'];
    body['http'] = { ...(prior?.['http'] ?? {}), path: p.path };
  }
  return body;
}

export function planProvider(plane: ControlPlane, p: ProviderSpec): ProviderPlan {
  const bad = validateProviderService(p.service);
  if (bad) throw new ValidationError(`--service: ${bad}`);
  const where = `ConfigMap ${plane.configMap.namespace}/${plane.configMap.name}`;
  const mesh: MeshConfig = structuredClone(plane.mesh);
  const list: ExtensionProvider[] = mesh.extensionProviders ?? [];
  const existing = findProvider(mesh, p.name);
  const warnings: string[] = [];
  let action: ProviderPlan['action'] = 'created';
  if (existing) {
    const kind = tracingKind(existing);
    const otherKeys = Object.keys(existing).filter((k) => k !== 'name');
    if (kind !== p.type || otherKeys.length !== 1) {
      throw new CliError(
        `${where} already has an extension provider named "${existing.name}" of another type (${kind ?? otherKeys.join(', ')}); choose another --name`,
      );
    }
    const i = list.indexOf(existing);
    list[i] = { name: existing.name, [p.type]: providerBody(p, existing[p.type]) };
    action = 'updated';
  } else {
    list.push({ name: p.name, [p.type]: providerBody(p, undefined) });
  }
  mesh.extensionProviders = list;
  if (p.makeDefault) {
    const current = mesh.defaultProviders?.tracing ?? [];
    const rest = current.filter((n) => n.toLowerCase() !== p.name.toLowerCase());
    mesh.defaultProviders = { ...(mesh.defaultProviders ?? {}), tracing: [existing?.name ?? p.name, ...rest] };
    if (rest.length) warnings.push(`defaultProviders.tracing keeps ${rest.join(', ')} after ${p.name}; istiod uses only the first`);
  }
  const errors = validateExtensionProviders(mesh.extensionProviders);
  if (errors.length) throw new ValidationError(`${where}: ${errors.join('; ')}`);
  const before = JSON.stringify(plane.mesh);
  if (JSON.stringify(mesh) === before) return { changes: [], warnings, mesh, action: 'unchanged' };
  const text = plane.configMap.data[MESH_CONFIG_KEY] ?? '';
  if (/^\s*#/m.test(text)) warnings.push(`${where}: the comments in its mesh config are not kept (the YAML is rewritten; every setting is)`);
  return {
    mesh,
    warnings,
    action,
    changes: [
      {
        action: 'patch',
        ref: { apiVersion: 'v1', kind: 'ConfigMap', name: plane.configMap.name, namespace: plane.configMap.namespace },
        patch: { metadata: { resourceVersion: plane.configMap.resourceVersion }, data: { [MESH_CONFIG_KEY]: dumpMeshConfig(mesh) } },
        verb: 'configured',
      },
    ],
  };
}

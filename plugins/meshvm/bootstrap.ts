// The VM bundle from the cluster: what `istioctl x workload entry configure` reads (the WorkloadGroup,
// the mesh config, the cluster ID from the injector's values, the root certificate, the east-west
// gateway's address) and a token for the group's service account, rendered by bootstrap-files.ts and
// written with the token readable by its owner only.
import { lookup } from 'node:dns/promises';
import { chmodSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError } from '../../shared/errors.js';
import type { Kube } from '../../shared/kube/client.js';
import type { DryRun } from '../../shared/kube/object.js';
import { EASTWEST_SERVICE, externalAddress } from '../../shared/istio/eastwest.js';
import { NETWORKING_V1, type WorkloadGroup } from '../../shared/istio/workload.js';
import { BOOTSTRAP_FILES, FILE_MODES, renderBootstrap, type BootstrapFileName, type RenderedBootstrap } from './bootstrap-files.js';
import { findObject, readAll, requireIstiod, requireNamespace } from './cluster.js';
import { tarGz } from './tar.js';
import { decodeToken, requestToken } from './token.js';
import type { ConfigMap, Service } from '../../shared/kube/types.js';

export interface BootstrapRequest {
  group: string;
  namespace: string;
  istioNamespace: string;
  revision?: string | undefined;
  ingressIP?: string | undefined;
  /** <service>[.<namespace>] of the east-west gateway (default istio-eastwestgateway in the Istio namespace). */
  ingressService?: string | undefined;
  tokenSeconds: number;
  autoregister: boolean;
  captureDNS: boolean;
  clusterID?: string | undefined;
  vmIP?: string | undefined;
  vmExternalIP?: string | undefined;
  dryRun: DryRun;
}

export interface PreparedBootstrap {
  rendered: RenderedBootstrap;
  tokenExpires: string;
  warnings: string[];
  /** Seconds since the epoch the token was issued (the archive's time stamp). */
  issuedAt: number;
}

const revisioned = (rev: string | undefined) => Boolean(rev) && rev !== 'default';

/** Resolve a load balancer's host name to addresses (IPv4 first), as the VM would have to. */
export type Resolver = (hostname: string) => Promise<string[]>;
export const systemResolver: Resolver = async (hostname) => {
  const found = await lookup(hostname, { all: true, verbatim: false });
  return [...new Set(found.map((a) => a.address))];
};

async function ingressAddresses(kube: Kube, r: BootstrapRequest, resolve: Resolver, warnings: string[]): Promise<string[]> {
  if (r.ingressIP) return [r.ingressIP];
  const [name, ns] = (r.ingressService ?? EASTWEST_SERVICE).split('.');
  const namespace = ns ?? r.istioNamespace;
  const svc = await kube.find<Service>({ apiVersion: 'v1', kind: 'Service', name, namespace });
  if (!svc)
    throw new CliError(
      `no east-west gateway: service ${name} not found in namespace ${namespace}; install one and expose istiod (kubectl meshvm expose-istiod), name yours with --ingress-service <svc>.<namespace>, or give the address VMs reach istiod at with --ingress-ip`,
    );
  const at = externalAddress(svc);
  if (!at)
    throw new CliError(
      `service ${name} in namespace ${namespace} has no external address yet (is its load balancer pending?); wait for it, or pass --ingress-ip`,
    );
  if (at.ip) return [at.ip];
  let addresses: string[];
  try {
    addresses = await resolve(at.hostname ?? '');
  } catch (err) {
    throw new CliError(
      `the load balancer of service ${name} is the host name ${at.hostname}, which does not resolve here (${(err as Error).message}); pass --ingress-ip`,
    );
  }
  if (addresses.length === 0) throw new CliError(`the load balancer host name ${at.hostname} resolves to no address; pass --ingress-ip`);
  warnings.push(
    `the east-west gateway's load balancer is the host name ${at.hostname}; the hosts file needs addresses, so it has what that name resolves to now (${addresses.join(', ')}). Load balancer addresses can change: run bootstrap (or setup) again when they do (istio#31624)`,
  );
  return addresses;
}

/** The cluster ID istioctl reads: values.global.multiCluster.clusterName of the istio-sidecar-injector ConfigMap. */
function clusterIDFrom(cm: ConfigMap | undefined, name: string, namespace: string): string {
  if (!cm)
    throw new CliError(
      `cannot tell the cluster ID: ConfigMap ${name} not found in namespace ${namespace}; pass --cluster-id (the cluster name istiod was installed with)`,
    );
  try {
    const values = JSON.parse(cm.data?.['values'] ?? '{}') as { global?: { multiCluster?: { clusterName?: unknown } } };
    const id = values.global?.multiCluster?.clusterName;
    return typeof id === 'string' ? id : '';
  } catch {
    throw new CliError(`cannot tell the cluster ID: ConfigMap ${name} in namespace ${namespace} has no readable values; pass --cluster-id`);
  }
}

export async function prepareBootstrap(kube: Kube, r: BootstrapRequest, resolve: Resolver = systemResolver): Promise<PreparedBootstrap> {
  const warnings: string[] = [];
  const meshCM = revisioned(r.revision) ? `istio-${r.revision}` : 'istio';
  const injectorCM = revisioned(r.revision) ? `istio-sidecar-injector-${r.revision}` : 'istio-sidecar-injector';
  const cm = (name: string, namespace: string) => kube.find<ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', name, namespace });
  const [, group, rootCert, mesh, injector, addresses] = await readAll([
    requireNamespace(kube, r.namespace),
    findObject<WorkloadGroup>(kube, { apiVersion: NETWORKING_V1, kind: 'WorkloadGroup', name: r.group, namespace: r.namespace }),
    requireIstiod(kube, r.namespace),
    cm(meshCM, r.istioNamespace),
    r.clusterID === undefined ? cm(injectorCM, r.istioNamespace) : Promise.resolve(undefined),
    ingressAddresses(kube, r, resolve, warnings),
  ] as const);
  if (!group)
    throw new CliError(
      `workloadgroup ${r.group} not found in namespace ${r.namespace}; create it first: kubectl meshvm -n ${r.namespace} group create ${r.group} --port <name>=<port>`,
    );
  if (!mesh?.data?.['mesh'])
    throw new CliError(`no mesh config: ConfigMap ${meshCM} (key mesh) not found in namespace ${r.istioNamespace}; is this istiod's namespace and revision?`);
  const clusterID = r.clusterID ?? clusterIDFrom(injector, injectorCM, r.istioNamespace);
  const serviceAccount = group.spec?.template?.serviceAccount || 'default';
  const sa = await kube.find({ apiVersion: 'v1', kind: 'ServiceAccount', name: serviceAccount, namespace: r.namespace });
  if (!sa)
    throw new CliError(
      `serviceaccount ${serviceAccount} (the identity of WorkloadGroup ${r.group}) not found in namespace ${r.namespace}; create it: kubectl -n ${r.namespace} create serviceaccount ${serviceAccount}`,
    );
  let token = `<a token for serviceaccount ${serviceAccount}, audience istio-ca, valid ${r.tokenSeconds}s>`;
  let tokenExpires = '';
  let issuedAt = 0;
  if (r.dryRun !== 'client') {
    const t = await requestToken(kube, { namespace: r.namespace, serviceAccount, seconds: r.tokenSeconds, dryRun: r.dryRun });
    if (r.dryRun === 'none') token = t.token;
    tokenExpires = t.expires;
    const claims = decodeToken(t.token);
    issuedAt = claims?.iat ?? 0;
    if (claims?.exp && claims.iat && claims.exp - claims.iat < r.tokenSeconds - 60)
      warnings.push(`the API server shortened the token to ${claims.exp - claims.iat}s (its --service-account-max-token-expiration)`);
  }
  const rendered = renderBootstrap({
    group,
    meshConfig: mesh.data['mesh'],
    rootCert,
    token,
    clusterID,
    istioNamespace: r.istioNamespace,
    revision: r.revision,
    ingressAddresses: addresses,
    autoregister: r.autoregister,
    captureDNS: r.captureDNS,
    internalIP: r.vmIP,
    externalIP: r.vmExternalIP,
  });
  if (Object.keys(group.spec?.metadata?.labels ?? {}).length === 0 && Object.keys(group.spec?.template?.labels ?? {}).length === 0)
    warnings.push(
      `WorkloadGroup ${r.group} gives its workloads no labels, so no Service can select them; add some: kubectl meshvm group create ${r.group} -l app=${r.group} ...`,
    );
  warnings.push(...rendered.notes);
  return { rendered, tokenExpires, warnings, issuedAt };
}

/** Write the files into dir (created 0700 when missing): each through a temporary file and a rename, with its mode set exactly. */
export function writeBundle(dir: string, files: Record<BootstrapFileName, string>): string[] {
  try {
    if (!statSync(dir).isDirectory()) throw new CliError(`--output-dir ${dir} exists and is not a directory`);
  } catch (err) {
    if (err instanceof CliError) throw err;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  const written: string[] = [];
  for (const name of BOOTSTRAP_FILES) {
    const path = join(dir, name);
    const tmp = join(dirname(path), `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, files[name], { mode: FILE_MODES[name] });
    chmodSync(tmp, FILE_MODES[name]);
    renameSync(tmp, path);
    written.push(path);
  }
  return written;
}

export function writeArchive(file: string, files: Record<BootstrapFileName, string>, mtime: number): void {
  const data = tarGz(
    BOOTSTRAP_FILES.map((name) => ({ name, content: files[name], mode: FILE_MODES[name] })),
    mtime,
  );
  const tmp = join(dirname(file), `.${process.pid}.archive.tmp`);
  writeFileSync(tmp, data, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

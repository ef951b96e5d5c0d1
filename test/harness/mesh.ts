// Several clusters in one mesh, set up as seed 001 chapter 6 and Istio's multicluster guides do:
// non-overlapping Pod and Service CIDRs; istiod in each primary; remote clusters without istiod, their
// istio-system annotated with the primary that manages them (topology.istio.io/controlPlaneClusters, the
// primary's istiod running with EXTERNAL_ISTIOD); and in each primary a remote secret per other cluster
// (`istioctl create-remote-secret`: a reader service account's token for that API server), which the
// primary's secret controller watches. Optionally a plugged-in CA: one root with an intermediate per
// primary, or a root per primary.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { bin } from './binaries.js';
import { startCluster, type Cluster, type ClusterOptions } from './cluster.js';
import { appliedObjects, renderInstall } from './istio-install.js';
import { ISTIO_NAMESPACE, istioNamespaceManifest, istioRootCert, refusesInvalidGateway, rootCertEverywhere } from './istiod.js';
import { makeIntermediate, makeMeshRoot, type CACerts, type MeshRoot } from './mesh-ca.js';
import { removeOnExit } from './processes.js';
import { until } from './wait.js';

export interface MeshClusterSpec extends Omit<ClusterOptions, 'istiod' | 'name'> {
  name: string;
  /** primary: runs istiod; remote: no istiod, managed by the first primary. */
  role: 'primary' | 'remote';
  /** Istio's network name (global.network; default network1); `network` is the test network under the cluster. */
  istioNetwork?: string;
}

export type MeshCA = 'istiod' | 'shared-root' | 'separate-roots';

export interface MeshOptions {
  clusters: MeshClusterSpec[];
  /** istiod: each primary's self-signed CA; shared-root / separate-roots: plugged-in cacerts (default istiod). */
  ca?: MeshCA;
  meshID?: string;
  /** Give each primary a remote secret for the other clusters (default true). */
  connect?: boolean;
  /** Address every istiod listens on (default loopback). */
  address?: string;
  timeoutMs?: number;
  log?: (message: string) => void;
}

export class Mesh {
  constructor(
    readonly clusters: Cluster[],
    readonly specs: MeshClusterSpec[],
    /** The roots of a plugged-in CA (one for shared-root, one per primary for separate-roots). */
    readonly roots: MeshRoot[],
    private readonly dir: string,
    private readonly forgetDir: () => void,
  ) {}

  cluster(name: string): Cluster {
    const c = this.clusters.find((x) => x.name === name);
    if (!c) throw new Error(`no cluster ${name} in this mesh (have: ${this.clusters.map((x) => x.name).join(', ')})`);
    return c;
  }
  get primaries(): Cluster[] {
    return this.clusters.filter((_, i) => this.specs[i].role === 'primary');
  }
  get remotes(): Cluster[] {
    return this.clusters.filter((_, i) => this.specs[i].role === 'remote');
  }

  async stop(): Promise<void> {
    // Remotes first: their validating webhook points at a primary's istiod.
    await Promise.all(this.remotes.map((c) => c.stop()));
    await Promise.all(this.primaries.map((c) => c.stop()));
    rmSync(this.dir, { recursive: true, force: true });
    this.forgetDir();
  }
}

/** Secret name istioctl create-remote-secret gives a cluster's credentials. */
export function remoteSecretName(cluster: string): string {
  return `istio-remote-secret-${cluster}`;
}

export async function startMesh(opts: MeshOptions): Promise<Mesh> {
  const specs = opts.clusters;
  const firstPrimary = specs.findIndex((s) => s.role === 'primary');
  if (firstPrimary < 0) throw new Error('a mesh needs at least one primary cluster');
  const hasRemotes = specs.some((s) => s.role === 'remote');
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const dir = mkdtempSync(join(tmpdir(), 'kplugins-mesh-'));
  const forgetDir = removeOnExit(dir);
  const roots: MeshRoot[] = [];
  const cacerts = new Map<string, CACerts>();
  const ca = opts.ca ?? 'istiod';
  if (ca !== 'istiod') {
    const primaries = specs.filter((s) => s.role === 'primary');
    if (ca === 'shared-root') roots.push(await makeMeshRoot(join(dir, 'root')));
    for (const [i, s] of primaries.entries()) {
      if (ca === 'separate-roots') roots.push(await makeMeshRoot(join(dir, `root-${s.name}`), `Root CA ${s.name}`));
      cacerts.set(s.name, await makeIntermediate(roots[ca === 'shared-root' ? 0 : i], s.name));
    }
  }

  const started = await Promise.allSettled(
    specs.map((s, i) =>
      startCluster({
        ...s,
        istiod:
          s.role === 'primary'
            ? {
                network: s.istioNetwork,
                meshID: opts.meshID,
                cacerts: cacerts.get(s.name),
                address: opts.address,
                externalIstiod: i === firstPrimary && hasRemotes,
              }
            : undefined,
      }),
    ),
  );
  const clusters = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const mesh = new Mesh(clusters, specs, roots, dir, forgetDir);
  try {
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const primary = clusters[firstPrimary];
    for (const [i, s] of specs.entries()) {
      if (s.role === 'remote') await prepareRemote(clusters[i], primary, s.istioNetwork ?? 'network1');
    }
    if (opts.connect ?? true) {
      await Promise.all(
        specs.flatMap((s, i) =>
          s.role !== 'primary'
            ? []
            : specs.flatMap((o, j) => (j === i || (o.role === 'remote' && i !== firstPrimary) ? [] : [connect(clusters[i], clusters[j], timeoutMs)])),
        ),
      );
      if (hasRemotes) {
        await Promise.all(
          mesh.remotes.map((r) => until(`istio-ca-root-cert in every namespace of remote cluster ${r.name}`, () => rootCertEverywhere(r), timeoutMs)),
        );
      }
    }
    opts.log?.(`mesh ready: ${specs.map((s) => `${s.name} (${s.role})`).join(', ')}`);
    return mesh;
  } catch (err) {
    await mesh.stop();
    throw err;
  }
}

/**
 * A cluster whose istiod runs elsewhere, as the remote profile installs it: istio-system naming its
 * control plane cluster, the reader service account, and the validator pointed at the primary's istiod.
 */
export async function prepareRemote(remote: Cluster, primary: Cluster, network: string): Promise<void> {
  const istiod = primary.istiod;
  if (!istiod) throw new Error(`cluster ${primary.name} runs no istiod`);
  const root = await istioRootCert(primary, ISTIO_NAMESPACE);
  if (!root) throw new Error(`no istio-ca-root-cert in ${ISTIO_NAMESPACE} of ${primary.name}: is its istiod ready?`);
  const objects = await renderInstall({
    profile: 'remote',
    clusterName: remote.name,
    network,
    meshID: istiod.state.meshID,
    trustDomain: istiod.state.trustDomain,
    validationURL: istiod.validationURL,
    validationCABundle: root,
  });
  await remote.apply([istioNamespaceManifest(network, { 'topology.istio.io/controlPlaneClusters': istiod.state.clusterName })]);
  await remote.apply(appliedObjects(objects), { force: true });
  await until(
    `the API server of ${remote.name} to refuse an invalid Istio object through ${primary.name}'s istiod`,
    () => refusesInvalidGateway(remote),
    30_000,
    istiod.processes,
  );
}

/** Give primary a remote secret for other and wait until its istiod has synced that cluster. */
export async function connect(primary: Cluster, other: Cluster, timeoutMs = 90_000): Promise<void> {
  const istiod = primary.istiod;
  if (!istiod) throw new Error(`cluster ${primary.name} runs no istiod`);
  const secret = await execa(bin('istioctl'), ['--kubeconfig', other.kubeconfig, 'create-remote-secret', '--name', other.name, '--server', other.server], {
    stdin: 'ignore',
  });
  await primary.kubectl(['apply', '-f', '-'], { input: secret.stdout });
  await until(
    `istiod of ${primary.name} to sync cluster ${other.name}`,
    async () => (await istiod.clusterz()).some((c) => c.id === other.name && c.syncStatus === 'synced'),
    timeoutMs,
    istiod.processes,
  );
}

// kubectl meshremote endpoints <service>.<namespace> --context PRIMARY: where a service resolves across
// the mesh. The primary is read with your credentials, each linked cluster with the credentials stored
// in its remote secret (what istiod uses, so this also proves they work): per cluster the Service's
// EndpointSlices, ready and not ready addresses. An address found in two clusters is flagged: on one
// network istiod cannot tell those endpoints apart.
import { ExitCode } from '../../../shared/exit-codes.js';
import { defineCommand, requiredStr } from '../../../shared/cli/command.js';
import { outputFlag, readOutput } from '../../../shared/cli/flags.js';
import type { CommandContext } from '../../../shared/context.js';
import { errorText, KubeApiError, SilentExit, ValidationError } from '../../../shared/errors.js';
import type { Kube } from '../../../shared/kube/client.js';
import type { EndpointSlice } from '../../../shared/kube/types.js';
import { TEMPLATE_FORMATS, type OutputFormat } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { dnsLabel } from '../../../shared/validate.js';
import { registeredClusters } from '../../../shared/istio/multicluster.js';
import { istioNamespaceFlag, readIstioNamespace } from '../flags.js';
import { API_VERSION } from '../names.js';
import { observePrimary } from '../primary.js';

interface Options {
  service: string;
  serviceNamespace: string;
  namespace: string;
  output: OutputFormat;
}

export interface EndpointRow {
  cluster: string;
  address: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  ports: string[];
  target?: string | undefined;
  node?: string | undefined;
  zone?: string | undefined;
  /** Other clusters with the same address. */
  alsoIn: string[];
}

export interface ClusterEndpoints {
  cluster: string;
  /** How it was read: "context primary" or "secret istio-system/istio-remote-secret-x". */
  via: string;
  service: boolean;
  endpoints: EndpointRow[];
  error?: string | undefined;
}

/** <service>.<namespace>, both DNS-1123 labels. */
export function parseServiceRef(v: string): { service: string; namespace: string } {
  const parts = v.split('.');
  if (parts.length !== 2) throw new ValidationError(`"${v}" must be <service>.<namespace>, e.g. details.bookinfo`);
  return { service: dnsLabel(parts[0], 'service name'), namespace: dnsLabel(parts[1], 'namespace') };
}

/** One cluster's endpoints of the Service from its EndpointSlices (pure). */
export function endpointRows(cluster: string, slices: EndpointSlice[]): EndpointRow[] {
  const rows: EndpointRow[] = [];
  for (const slice of slices) {
    const ports = (slice.ports ?? []).map((p) => `${p.name ? `${p.name}:` : ''}${p.port ?? '?'}`);
    for (const e of slice.endpoints ?? []) {
      for (const address of e.addresses ?? []) {
        rows.push({
          cluster,
          address,
          // A missing ready condition means ready, as the API defines it.
          ready: e.conditions?.ready !== false,
          serving: e.conditions?.serving ?? e.conditions?.ready !== false,
          terminating: e.conditions?.terminating === true,
          ports,
          target: e.targetRef?.name ? `${(e.targetRef.kind ?? '').toLowerCase()}/${e.targetRef.name}` : undefined,
          node: e.nodeName,
          zone: e.zone,
          alsoIn: [],
        });
      }
    }
  }
  return rows;
}

/** Mark addresses found in more than one cluster (pure, in place). */
export function flagOverlaps(clusters: ClusterEndpoints[]): void {
  const where = new Map<string, Set<string>>();
  for (const c of clusters) for (const e of c.endpoints) where.set(e.address, (where.get(e.address) ?? new Set()).add(c.cluster));
  for (const c of clusters) for (const e of c.endpoints) e.alsoIn = [...(where.get(e.address) ?? [])].filter((x) => x !== c.cluster).sort();
}

async function readCluster(kube: Kube, cluster: string, via: string, o: Options): Promise<ClusterEndpoints> {
  try {
    const [svc, slices] = await Promise.all([
      kube.find({ apiVersion: 'v1', kind: 'Service', name: o.service, namespace: o.serviceNamespace }),
      kube.list<EndpointSlice>('discovery.k8s.io/v1', 'EndpointSlice', {
        namespace: o.serviceNamespace,
        labelSelector: `kubernetes.io/service-name=${o.service}`,
      }),
    ]);
    return { cluster, via, service: Boolean(svc), endpoints: endpointRows(cluster, slices) };
  } catch (err) {
    if (!(err instanceof KubeApiError)) throw err;
    return { cluster, via, service: false, endpoints: [], error: errorText(err) };
  }
}

export const endpointsCommand = defineCommand<Options>({
  command: 'endpoints <service>',
  describe: "Where <service>.<namespace> resolves across the linked clusters, read with each remote secret's own credentials",
  examples: [
    ['$0 endpoints details.bookinfo --context primary', 'Ready and not-ready addresses per cluster; overlapping addresses flagged'],
    ['$0 endpoints details.bookinfo -o json', 'For scripts'],
  ],
  builder: (y) =>
    outputFlag(istioNamespaceFlag(y), ['table', 'wide', 'json', 'yaml', ...TEMPLATE_FORMATS]).positional('service', {
      type: 'string',
      describe: '<service>.<namespace>, e.g. details.bookinfo',
    }),
  options: (args) => {
    const ref = parseServiceRef(requiredStr(args, 'service'));
    return {
      service: ref.service,
      serviceNamespace: ref.namespace,
      namespace: readIstioNamespace(args),
      output: readOutput(args, ['table', 'wide', 'json', 'yaml', ...TEMPLATE_FORMATS]),
    };
  },
  run: async (ctx: CommandContext, o) => {
    const kube = ctx.kube();
    const primary = await observePrimary(kube, o.namespace);
    const remotes = primary.secrets.flatMap((s) =>
      registeredClusters(s).map((c) => ({ id: c.id, via: `secret ${o.namespace}/${s.metadata?.name ?? ''}`, kubeconfig: c.kubeconfig })),
    );
    const clusters = await Promise.all([
      readCluster(kube, primary.clusterID ?? primary.context, `context ${primary.context}`, o),
      ...remotes.map((r) => {
        let client: Kube;
        try {
          client = ctx.kubeForKubeconfig(r.kubeconfig, r.via);
        } catch (err) {
          return Promise.resolve<ClusterEndpoints>({ cluster: r.id, via: r.via, service: false, endpoints: [], error: errorText(err) });
        }
        return readCluster(client, r.id, r.via, o);
      }),
    ]);
    flagOverlaps(clusters);
    const rows = clusters.flatMap((c) => c.endpoints);
    for (const c of clusters) {
      if (c.error) ctx.warn(`cluster ${c.cluster} (read with ${c.via}): ${c.error}`);
      else if (!c.service) ctx.stderr.write(`cluster ${c.cluster}: no Service ${o.service}.${o.serviceNamespace}\n`);
      else if (!c.endpoints.length) ctx.stderr.write(`cluster ${c.cluster}: Service ${o.service}.${o.serviceNamespace} has no endpoints\n`);
    }
    const overlapping = [...new Set(rows.filter((r) => r.alsoIn.length).map((r) => r.address))];
    for (const a of overlapping) {
      const where = [...new Set(rows.filter((r) => r.address === a).map((r) => r.cluster))];
      ctx.warn(`${a} is an endpoint in ${where.join(' and ')}: on one network istiod cannot tell them apart (Pod CIDRs overlap?)`);
    }
    await print(ctx, o.output, {
      data: { apiVersion: API_VERSION, kind: 'MeshRemoteEndpoints', service: `${o.service}.${o.serviceNamespace}`, clusters },
      rows,
      columns: [
        { header: 'Cluster', value: (r: EndpointRow) => r.cluster },
        { header: 'Address', value: (r) => r.address },
        { header: 'Ready', value: (r) => (r.ready ? 'true' : r.terminating ? 'terminating' : 'false') },
        { header: 'Ports', value: (r) => r.ports.join(',') },
        { header: 'Target', value: (r) => r.target ?? '' },
        { header: 'Overlaps', value: (r) => (r.alsoIn.length ? r.alsoIn.join(',') : '') },
        { header: 'Node', value: (r) => r.node ?? '', wide: true },
        { header: 'Zone', value: (r) => r.zone ?? '', wide: true },
      ],
    });
    // Data is printed; a cluster that could not be read still makes the command fail.
    if (clusters.some((c) => c.error)) throw new SilentExit(ExitCode.failure);
  },
});

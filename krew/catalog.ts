// What krew shows for each plugin. Manifests (krew/<name>.yaml) are generated from this by package.ts.
export interface KrewEntry {
  name: string;
  binary: string;
  shortDescription: string;
  description: string;
}

const bin = (name: string) => `kubectl-${name.replace(/-/g, '_')}`;

export const CATALOG: KrewEntry[] = [
  {
    name: 'canary',
    binary: bin('canary'),
    shortDescription: 'Shift traffic to a new Deployment by replicas or Istio weights',
    description:
      'Canary releases without a controller: set the share of traffic a new Deployment gets,\nby replica ratio behind one Service (L4) or by Istio VirtualService weights and header\nroutes (L7); status, promote, abort, probe and progressive runs.',
  },
  {
    name: 'bluegreen',
    binary: bin('bluegreen'),
    shortDescription: 'Weighted split and switch between Services at the Ingress',
    description:
      'Blue-green releases at the Ingress layer for Alibaba Cloud weight annotations,\ningress-nginx canary Ingresses, Gateway API HTTPRoutes and Istio: set, switch,\npreview by header, roll back and finalize.',
  },
  {
    name: 'ingress-ha',
    binary: bin('ingress-ha'),
    shortDescription: 'Run the ingress controller on dedicated nodes, and audit it',
    description:
      'Deploy a highly available ingress controller as a DaemonSet on labelled ingress\nnodes with a LoadBalancer Service attaching only those nodes, migrate an existing\ncontroller without downtime, and audit the result.',
  },
  {
    name: 'meshvm',
    binary: bin('meshvm'),
    shortDescription: 'Bring virtual machines into an Istio mesh',
    description:
      'Register VM workloads with an Istio mesh and generate the bootstrap files the VM\nneeds (cluster.env, mesh config, certificates and hosts entries).',
  },
  {
    name: 'meshremote',
    binary: bin('meshremote'),
    shortDescription: 'Join clusters into one Istio mesh',
    description: 'Create reader credentials in a remote cluster, install its remote secret in the\nprimary, and check that the clusters can form one mesh.',
  },
  {
    name: 'trace',
    binary: bin('trace'),
    shortDescription: 'Istio tracing settings and traces in the terminal',
    description: 'Show and change Istio tracing (sampling, provider endpoint), and fetch traces from\nZipkin or Jaeger as trees in the terminal.',
  },
];

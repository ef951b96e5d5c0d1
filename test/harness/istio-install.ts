// What an Istio install leaves in a cluster, rendered by the pinned istioctl itself (`istioctl manifest
// generate`), so the mesh ConfigMap, the injector ConfigMap, the istiod Service, the validating webhooks
// and istiod's own environment are Istio's, not a copy. The harness applies the objects a control plane
// needs and runs the istiod Deployment's container as a process instead of a pod.
import { execa } from 'execa';
import yaml from 'js-yaml';
import { bin } from './binaries.js';

export type Manifest = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string } };

export interface InstallValues {
  /** minimal: istiod and its configuration (a primary); remote: a cluster whose istiod runs elsewhere. */
  profile: 'minimal' | 'remote';
  clusterName: string;
  network: string;
  meshID: string;
  trustDomain: string;
  /** Where the API server sends Istio objects to be validated (values.base.validationURL). */
  validationURL: string;
  /** PEM the API server trusts for that URL; without it istiod patches its own CA into the webhooks. */
  validationCABundle?: string;
  /** values.global.externalIstiod: istiod also runs the controllers of remote clusters annotated for it. */
  externalIstiod?: boolean;
}

/** The --set flags for the values; every value here is one the install docs set. */
export function installFlags(v: InstallValues): string[] {
  const set = [
    `profile=${v.profile}`,
    // The default revision's validator (istiod-default-validator, no object selector), as a Helm install
    // of the base chart with defaultRevision=default writes it; istioctl install makes the same one
    // through its revision tag. Without it only objects labelled istio.io/rev=default are validated.
    'values.defaultRevision=default',
    `values.global.istioNamespace=istio-system`,
    `values.global.meshID=${v.meshID}`,
    `values.global.multiCluster.clusterName=${v.clusterName}`,
    `values.global.network=${v.network}`,
    `meshConfig.trustDomain=${v.trustDomain}`,
    `values.base.validationURL=${v.validationURL}`,
    ...(v.validationCABundle ? [`values.base.validationCABundle=${Buffer.from(v.validationCABundle).toString('base64')}`] : []),
    ...(v.externalIstiod ? ['values.global.externalIstiod=true'] : []),
  ];
  return set.flatMap((s) => ['--set', s]);
}

/** `istioctl manifest generate` for the values, as text. */
export async function generateManifest(v: InstallValues): Promise<string> {
  return (await execa(bin('istioctl'), ['manifest', 'generate', ...installFlags(v)], { stdin: 'ignore' })).stdout;
}

// A render costs istioctl several CPU-seconds, and clusters' renders differ only in their name, network,
// webhook URL and CA bundle: so each profile is rendered once per process with stand-ins for those,
// which are then replaced (a test compares the result with a direct render).
const STAND_IN = {
  clusterName: 'kplugins-stand-in-cluster',
  network: 'kplugins-stand-in-network',
  validationURL: 'https://kplugins-stand-in.invalid:15017/validate',
  validationCABundle: 'kplugins-stand-in-ca-bundle',
};
const rendered = new Map<string, Promise<string>>();

export async function renderInstall(v: InstallValues): Promise<Manifest[]> {
  const generic: InstallValues = { ...v, ...STAND_IN, validationCABundle: v.validationCABundle ? STAND_IN.validationCABundle : undefined };
  const key = JSON.stringify(generic);
  let text = rendered.get(key);
  if (!text) {
    text = generateManifest(generic);
    rendered.set(key, text);
    text.catch(() => rendered.delete(key));
  }
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const specific = (await text)
    .replaceAll(STAND_IN.clusterName, v.clusterName)
    .replaceAll(STAND_IN.network, v.network)
    .replaceAll(STAND_IN.validationURL, v.validationURL)
    .replaceAll(b64(STAND_IN.validationCABundle), b64(v.validationCABundle ?? ''));
  return parseManifests(specific);
}

export function parseManifests(text: string): Manifest[] {
  return yaml.loadAll(text).filter((o): o is Manifest => typeof o === 'object' && o !== null && 'kind' in o);
}

// Kinds a control plane leaves that matter without pods: configuration, the Service, identities and
// their RBAC, and the validating webhooks. Left out: CRDs (the harness installs the same module's),
// the istiod Deployment and its PDB/HPA (istiod runs as a process), and the injection webhook (kwok
// pods have no sidecar to run, and injected pods would change what other tests see).
const APPLIED = new Set([
  'ConfigMap',
  'Service',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'ValidatingWebhookConfiguration',
]);

export function appliedObjects(objects: Manifest[]): Manifest[] {
  return objects.filter((o) => APPLIED.has(o.kind));
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

/** istiod's command line and environment as its Deployment gives them to the container. */
export function istiodContainer(objects: Manifest[]): { args: string[]; env: Record<string, string> } {
  const deploy = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'istiod');
  type Container = { name: string; args?: string[]; env?: EnvVar[] };
  const containers = (deploy?.['spec'] as { template?: { spec?: { containers?: Container[] } } } | undefined)?.template?.spec?.containers ?? [];
  const c = containers.find((x) => x.name === 'discovery');
  if (!c) throw new Error('istioctl manifest generate produced no istiod Deployment with a discovery container');
  const fields: Record<string, string> = { 'metadata.name': 'istiod-harness', 'metadata.namespace': 'istio-system', 'spec.serviceAccountName': 'istiod' };
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef && fields[e.valueFrom.fieldRef.fieldPath]) env[e.name] = fields[e.valueFrom.fieldRef.fieldPath];
    // Other valueFrom (GOMAXPROCS from the CPU limit) have no meaning for a process: Go's defaults apply.
  }
  return { args: c.args ?? [], env };
}

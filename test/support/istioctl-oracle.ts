// `istioctl x workload entry configure` run against a test cluster: the files Istio itself writes for a
// VM (mesh.yaml, cluster.env, root-cert.pem, istio-token, hosts), the oracle meshvm's output is compared
// with. The binary is the pinned istioctl built with the control plane.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { bin } from '../harness/binaries.js';
import type { Cluster } from '../harness/cluster.js';
import { removeOnExit } from '../harness/processes.js';

export const WORKLOAD_ENTRY_FILES = ['mesh.yaml', 'cluster.env', 'root-cert.pem', 'istio-token', 'hosts'] as const;
export type WorkloadEntryFiles = Record<(typeof WORKLOAD_ENTRY_FILES)[number], string>;

export interface WorkloadEntryConfigureOptions {
  namespace: string;
  /** The WorkloadGroup's name (read from the cluster), or file: a WorkloadGroup YAML file. */
  name?: string;
  file?: string;
  /** --clusterID; without it istioctl reads the istio-sidecar-injector ConfigMap's values. */
  clusterID?: string;
  /** --ingressIP: the address written to `hosts` for istiod (default: the address istiod listens on). */
  ingressIP?: string;
  autoregister?: boolean;
  internalIP?: string;
  externalIP?: string;
  tokenDuration?: number;
  captureDNS?: boolean;
  revision?: string;
  /** Output folder (default: a new temp folder, removed when this process exits). */
  output?: string;
}

export interface WorkloadEntryConfigureResult {
  dir: string;
  files: WorkloadEntryFiles;
  stdout: string;
  stderr: string;
}

export async function workloadEntryConfigure(cluster: Cluster, o: WorkloadEntryConfigureOptions): Promise<WorkloadEntryConfigureResult> {
  const dir = o.output ?? mkdtempSync(join(tmpdir(), 'istioctl-vm-'));
  if (!o.output) removeOnExit(dir);
  const ingressIP = o.ingressIP ?? cluster.istiod?.address;
  const args = [
    'x',
    'workload',
    'entry',
    'configure',
    '--kubeconfig',
    cluster.kubeconfig,
    '-n',
    o.namespace,
    ...(o.file ? ['-f', o.file] : ['--name', o.name ?? '']),
    '-o',
    dir,
    ...(o.clusterID ? ['--clusterID', o.clusterID] : []),
    ...(ingressIP ? ['--ingressIP', ingressIP] : []),
    ...(o.autoregister ? ['--autoregister'] : []),
    ...(o.internalIP ? ['--internalIP', o.internalIP] : []),
    ...(o.externalIP ? ['--externalIP', o.externalIP] : []),
    ...(o.tokenDuration !== undefined ? ['--tokenDuration', String(o.tokenDuration)] : []),
    ...(o.captureDNS !== undefined ? [`--capture-dns=${o.captureDNS}`] : []),
    ...(o.revision ? ['--revision', o.revision] : []),
  ];
  const r = await execa(bin('istioctl'), args, { stdin: 'ignore' });
  const files = Object.fromEntries(WORKLOAD_ENTRY_FILES.map((f) => [f, readFileSync(join(dir, f), 'utf8')])) as WorkloadEntryFiles;
  return { dir, files, stdout: r.stdout, stderr: r.stderr };
}

/** cluster.env's KEY='value' lines (values quoted as shellescape.Quote quotes them) as a map. */
export function parseClusterEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    // 'a'"'"'b' -> a'b; an unquoted value stays as it is.
    out[m[1]] = m[2].replace(/'([^']*)'|"([^"]*)"/g, (_, s: string | undefined, d: string | undefined) => s ?? d ?? '');
  }
  return out;
}

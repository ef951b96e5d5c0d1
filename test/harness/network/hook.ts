// What cluster.ts calls: the egress guard every cluster gets, and the network a cluster asks for
// (`startCluster({ network: true })`), set up around the control plane's start.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubeconfigYaml, signCert } from '../certs.js';
import { startProcess, type Started } from '../processes.js';
import { egressSelectorConfig, writeGuardConfig } from './egress.js';
import { networkUnavailable } from './ip.js';
import { Network, type NetworkOptions } from './network.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** The network, or undefined with one line said when this machine cannot make one. */
export async function networkFor(
  opts: boolean | NetworkOptions | undefined,
  o: { dir: string; detached: boolean; podCIDR?: string; serviceCIDR?: string; log: (m: string) => void; warn: (m: string) => void },
): Promise<Network | undefined> {
  if (!opts) return undefined;
  const why = await networkUnavailable();
  if (why) {
    o.warn(`no network for this cluster: ${why}; the loopback data plane keeps working`);
    return undefined;
  }
  return Network.create({
    ...(typeof opts === 'object' ? opts : {}),
    podCIDR: o.podCIDR,
    serviceCIDR: o.serviceCIDR,
    dir: o.dir,
    detached: o.detached,
    log: o.log,
  });
}

/**
 * The API server's "cluster" egress (service/pod proxy, webhooks by Service) goes through a guard that
 * connects only to loopback and to the network's namespace. Returns the API server's flag.
 */
export function startEgressGuard(dir: string, net: Network | undefined, detached: boolean): { flag: string; proc: Started } {
  const socket = join(dir, 'egress.sock');
  const cfgFile = join(dir, 'egress-guard.json');
  writeGuardConfig(cfgFile, { socket, devices: net ? [net.state.hostLink] : [], log: join(dir, 'logs', 'egress-guard.log') });
  const selector = join(dir, 'egress-selector.yaml');
  writeFileSync(selector, egressSelectorConfig(socket));
  const proc = startProcess('egress-guard', process.execPath, [join(HERE, 'egress.js'), cfgFile], join(dir, 'logs', 'egress-guard.log'), { detached });
  return { flag: `--egress-selector-config-file=${selector}`, proc };
}

/** Credentials for the agent and kube-proxy, then both inside the namespace. */
export async function startNetworkServices(
  net: Network,
  o: { pki: string; dir: string; server: string; ca: string; cluster: string; node: string },
): Promise<void> {
  const [agent, proxy] = await Promise.all([
    signCert(o.pki, 'network-agent', '/CN=kplugins:network-agent/O=system:masters'),
    // The user the built-in system:node-proxier binding names.
    signCert(o.pki, 'kube-proxy', '/CN=system:kube-proxy'),
  ]);
  const kubeconfig = join(o.dir, 'kubeconfig-kube-proxy');
  writeFileSync(kubeconfig, kubeconfigYaml({ cluster: o.cluster, server: o.server, ca: o.ca, user: 'system:kube-proxy', cert: proxy }), { mode: 0o600 });
  await net.startServices({
    server: o.server,
    ca: join(o.pki, 'ca.crt'),
    agentCert: { cert: join(o.pki, 'network-agent.crt'), key: join(o.pki, 'network-agent.key') },
    kubeProxyKubeconfig: kubeconfig,
    node: o.node,
  });
  void agent;
}

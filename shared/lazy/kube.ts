// Everything a command needs to reach a cluster, loaded as one lazy unit (the API client is large).
export { loadKubeconfig, resolveKubeconfig } from '../kube/kubeconfig.js';
export { Kube } from '../kube/client.js';

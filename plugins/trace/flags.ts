// Flags of the reading commands (where the backend is and how to reach it) and their reading into options.
import type { Argv } from 'yargs';
import { bool, str, strList, type Args } from '../../shared/cli/command.js';
import { UsageError } from '../../shared/errors.js';
import { probeHeaders, probeUrl } from '../../shared/probe/target.js';
import { dnsLabel, waitDuration } from '../../shared/validate.js';
import type { BackendType } from './backends/backend.js';
import type { BackendOptions } from './backends/connect.js';
import { parseBackendRef } from './backends/detect.js';

export const DEFAULT_ISTIO_NAMESPACE = 'istio-system';
/** Deadline of each request to a --url backend (the API server path uses the client's own). */
const URL_TIMEOUT_MS = 60_000;

export function istioNamespaceFlag(y: Argv): Argv {
  return y.option('istio-namespace', {
    type: 'string',
    default: DEFAULT_ISTIO_NAMESPACE,
    describe: "The Istio control plane's namespace (mesh config, istiod, tracing addons)",
  });
}

export function readIstioNamespace(args: Args): string {
  return dnsLabel(str(args, 'istio-namespace') ?? DEFAULT_ISTIO_NAMESPACE, '--istio-namespace');
}

export function backendFlags(y: Argv): Argv {
  return istioNamespaceFlag(y)
    .option('backend', {
      type: 'string',
      describe: 'The query Service, [namespace/]service[:port], reached through the API server (default: found in the Istio namespace)',
    })
    .option('backend-type', { type: 'string', choices: ['jaeger', 'zipkin'], describe: 'What the backend is (default: found out from its answers)' })
    .option('url', {
      type: 'string',
      describe:
        'Read from this URL instead (a port-forward, or a gateway in front of Jaeger or Zipkin); --request-timeout and --insecure-skip-tls-verify then apply to it',
    })
    .option('header', { alias: 'H', type: 'string', array: true, describe: 'With --url: a header "Name: value" sent on every request (repeatable)' });
}

export function readBackendOptions(args: Args): BackendOptions {
  const istioNamespace = readIstioNamespace(args);
  const rawUrl = str(args, 'url');
  const backend = str(args, 'backend');
  const headers = strList(args, 'header');
  if (rawUrl && backend) throw new UsageError('--url and --backend cannot be used together: --url reads directly, --backend through the API server');
  if (headers.length && !rawUrl) throw new UsageError('--header goes with --url (requests through the API server carry your kubeconfig credentials)');
  const type = str(args, 'backend-type') as BackendType | undefined;
  return {
    url: rawUrl ? probeUrl(rawUrl, '--url') : undefined,
    headers: probeHeaders(headers, undefined),
    insecure: bool(args, 'insecure-skip-tls-verify'),
    backend: backend ? parseBackendRef(backend, istioNamespace) : undefined,
    type,
    istioNamespace,
    // With --url the cluster is not contacted: kubectl's --request-timeout and --insecure-skip-tls-verify are about the URL.
    timeoutMs:
      rawUrl && str(args, 'request-timeout') !== undefined
        ? waitDuration(str(args, 'request-timeout')!, '--request-timeout') || URL_TIMEOUT_MS
        : URL_TIMEOUT_MS,
  };
}

// The Gateway and VirtualService that expose istiod on the east-west gateway, as Istio's
// samples/multicluster/expose-istiod.yaml (and expose-istiod-rev.yaml.tmpl for a revision) write them:
// 15012 (xDS and the CA) and 15017 (webhooks), TLS passed through to istiod. Pure.
import { isDeepStrictEqual } from 'node:util';
import { CliError } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/kube/object.js';
import { isManagedBy, markManaged } from '../../shared/kube/ownership.js';
import type { Change } from '../../shared/kube/plan.js';
import { NETWORKING_V1 } from '../../shared/istio/workload.js';
import { PLUGIN } from './register-plan.js';
import { namesService } from '../../shared/istio/hosts.js';
import type { Gateway, TlsRoute, VirtualService } from '../../shared/istio/types.js';

export const ISTIOD_GATEWAY = 'istiod-gateway';
export const ISTIOD_PORTS = [15012, 15017] as const;

export function virtualServiceName(revision?: string): string {
  return revision ? `istiod-vs-${revision}` : 'istiod-vs';
}

export function desiredGateway(namespace: string, selector: Record<string, string>): Gateway {
  const server = (name: string, number: number) => ({ port: { name, number, protocol: 'tls' }, tls: { mode: 'PASSTHROUGH' }, hosts: ['*'] });
  return markManaged(
    {
      apiVersion: NETWORKING_V1,
      kind: 'Gateway',
      metadata: { name: ISTIOD_GATEWAY, namespace },
      spec: { selector, servers: [server('tls-istiod', 15012), server('tls-istiodwebhook', 15017)] },
    },
    PLUGIN,
  );
}

export function desiredVirtualService(namespace: string, revision?: string): VirtualService {
  const istiod = revision ? `istiod-${revision}` : 'istiod';
  const fqdn = `${istiod}.${namespace}.svc.cluster.local`;
  const sni = revision ? [`${istiod}.${namespace}.svc`, fqdn] : ['*'];
  const route = (port: number, target: number): TlsRoute => ({
    match: [{ port, sniHosts: sni }],
    route: [{ destination: { host: fqdn, port: { number: target } } }],
  });
  return markManaged(
    {
      apiVersion: NETWORKING_V1,
      kind: 'VirtualService',
      metadata: { name: virtualServiceName(revision), namespace },
      spec: { hosts: ['*'], gateways: [ISTIOD_GATEWAY], tls: [route(15012, 15012), route(15017, 443)] },
    },
    PLUGIN,
  );
}

/** Does a Gateway pass TLS on 15012 and 15017 through, on gateways with these labels? */
export function exposesIstiod(gw: Gateway | undefined, selector: Record<string, string>): boolean {
  if (!gw) return false;
  const sel = gw.spec?.selector ?? {};
  if (!Object.entries(sel).every(([k, v]) => selector[k] === v)) return false;
  return ISTIOD_PORTS.every((p) => (gw.spec?.servers ?? []).some((s) => s.port?.number === p && s.tls?.mode === 'PASSTHROUGH'));
}

/** Does a VirtualService send TLS on 15012 to istiod? */
export function routesToIstiod(vs: VirtualService | undefined, namespace: string, revision?: string): boolean {
  const istiod = revision ? `istiod-${revision}` : 'istiod';
  const at = vs?.metadata?.namespace ?? namespace;
  return (vs?.spec?.tls ?? []).some(
    (r) =>
      (r.match ?? []).some((m) => m.port === 15012) &&
      (r.route ?? []).some((d) => namesService(d.destination?.host, at, { name: istiod, namespace }) && d.destination?.port?.number === 15012),
  );
}

/** Apply ours when missing or different; leave someone else's that already does the job; refuse one that does not. */
export function planExpose(o: {
  namespace: string;
  revision?: string | undefined;
  selector: Record<string, string>;
  gateway?: Gateway | undefined;
  virtualService?: VirtualService | undefined;
}): { changes: Change[]; kept: string[] } {
  const changes: Change[] = [];
  const kept: string[] = [];
  const plan = (existing: KubeObject | undefined, desired: KubeObject, fine: boolean, what: string) => {
    const name = desired.metadata?.name ?? '';
    if (existing && !isManagedBy(existing, PLUGIN)) {
      if (fine) return void kept.push(`${what}/${name} was not written by kubectl meshvm but already does this; left as it is`);
      throw new CliError(
        `${what}/${name} exists in namespace ${o.namespace}, was not written by kubectl meshvm and does not expose istiod on 15012 and 15017; fix or delete it (kubectl -n ${o.namespace} get ${what} ${name} -o yaml)`,
      );
    }
    if (existing && isDeepStrictEqual(existing.spec, desired.spec)) return;
    changes.push({
      action: 'apply',
      object: desired,
      verb: existing ? 'configured' : 'created',
      undo: existing ? undefined : `kubectl -n ${o.namespace} delete ${what} ${name}`,
    });
  };
  plan(o.gateway, desiredGateway(o.namespace, o.selector), exposesIstiod(o.gateway, o.selector), 'gateway.networking.istio.io');
  plan(
    o.virtualService,
    desiredVirtualService(o.namespace, o.revision),
    routesToIstiod(o.virtualService, o.namespace, o.revision),
    'virtualservice.networking.istio.io',
  );
  return { changes, kept };
}

// Spans as Istio's Envoy sidecars report them (Zipkin v2 JSON: a client span from the caller's proxy
// and a server span from the callee's per hop, Envoy's and Istio's tags), for Bookinfo's call chain:
// ingress -> productpage -> details, productpage -> reviews -> ratings. Options add an error, clock
// skew, a child that overflows its parent, and a producer/consumer pair. Times are microseconds.

export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';
  timestamp: number;
  duration: number;
  localEndpoint: { serviceName: string; ipv4?: string; port?: number };
  remoteEndpoint?: { serviceName?: string; ipv4?: string; port?: number };
  annotations?: { timestamp: number; value: string }[];
  tags: Record<string, string>;
}

/** A deterministic generator (tests must not depend on Math.random). */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

export function hexId(rand: () => number, digits: number): string {
  let out = '';
  while (out.length < digits)
    out += Math.floor(rand() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, digits);
}

const POD_IP: Record<string, string> = {
  'istio-ingressgateway.istio-system': '10.244.0.5',
  'productpage.default': '10.244.0.12',
  'details.default': '10.244.0.13',
  'reviews.default': '10.244.0.14',
  'ratings.default': '10.244.0.15',
};

function envoyTags(service: string, host: string, path: string, status: number, upstream: string, requestId: string): Record<string, string> {
  const [app, ns] = service.split('.');
  return {
    component: 'proxy',
    node_id: `sidecar~${POD_IP[service]}~${app}-v1-6f7d8c9b5-x2k4p.${ns}~${ns}.svc.cluster.local`,
    zone: 'zone-a',
    'guid:x-request-id': requestId,
    'http.url': `http://${host}${path}`,
    'http.method': 'GET',
    'http.protocol': 'HTTP/1.1',
    'http.status_code': String(status),
    response_flags: '-',
    upstream_cluster: upstream,
    'upstream_cluster.name': upstream,
    downstream_cluster: '-',
    user_agent: 'Mozilla/5.0',
    request_size: '0',
    response_size: String(status === 200 ? 1683 : 0),
    'peer.address': POD_IP[service],
    'istio.canonical_service': app,
    'istio.canonical_revision': 'v1',
    'istio.mesh_id': 'cluster.local',
    'istio.namespace': ns,
    'istio.cluster_id': 'Kubernetes',
  };
}

export interface BookinfoOptions {
  /** Trace start, epoch microseconds. */
  start: number;
  seed?: number;
  /** ratings answers 500 (an error on its server span and on reviews' client span). */
  ratingsError?: boolean;
  /** ratings' host clock runs ahead by this many microseconds. */
  ratingsSkew?: number;
  /** productpage logs asynchronously after answering: an internal span that outlives its parent. */
  overflow?: boolean;
  /** reviews publishes an event that a consumer in `notifications` handles later. */
  messaging?: boolean;
  /** Bookinfo's reviews v1 does not call ratings (v2 and v3 do); default v2. */
  reviewsVersion?: 'v1' | 'v2' | 'v3';
  /** Stretch every duration by this factor (a slower request), default 1. */
  scale?: number;
}

export interface BookinfoTrace {
  traceId: string;
  spans: ZipkinSpan[];
  /** Span ids by role, for assertions. */
  ids: Record<string, string>;
}

/**
 * One request through Bookinfo. Timeline (µs from start):
 * gateway client 0-30000; productpage server 1000-29000; details client 3000-8000 / server 3500-7500;
 * reviews client 9000-27000 / server 9500-26500; ratings client 11000-24000 / server 11500-23500.
 */
export function bookinfoTrace(o: BookinfoOptions): BookinfoTrace {
  const rand = prng(o.seed ?? 1);
  const traceId = hexId(rand, 32);
  const requestId = `${hexId(rand, 8)}-${hexId(rand, 4)}-${hexId(rand, 4)}-${hexId(rand, 4)}-${hexId(rand, 12)}`;
  const ids: Record<string, string> = {};
  for (const k of ['gateway', 'productpage', 'detailsClient', 'details', 'reviewsClient', 'reviews', 'ratingsClient', 'ratings', 'log', 'publish', 'consume'])
    ids[k] = hexId(rand, 16);
  const k = o.scale ?? 1;
  const t = (us: number) => o.start + Math.round(us * k);
  const skew = o.ratingsSkew ?? 0;
  const err = o.ratingsError ?? false;
  const host = (svc: string) => `${svc}.default.svc.cluster.local:9080`;
  const outbound = (svc: string) => `outbound|9080||${svc}.default.svc.cluster.local`;
  const inbound = 'inbound|9080||';
  const hop = (
    id: string,
    parent: string,
    service: string,
    kind: 'CLIENT' | 'SERVER',
    target: string,
    path: string,
    from: number,
    to: number,
    status: number,
    shift = 0,
  ): ZipkinSpan => ({
    traceId,
    id,
    parentId: parent,
    name: `${host(target)}${path === '/productpage' ? '/productpage' : '/*'}`,
    kind,
    timestamp: t(from) + shift,
    duration: Math.round((to - from) * k),
    localEndpoint: { serviceName: service, ipv4: POD_IP[service], ...(kind === 'SERVER' ? { port: 9080 } : {}) },
    tags: {
      ...envoyTags(service, host(target), path, status, kind === 'CLIENT' ? outbound(target) : inbound, requestId),
      ...(status >= 500 ? { error: 'true' } : {}),
    },
  });
  const spans: ZipkinSpan[] = [
    {
      traceId,
      id: ids['gateway'],
      name: `${host('productpage')}/productpage`,
      kind: 'CLIENT',
      timestamp: t(0),
      duration: Math.round(30000 * k),
      localEndpoint: { serviceName: 'istio-ingressgateway.istio-system', ipv4: POD_IP['istio-ingressgateway.istio-system'] },
      tags: envoyTags('istio-ingressgateway.istio-system', host('productpage'), '/productpage', 200, outbound('productpage'), requestId),
    },
    hop(ids['productpage'], ids['gateway'], 'productpage.default', 'SERVER', 'productpage', '/productpage', 1000, 29000, 200),
    hop(ids['detailsClient'], ids['productpage'], 'productpage.default', 'CLIENT', 'details', '/details/0', 3000, 8000, 200),
    hop(ids['details'], ids['detailsClient'], 'details.default', 'SERVER', 'details', '/details/0', 3500, 7500, 200),
    hop(ids['reviewsClient'], ids['productpage'], 'productpage.default', 'CLIENT', 'reviews', '/reviews/0', 9000, 27000, 200),
    hop(ids['reviews'], ids['reviewsClient'], 'reviews.default', 'SERVER', 'reviews', '/reviews/0', 9500, 26500, 200),
  ];
  if (o.reviewsVersion !== 'v1') {
    spans.push(
      hop(ids['ratingsClient'], ids['reviews'], 'reviews.default', 'CLIENT', 'ratings', '/ratings/0', 11000, 24000, err ? 500 : 200),
      hop(ids['ratings'], ids['ratingsClient'], 'ratings.default', 'SERVER', 'ratings', '/ratings/0', 11500, 23500, err ? 500 : 200, skew),
    );
  }
  if (o.reviewsVersion) for (const s of spans) if (s.localEndpoint.serviceName === 'reviews.default') s.tags['istio.canonical_revision'] = o.reviewsVersion;
  if (o.overflow) {
    spans.push({
      traceId,
      id: ids['log'],
      parentId: ids['productpage'],
      name: 'async-access-log',
      timestamp: t(28000),
      duration: 6000,
      localEndpoint: { serviceName: 'productpage.default', ipv4: POD_IP['productpage.default'] },
      annotations: [{ timestamp: t(28500), value: 'flushed' }],
      tags: { 'log.lines': '3' },
    });
  }
  if (o.messaging) {
    spans.push(
      {
        traceId,
        id: ids['publish'],
        parentId: ids['reviews'],
        name: 'publish review-viewed',
        kind: 'PRODUCER',
        timestamp: t(25000),
        duration: 500,
        localEndpoint: { serviceName: 'reviews.default', ipv4: POD_IP['reviews.default'] },
        remoteEndpoint: { serviceName: 'kafka' },
        tags: { 'messaging.destination': 'review-viewed' },
      },
      {
        traceId,
        id: ids['consume'],
        parentId: ids['publish'],
        name: 'consume review-viewed',
        kind: 'CONSUMER',
        timestamp: t(40000),
        duration: 2000,
        localEndpoint: { serviceName: 'notifications.default' },
        remoteEndpoint: { serviceName: 'kafka' },
        tags: { 'messaging.destination': 'review-viewed' },
      },
    );
  }
  return { traceId, spans, ids };
}

/**
 * A big trace (span names in lower case: Zipkin stores them so, Jaeger as given): `count` spans, a tree up to 8 deep over 40 services, client/server pairs across
 * services, some errors, children laid out sequentially or in parallel within their parent.
 */
export function bigTrace(count: number, start: number, seed = 7): { traceId: string; spans: ZipkinSpan[] } {
  const rand = prng(seed);
  const traceId = hexId(rand, 32);
  const services = Array.from({ length: 40 }, (_, i) => `svc-${String(i).padStart(2, '0')}.shop`);
  const spans: ZipkinSpan[] = [];
  const root: ZipkinSpan = {
    traceId,
    id: hexId(rand, 16),
    name: 'get /checkout',
    kind: 'SERVER',
    timestamp: start,
    duration: 5_000_000,
    localEndpoint: { serviceName: services[0] },
    tags: { 'http.method': 'GET', 'http.status_code': '200' },
  };
  spans.push(root);
  const queue: { span: ZipkinSpan; depth: number }[] = [{ span: root, depth: 0 }];
  while (spans.length < count && queue.length) {
    const { span: parent, depth } = queue.shift()!;
    const fanout = depth >= 7 ? 0 : 2 + Math.floor(rand() * 6);
    let cursor = parent.timestamp + Math.floor(parent.duration * 0.02);
    for (let i = 0; i < fanout && spans.length < count; i++) {
      const parallel = rand() < 0.4;
      const dur = Math.max(10, Math.floor((parent.duration / (fanout + 1)) * (0.5 + rand() * 0.6)));
      const begin = parallel ? parent.timestamp + Math.floor(rand() * parent.duration * 0.3) : cursor;
      if (!parallel) cursor += dur + Math.floor(rand() * 50);
      const service = services[Math.floor(rand() * services.length)];
      const error = rand() < 0.01;
      const client: ZipkinSpan = {
        traceId,
        id: hexId(rand, 16),
        parentId: parent.id,
        name: `call ${service}`,
        kind: 'CLIENT',
        timestamp: begin,
        duration: dur,
        localEndpoint: { serviceName: parent.localEndpoint.serviceName },
        tags: { 'http.method': 'POST', 'http.status_code': error ? '503' : '200', ...(error ? { error: 'true' } : {}) },
      };
      spans.push(client);
      if (spans.length >= count) break;
      const server: ZipkinSpan = {
        traceId,
        id: hexId(rand, 16),
        parentId: client.id,
        name: `handle ${service}`,
        kind: 'SERVER',
        timestamp: begin + 5,
        duration: Math.max(1, dur - 10),
        localEndpoint: { serviceName: service },
        tags: { 'http.status_code': error ? '503' : '200', ...(error ? { error: 'true' } : {}) },
      };
      spans.push(server);
      queue.push({ span: server, depth: depth + 1 });
    }
  }
  return { traceId, spans };
}

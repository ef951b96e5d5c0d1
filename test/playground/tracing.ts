// The playground's tracing backend, laid out as Istio's addons lay it out in istio-system (Jaeger:
// Service tracing on port 80 to the query API under /jaeger, and Service zipkin, Jaeger's Zipkin
// receiver; Zipkin: Services tracing and zipkin to Zipkin's server), with an hour of Bookinfo requests
// already posted as Envoy would report them.
import type { Cluster } from '../harness/cluster.js';
import { postZipkin, serveTracing, waitForTrace, type TracingKind } from '../harness/tracing.js';
import { bookinfoTrace, prng, type ZipkinSpan } from '../support/traces.js';

export const TRACING_NAMESPACE = 'istio-system';

type Obj = Record<string, unknown>;

/** The addon's Deployment (its pod is where the real server is served) and Services. */
export function tracingManifests(kind: TracingKind, namespace = TRACING_NAMESPACE): Obj[] {
  const service = (name: string, app: string, ports: Obj[], labels: Record<string, string> = { app }): Obj => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels },
    spec: { selector: { app }, ports },
  });
  const app = kind === 'jaeger' ? 'jaeger' : 'zipkin';
  const port = kind === 'jaeger' ? 16686 : 9411;
  const deployment: Obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app, namespace, labels: { app } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app }, annotations: { 'sidecar.istio.io/inject': 'false' } },
        spec: {
          containers: [
            {
              name: app,
              image: kind === 'jaeger' ? 'jaegertracing/jaeger:2.13.0' : 'openzipkin/zipkin:3.5.1',
              ports: kind === 'jaeger' ? [{ containerPort: 16686 }, { containerPort: 9411 }, { containerPort: 4318 }] : [{ containerPort: 9411 }],
            },
          ],
        },
      },
    },
  };
  if (kind === 'jaeger') {
    return [
      deployment,
      service('tracing', app, [
        { name: 'http-query', port: 80, protocol: 'TCP', targetPort: port },
        { name: 'grpc-query', port: 16685, protocol: 'TCP', targetPort: 16685 },
      ]),
      service('zipkin', app, [{ name: 'http-query', port: 9411, targetPort: 9411 }], { name: 'zipkin' }),
      service('jaeger-collector', app, [
        { name: 'http-zipkin', port: 9411, targetPort: 9411 },
        { name: 'http-otel', port: 4318, targetPort: 4318 },
      ]),
    ];
  }
  return [
    deployment,
    service('tracing', app, [{ name: 'http-query', port: 80, protocol: 'TCP', targetPort: 9411 }]),
    service('zipkin', app, [{ name: 'http-query', port: 9411, targetPort: 9411 }], { name: 'zipkin' }),
  ];
}

/**
 * `count` Bookinfo requests spread over the hour before `nowMicros`: reviews v1, v2 and v3 in turn (v1
 * calls no ratings), one request in twelve failing in ratings, one in seven slow, one in five with
 * ratings' clock a little ahead.
 */
export function bookinfoTraffic(nowMicros: number, count: number, seed = 11): ZipkinSpan[] {
  const rand = prng(seed);
  const spans: ZipkinSpan[] = [];
  for (let i = 0; i < count; i++) {
    const start = nowMicros - Math.floor((count - i) * (3_600_000_000 / (count + 1)) + rand() * 1_000_000);
    const version = (['v1', 'v2', 'v3'] as const)[i % 3];
    spans.push(
      ...bookinfoTrace({
        start,
        seed: seed * 1000 + i,
        reviewsVersion: version,
        ratingsError: version !== 'v1' && i % 12 === 5,
        ratingsSkew: version !== 'v1' && i % 5 === 2 ? Math.floor(rand() * 3_000) + 1_000 : 0,
        scale: i % 7 === 3 ? 4 + rand() * 4 : 0.6 + rand() * 0.8,
      }).spans,
    );
  }
  return spans;
}

/** What the playground keeps about its tracing backend (for its instructions). */
export interface PlaygroundTracing {
  kind: TracingKind;
  /** The query API at the pod's address, inside the test network. */
  queryUrl: string;
  requests: number;
}

/**
 * The real Jaeger (or Zipkin) serving the addon's tracing pod in istio-system, with an hour of Bookinfo
 * requests posted to it. It runs as long as the cluster's network does (cluster stop ends it).
 */
export async function startPlaygroundTracing(cluster: Cluster, kind: TracingKind, dir: string, requests = 240): Promise<PlaygroundTracing> {
  if (!cluster.network) throw new Error('the tracing pod needs the test network (root and CAP_NET_ADMIN)');
  await cluster.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: TRACING_NAMESPACE } }]);
  const server = await serveTracing(cluster, cluster.network, kind, tracingManifests(kind), dir);
  const now = Date.now() * 1000;
  const spans = bookinfoTraffic(now, requests);
  await postZipkin(server, spans);
  // The newest request is the last one posted: once it is stored, the hour is there.
  const last = spans[spans.length - 1].traceId;
  await waitForTrace(server, last, spans.filter((s) => s.traceId === last).length);
  return { kind, queryUrl: server.queryUrl, requests };
}

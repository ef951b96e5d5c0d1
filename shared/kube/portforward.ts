// One HTTP request to a pod's port through the API server (pods/portforward), as istioctl reaches
// istiod's debug endpoints: the request arrives at the pod from its own loopback. The WebSocket
// channel protocol (v4.channel.k8s.io): per forwarded port a data channel and an error channel, each
// message prefixed with its channel byte, and each channel's first message starting with the port.
import { KubeApiError } from '../errors.js';
import type { Kube } from './client.js';

export interface PodHttpRequest {
  namespace: string;
  pod: string;
  port: number;
  /** Path and query, e.g. /debug/clusterz. */
  path: string;
  timeoutMs?: number;
}

export interface PodHttpResponse {
  status: number;
  body: string;
}

const DATA = 0;
const ERROR = 1;

/**
 * An HTTP/1.1 response read as it arrives, complete once its Content-Length or its last chunk is in:
 * a forwarded stream need not end when the pod's server closes (kwok ends it only when both sides
 * have), so the end is read from the response itself.
 */
export class HttpResponseReader {
  private raw: Buffer = Buffer.alloc(0);
  private bodyAt = -1;
  private status = 0;
  private length: number | undefined;
  private chunked = false;
  /** Chunked body: where the next chunk header starts, and the decoded parts so far. */
  private next = 0;
  private parts: Buffer[] = [];
  private complete = false;

  /** Add bytes; true once the whole response is in. */
  push(chunk: Buffer): boolean {
    this.raw = this.raw.length ? Buffer.concat([this.raw, chunk]) : chunk;
    if (this.bodyAt < 0) {
      const end = this.raw.indexOf('\r\n\r\n');
      if (end < 0) return false;
      const head = this.raw.subarray(0, end).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (!m) throw new Error(`not an HTTP answer: ${JSON.stringify(head.split('\r\n')[0])}`);
      this.status = Number(m[1]);
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      this.length = length ? Number(length[1]) : undefined;
      this.chunked = /\r\ntransfer-encoding:\s*chunked/i.test(head);
      this.bodyAt = end + 4;
      this.next = this.bodyAt;
    }
    if (this.chunked) {
      for (;;) {
        const eol = this.raw.indexOf('\r\n', this.next);
        if (eol < 0) break;
        const size = parseInt(this.raw.subarray(this.next, eol).toString('latin1').split(';')[0], 16);
        if (Number.isNaN(size)) throw new Error('a chunk of the answer has no valid size');
        if (size === 0) {
          this.complete = true;
          break;
        }
        if (this.raw.length < eol + 2 + size + 2) break;
        this.parts.push(this.raw.subarray(eol + 2, eol + 2 + size));
        this.next = eol + 2 + size + 2;
      }
    } else if (this.length !== undefined) this.complete = this.raw.length - this.bodyAt >= this.length;
    return this.complete;
  }

  /** The response; at the end of the stream, a body without a declared length is what arrived. */
  result(streamEnded: boolean): PodHttpResponse {
    if (this.bodyAt < 0) throw new Error(this.raw.length ? 'the answer ended before its headers did' : 'no answer');
    if (!this.complete && !(streamEnded && this.length === undefined && !this.chunked)) throw new Error('the answer ended early');
    const body = this.chunked ? Buffer.concat(this.parts) : this.raw.subarray(this.bodyAt, this.length === undefined ? undefined : this.bodyAt + this.length);
    return { status: this.status, body: body.toString('utf8') };
  }
}

/** GET a path on a pod's port through the API server (HTTP/1.1, one request, then the stream is closed). */
export async function podHttpGet(kube: Kube, r: PodHttpRequest): Promise<PodHttpResponse> {
  const what = `port-forward to pod ${r.namespace}/${r.pod}:${r.port}`;
  const response = new HttpResponseReader();
  let complete = false;
  const errors: string[] = [];
  const seen = new Set<number>();
  let finish: (err?: Error) => void = () => {};
  const done = new Promise<void>((resolve, reject) => (finish = (err) => (err ? reject(err) : resolve())));
  const ws = await kube.websocket(
    { verb: 'portforward', resource: 'pods', name: r.pod, namespace: r.namespace },
    `/api/v1/namespaces/${encodeURIComponent(r.namespace)}/pods/${encodeURIComponent(r.pod)}/portforward`,
    [['ports', String(r.port)]],
    'v4.channel.k8s.io',
    {
      message: (data) => {
        if (data.length === 0) return;
        const channel = data[0];
        let payload = data.subarray(1);
        // The first message of each channel is the port number (2 bytes, little endian).
        if (!seen.has(channel)) {
          seen.add(channel);
          payload = payload.subarray(2);
        }
        if (channel === DATA && payload.length && !complete) {
          try {
            complete = response.push(Buffer.from(payload));
          } catch (err) {
            finish(err as Error);
          }
          if (complete) finish();
        } else if (channel === ERROR && payload.length) errors.push(payload.toString('utf8'));
      },
      closed: (err) => finish(err),
    },
  );
  const timer = setTimeout(() => ws.destroy(new Error(`no answer within ${(r.timeoutMs ?? 10_000) / 1000}s`)), r.timeoutMs ?? 10_000);
  try {
    ws.send(
      Buffer.concat([
        Buffer.from([DATA]),
        Buffer.from(`GET ${r.path} HTTP/1.1\r\nHost: localhost:${r.port}\r\nUser-Agent: ${kube.fieldManager}\r\nConnection: close\r\n\r\n`),
      ]),
    );
    await done;
  } catch (err) {
    throw new KubeApiError(`${what}: ${(err as Error).message}`, undefined, 'PortForward', { cause: err });
  } finally {
    clearTimeout(timer);
    ws.close();
  }
  if (errors.length) throw new KubeApiError(`${what}: ${errors.join('; ').trim()}`, undefined, 'PortForward');
  try {
    return response.result(!complete);
  } catch (err) {
    throw new KubeApiError(`${what} GET ${r.path}: ${(err as Error).message}`, undefined, 'PortForward', { cause: err });
  }
}

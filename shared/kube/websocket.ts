// The WebSocket framing (RFC 6455) a Kubernetes stream needs once the API server has upgraded the
// connection: binary messages out (masked, as a client must send them), binary and text messages in,
// pings answered, close either way. Enough for pods/portforward's channel protocol; no extensions.
import { createHash, randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { KubeApiError } from '../errors.js';
import type { ApiTransport } from './api-transport.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A Sec-WebSocket-Key and the Sec-WebSocket-Accept the server must answer with. */
export function handshakeKey(): { key: string; accept: string } {
  const key = randomBytes(16).toString('base64');
  return {
    key,
    accept: createHash('sha1')
      .update(key + GUID)
      .digest('base64'),
  };
}

/**
 * Open a WebSocket on an API path (pods/portforward, exec) through the transport's server, TLS and
 * credentials. Resolves once the server has switched protocols and answered the handshake rightly.
 */
export async function openWebSocket(
  transport: ApiTransport,
  path: string,
  query: [string, string][],
  protocol: string,
  handlers: WebSocketHandlers,
): Promise<WebSocketConnection> {
  const { key, accept } = handshakeKey();
  if (!transport.upgrade) throw new KubeApiError(`the connection to ${transport.server()} cannot open WebSockets (${path})`);
  const { res, socket, head } = await transport.upgrade({
    path,
    query,
    headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Protocol': protocol },
  });
  if (res.headers['sec-websocket-accept'] !== accept) {
    socket.destroy();
    throw new KubeApiError(`the server at ${transport.server()} answered the WebSocket upgrade of ${path} wrongly (a proxy in between?)`);
  }
  return new WebSocketConnection(socket, head, handlers);
}

const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** One frame as a client sends it: FIN set, payload masked with a fresh key. */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.alloc(2) : len < 0x10000 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (len < 126) head[1] = 0x80 | len;
  else if (len < 0x10000) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  const mask = randomBytes(4);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** Frames from a byte stream that may split or join them anywhere. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buf.length < 2) break;
      const b0 = this.buf[0];
      const b1 = this.buf[1];
      let len = b1 & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (this.buf.length < 4) break;
        len = this.buf.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) break;
        len = Number(this.buf.readBigUInt64BE(2));
        offset = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      const maskAt = offset;
      if (masked) offset += 4;
      if (this.buf.length < offset + len) break;
      let payload = this.buf.subarray(offset, offset + len);
      if (masked) {
        const mask = this.buf.subarray(maskAt, maskAt + 4);
        payload = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]));
      }
      frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload: Buffer.from(payload) });
      this.buf = this.buf.subarray(offset + len);
    }
    return frames;
  }
}

export interface WebSocketHandlers {
  /** A whole message (fragments joined); binary or text. */
  message(data: Buffer, binary: boolean): void;
  /** The connection ended: a close frame, the socket's end, or an error. */
  closed(err?: Error): void;
}

/** A client WebSocket over an upgraded socket: send() binary messages, close() politely. */
export class WebSocketConnection {
  private readonly reader = new FrameReader();
  private fragments: Buffer[] = [];
  private fragmentBinary = true;
  private ended = false;

  constructor(
    private readonly socket: Duplex,
    head: Buffer,
    private readonly handlers: WebSocketHandlers,
  ) {
    socket.on('data', (c: Buffer) => this.onData(c));
    socket.on('end', () => this.finish());
    socket.on('close', () => this.finish());
    socket.on('error', (e: Error) => this.finish(e));
    if (head.length) this.onData(head);
  }

  send(data: Buffer): void {
    if (!this.ended) this.socket.write(encodeFrame(OP.binary, data));
  }

  close(): void {
    if (this.ended) return;
    this.socket.write(encodeFrame(OP.close, Buffer.from([0x03, 0xe8])));
    this.socket.end();
  }

  /** Drop the connection at once (a timeout). */
  destroy(err?: Error): void {
    this.socket.destroy();
    this.finish(err);
  }

  private onData(chunk: Buffer): void {
    for (const f of this.reader.push(chunk)) {
      if (f.opcode === OP.ping) this.socket.write(encodeFrame(OP.pong, f.payload));
      else if (f.opcode === OP.close) {
        this.close();
        this.finish();
      } else if (f.opcode === OP.binary || f.opcode === OP.text || f.opcode === OP.continuation) {
        if (f.opcode !== OP.continuation) this.fragmentBinary = f.opcode === OP.binary;
        this.fragments.push(f.payload);
        if (f.fin) {
          const data = Buffer.concat(this.fragments);
          this.fragments = [];
          this.handlers.message(data, this.fragmentBinary);
        }
      }
    }
  }

  private finish(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.handlers.closed(err);
  }
}

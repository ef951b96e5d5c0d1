// The seam between the API client and the wire: what a request and its answer look like, and what any
// transport must do (Transport over HTTP in transport.ts; tests plug an in-memory API server in). Types
// and one error class only, so importing it loads no networking module.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import type { ExecRunner } from './credentials.js';

/** A non-2xx answer, with the status code and body mapApiError reads. */
export class HttpError extends Error {
  readonly code: number;
  readonly body: string;
  constructor(code: number, body: string) {
    super(`HTTP ${code}`);
    this.code = code;
    this.body = body;
  }
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: string;
  contentType?: string;
  accept?: string;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface StreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, decompressed; destroy it (or abort the signal) to stop. */
  body: Readable;
}

/** One attempt, for -v style logs and tests. */
export interface RequestEvent {
  method: string;
  url: string;
  attempt: number;
  status?: number;
  error?: string;
  proxy?: string;
}

/** How a stream is stopped and when it counts as dead. */
export interface StreamOptions {
  signal?: AbortSignal;
  idleTimeoutMs?: number;
}

/**
 * What the API client needs from the layer under it: Transport over HTTP, or anything else that answers
 * requests the same way (tests plug an in-memory API server in here). Non-2xx answers reject with an
 * error carrying the status as `code` and the body text as `body` (HttpError), as mapApiError reads them.
 */
export interface ApiTransport {
  /** The server's address, for messages. */
  server(): string;
  request(req: HttpRequest): Promise<HttpResponse>;
  /** A request whose body goes, as it arrives, to `consume`; non-2xx answers reject with HttpError. */
  read<T>(req: HttpRequest, consume: (body: Readable) => Promise<T>): Promise<T>;
  stream(req: HttpRequest, opts?: StreamOptions): Promise<StreamResponse>;
  /** Upgraded connections (WebSockets); a transport without them cannot port-forward or exec. */
  upgrade?(req: UpgradeRequest): Promise<{ res: IncomingMessage; socket: Duplex; head: Buffer }>;
  close(): void;
}

export interface UpgradeRequest {
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
}

export interface TransportOptions {
  userAgent: string;
  env?: NodeJS.ProcessEnv;
  /** Whether an exec plugin may prompt (client-go: stdin is a terminal). Default: fd 0 is a TTY. */
  stdinTerminal?: boolean;
  runExec?: ExecRunner;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Buffered requests without --request-timeout: give up after this long without data. */
  idleTimeoutMs?: number;
  onRequest?: (e: RequestEvent) => void;
}

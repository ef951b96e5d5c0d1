// Turns what the API client throws into one line a person can act on: which call, on what, where.
import { KubeApiError } from '../errors.js';

export interface ApiOperation {
  /** The verb as RBAC names it: get, list, watch, create, update, patch, delete. */
  verb: string;
  /** Resource as kubectl prints it: "deployments.apps", "services", "virtualservices.networking.istio.io". */
  resource: string;
  name?: string | undefined;
  namespace?: string | undefined;
}

export interface ApiTarget {
  context: string;
  server: string;
  user: string;
}

interface StatusBody {
  message?: string;
  reason?: string;
  details?: { causes?: { field?: string; message?: string; reason?: string; type?: string }[]; kind?: string; name?: string; group?: string };
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPROTO: 'the TLS handshake failed (does the server speak plain HTTP on this port?)',
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's certificate is self-signed and not trusted",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's certificate chain is not trusted",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate cannot be verified",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the server's certificate is not trusted",
  UNABLE_TO_GET_ISSUER_CERT: "the server's certificate is not trusted",
  CERT_UNTRUSTED: "the server's certificate is not trusted",
  CERT_SIGNATURE_FAILURE: "the server's certificate signature does not verify",
  CERT_NOT_YET_VALID: "the server's certificate is not valid yet (is the clock right?)",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate does not match its address",
  CERT_HAS_EXPIRED: "the server's certificate has expired",
};

/** Walk an error's cause chain for a system error code. */
export function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 6; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code in NETWORK_CODES) return code;
    const errors = (e as { errors?: unknown }).errors; // AggregateError from happy-eyeballs connects
    if (Array.isArray(errors)) {
      for (const inner of errors) {
        const c = networkCode(inner);
        if (c) return c;
      }
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function parseBody(body: unknown): StatusBody {
  if (typeof body === 'object' && body !== null) return body;
  if (typeof body !== 'string' || body === '') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    // A proxy or load balancer answered instead of the API server.
    if (/^\s*</.test(body)) return { message: 'an HTML page (a proxy or load balancer, not the Kubernetes API, answered)' };
    return { message: body.trim().split('\n')[0] };
  }
}

function subject(op: ApiOperation): string {
  return op.name ? `${op.resource} "${op.name}"` : op.resource;
}

function where(op: ApiOperation, t: ApiTarget): string {
  return op.namespace ? `in namespace "${op.namespace}" (context "${t.context}")` : `(context "${t.context}")`;
}

const MUTATING = new Set(['create', 'update', 'patch', 'delete']);

/** Map any error from an API call. Non-API errors (bugs) are returned unchanged. */
export function mapApiError(err: unknown, op: ApiOperation, target: ApiTarget): unknown {
  if (err instanceof KubeApiError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number' && code >= 100) {
    const body = parseBody((err as { body?: unknown }).body);
    const serverMsg = body.message ?? '';
    const reason = body.reason;
    const make = (m: string) => new KubeApiError(m, code, reason, { cause: err });
    switch (code) {
      case 401:
        return make(
          `unauthorized: the cluster at ${target.server} rejected the credentials of user "${target.user}" (context "${target.context}"); refresh them and check with 'kubectl auth whoami'`,
        );
      case 403:
        return make(
          `forbidden: ${serverMsg || `user "${target.user}" cannot ${op.verb} ${op.resource}`} (context "${target.context}"); ask for RBAC permission to ${op.verb} ${op.resource} or use another --context`,
        );
      case 404: {
        if (reason !== 'NotFound') {
          return make(`the server at ${target.server} does not serve ${op.resource} (context "${target.context}"); is its CRD or API installed?`);
        }
        // The missing thing may be another object, e.g. the namespace something is created in.
        const d = body.details;
        if (d?.kind && d.name && (d.name !== op.name || !op.resource.startsWith(d.kind))) {
          return make(`${d.kind}${d.group ? `.${d.group}` : ''} "${d.name}" not found (context "${target.context}"), needed to ${op.verb} ${subject(op)}`);
        }
        if (!op.name) return make(`${op.resource} not found ${where(op, target)}`);
        return make(`${subject(op)} not found ${where(op, target)}`);
      }
      case 409:
        if (reason === 'AlreadyExists') return make(`${subject(op)} already exists ${where(op, target)}`);
        if (body.details?.causes?.some((c) => c.reason === 'FieldManagerConflict' || c.type === 'FieldManagerConflict')) {
          // Server-side apply: another manager owns fields we set. Retrying cannot help.
          return new KubeApiError(`${subject(op)} ${where(op, target)}: ${serverMsg}`, code, 'FieldManagerConflict', { cause: err });
        }
        return make(`${subject(op)} kept changing while we updated it ${where(op, target)}; run the command again`);
      case 422: {
        const causes = (body.details?.causes ?? []).map((c) => [c.field, c.message].filter(Boolean).join(': ')).filter(Boolean);
        const detail = causes.length ? causes.join('; ') : serverMsg;
        return make(`the server rejected ${subject(op)} ${where(op, target)}: ${detail}`);
      }
      case 429:
        return make(`the server at ${target.server} is throttling requests (429) while trying to ${op.verb} ${op.resource}; try again shortly`);
      default: {
        const detail = serverMsg ? `: ${serverMsg}` : '';
        return make(`cannot ${op.verb} ${subject(op)} ${where(op, target)}: the server answered ${code}${detail}`);
      }
    }
  }
  if ((err as { code?: unknown }).code === 'KPLUGIN_NO_ANSWER') {
    const maybe = MUTATING.has(op.verb) ? '; the change may or may not have been applied: check before retrying' : '';
    return new KubeApiError(
      `the cluster at ${target.server} (context "${target.context}") did not answer ${op.verb} ${subject(op)}: ${(err as Error).message}${maybe}`,
      undefined,
      'Timeout',
      { cause: err },
    );
  }
  const sysCode = (err as { code?: unknown }).code;
  if (typeof sysCode === 'string' && sysCode.startsWith('ERR_OSSL')) {
    return new KubeApiError(
      `a certificate or key for context "${target.context}" cannot be used: ${(err as Error).message.replace(/^error:[0-9A-F]+:/, '')}; check the kubeconfig's certificate data`,
      undefined,
      sysCode,
      { cause: err },
    );
  }
  const net = networkCode(err);
  if (net) {
    const why = NETWORK_CODES[net];
    // The transport adds how to fix trust or names to TLS failures.
    const hint = (err as { hint?: unknown }).hint;
    return new KubeApiError(
      `cannot reach the cluster at ${target.server} (context "${target.context}"): ${why}; ${typeof hint === 'string' ? hint : 'is the cluster running and is this the right context?'}`,
      undefined,
      net,
      { cause: err },
    );
  }
  return err;
}

/** A 409 worth re-reading and retrying (not AlreadyExists, not an apply field-manager conflict). */
export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 409 && err.reason !== 'AlreadyExists' && err.reason !== 'FieldManagerConflict';
}

/**
 * A list of an API the cluster may not serve (Istio or Gateway API CRDs, autoscaling/v2): a 404 means
 * none; with alsoForbidden, so does a 403 (a cluster-wide kind the user may not read).
 */
export function optionalList<T>(p: Promise<T[]>, alsoForbidden = false): Promise<T[]> {
  return p.catch((err: unknown) => {
    if (err instanceof KubeApiError && (err.status === 404 || (alsoForbidden && err.status === 403))) return [] as T[];
    throw err;
  });
}

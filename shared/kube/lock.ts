// A mutex across kubectl invocations, held in a coordination.k8s.io Lease: multi-step changes that
// span several objects (scale one Deployment, then another) must not interleave with a second run of
// the same command, or the result would mix both. Each write is still conditional on its object.
import { CliError, KubeApiError } from '../errors.js';
import type { Clock } from '../context.js';
import type { Kube, KubeObject } from './client.js';
import { MANAGED_BY } from './ownership.js';
import { formatDuration } from './wait.js';

interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string };
}

export interface LockOptions {
  namespace: string;
  /** The Lease's name, e.g. kubectl-canary.new-nginx. */
  name: string;
  /** Who holds it, shown to whoever waits. */
  holder: string;
  /** How long the lock is valid without renewal (covers the whole operation). */
  ttlMs: number;
  /** How long to wait for another holder before giving up. */
  waitMs: number;
  clock: Clock;
  onWait?: (message: string) => void;
}

/** RFC 3339 with microseconds, the form a MicroTime field takes. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function leaseExpired(lease: Lease, now: Date): boolean {
  const since = Date.parse(lease.spec?.renewTime ?? lease.spec?.acquireTime ?? '');
  const ttl = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
  return !Number.isFinite(since) || since + ttl <= now.getTime();
}

export async function withLock<T>(kube: Kube, o: LockOptions, work: () => Promise<T>): Promise<T> {
  const ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name: o.name, namespace: o.namespace };
  const desired = (rv?: string): Lease => {
    const now = microTime(o.clock.now());
    return {
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: { name: o.name, namespace: o.namespace, labels: { [MANAGED_BY]: kube.fieldManager }, ...(rv ? { resourceVersion: rv } : {}) },
      spec: { holderIdentity: o.holder, leaseDurationSeconds: Math.ceil(o.ttlMs / 1000), acquireTime: now, renewTime: now },
    };
  };
  const start = o.clock.now().getTime();
  let ours: Lease | undefined;
  let lastWait = '';
  for (;;) {
    try {
      ours = await kube.create(desired());
      break;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 409 && err.reason === 'AlreadyExists')) throw err;
    }
    const held = await kube.find<Lease>(ref);
    if (held && leaseExpired(held, o.clock.now())) {
      try {
        ours = await kube.replace(desired(held.metadata?.resourceVersion)); // take over an abandoned lock
        break;
      } catch (err) {
        if (!(err instanceof KubeApiError && err.status === 409)) throw err;
        continue; // someone else took it first
      }
    }
    if (held) {
      if (o.clock.now().getTime() - start >= o.waitMs) {
        throw new CliError(
          `another run (${held.spec?.holderIdentity ?? 'unknown'}) is changing this now and holds lease/${o.name} in namespace "${o.namespace}"; ` +
            `try again when it is done, or if it died, remove the lock: kubectl delete lease ${o.name} -n ${o.namespace}`,
        );
      }
      const message = `waiting for ${held.spec?.holderIdentity ?? 'another run'} to finish (lease/${o.name}, up to ${formatDuration(o.waitMs)})`;
      if (message !== lastWait) o.onWait?.(message);
      lastWait = message;
      await o.clock.sleep(500);
    }
  }
  try {
    return await work();
  } finally {
    // Only our own lease: if it expired and another run took it over, that run's lease stays.
    await kube.delete(ref, { preconditionVersion: ours?.metadata?.resourceVersion }).catch(() => undefined); // it expires on its own if this fails
  }
}

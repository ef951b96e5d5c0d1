// A mutex across kubectl invocations, one per traffic target (a Service, a VirtualService, an Ingress,
// an ingress controller), held in a coordination.k8s.io Lease: multi-step changes that span several
// objects (scale one Deployment, then another) must not interleave with another run changing the same
// traffic, whatever canary or command it names. The holder renews a short lease while it works, so a
// crashed holder's lock is taken over within seconds; a waiter watches the Lease instead of polling.
// Each write is still conditional on its object.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { CliError, KubeApiError } from '../errors.js';
import type { Clock, CommandContext } from '../context.js';
import type { Kube } from './client.js';
import type { KubeObject, WatchEvent } from './object.js';
import { MANAGED_BY } from './ownership.js';
import { formatDuration } from './wait.js';

export interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string };
}

/** Where a lock lives: the Lease's namespace and name, and what it guards, for messages (e.g. service/nginx). */
export interface LockTarget {
  namespace: string;
  name: string;
  what: string;
}

const PREFIX = 'kubectl-traffic';
const MAX_NAME = 253;

/**
 * The lock of one traffic target: a Lease in the target's namespace named after its kind and name, the
 * same for every plugin (a canary's and a blue-green change of one VirtualService exclude each other).
 * A name too long for a Lease keeps a readable start and ends in a hash of the whole.
 */
export function lockTarget(kind: string, namespace: string, name: string): LockTarget {
  const k = kind.toLowerCase();
  const full = `${PREFIX}.${k}.${name}`;
  const what = `${k}/${name}`;
  if (full.length <= MAX_NAME) return { namespace, name: full, what };
  const hash = createHash('sha256').update(`${k}/${namespace}/${name}`).digest('hex').slice(0, 16);
  const head = full.slice(0, MAX_NAME - hash.length - 1).replace(/[.-]+$/, '');
  return { namespace, name: `${head}-${hash}`, what };
}

export interface LockOptions {
  /** The target's namespace and the Lease's name: from lockTarget. */
  namespace: string;
  name: string;
  /** What the lock guards, for messages (lockTarget's `what`); the Lease's name when absent. */
  what?: string;
  /** Who holds it, shown to whoever waits. */
  holder: string;
  /** How long the lock stays valid without a renewal (default 15 s); renewed every third of it while the work runs. */
  leaseMs?: number;
  /**
   * Accepted so call sites written for the earlier unrenewed lock still compile; not used: the lease is
   * short (leaseMs) and renewed while the work runs, whatever the work's length.
   */
  ttlMs?: number;
  /** How long to wait for another holder before giving up (the command's --timeout). */
  waitMs: number;
  clock: Clock;
  onWait?: (message: string) => void;
  /** A renewal failed (the first of a series), or the lock was lost to another run. */
  onRenewFailed?: (message: string) => void;
}

export const DEFAULT_LEASE_MS = 15_000;

/**
 * A command's lock options: held by "kubectl <plugin> <what> (user@host)", waiting up to waitMs (its
 * --timeout) with one line on stderr, renewal trouble as a warning.
 */
export function commandLock(ctx: CommandContext, target: LockTarget, what: string, waitMs: number): LockOptions {
  return {
    ...target,
    holder: `kubectl ${ctx.plugin} ${what} (${ctx.env['USER'] ?? 'unknown'}@${hostname()})`,
    waitMs,
    clock: ctx.clock,
    onWait: (m) => ctx.stderr.write(`${m}\n`),
    onRenewFailed: (m) => ctx.warn(m),
  };
}

/** RFC 3339 with microseconds, the form a MicroTime field takes. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const durationMs = (lease: Lease) => (lease.spec?.leaseDurationSeconds ?? 0) * 1000;

/** The lease's last renewal, by the holder's clock (NaN when it has none). */
function renewedAt(lease: Lease): number {
  return Date.parse(lease.spec?.renewTime ?? lease.spec?.acquireTime ?? '');
}

/** Expired by its own timestamps: not renewed for its duration (the holder's clock against ours). */
export function leaseExpired(lease: Lease, now: Date): boolean {
  const since = renewedAt(lease);
  return !Number.isFinite(since) || since + durationMs(lease) <= now.getTime();
}

/**
 * When a waiter may take the lease over: once this version of it has gone unrenewed for its duration
 * as the waiter's own clock measures from when it first saw it (client-go's rule: no trust in the
 * holder's clock), or at once when its renewTime is more than two durations old (a holder long dead;
 * the margin absorbs clock skew up to a duration).
 */
export function takeoverAt(lease: Lease, firstSeenMs: number): number {
  const since = renewedAt(lease);
  const byOwnClock = firstSeenMs + durationMs(lease);
  return Number.isFinite(since) ? Math.min(byOwnClock, since + 2 * durationMs(lease)) : firstSeenMs;
}

/** Renews our lease every third of its duration until stopped; reports failures once per series. */
class Renewal {
  lease: Lease;
  lost = false;
  /** Aborted by stop(): ends the pause before the next renewal. */
  private readonly stopping = new AbortController();
  private inFlight: Promise<void> = Promise.resolve();
  private failing = false;
  private stopped = false;

  constructor(
    private readonly kube: Kube,
    lease: Lease,
    private readonly o: LockOptions,
    private readonly everyMs: number,
  ) {
    this.lease = lease;
    this.schedule();
  }

  /** The next renewal, everyMs from now on the lock's clock. */
  private schedule(): void {
    if (this.stopped || this.lost) return;
    void this.o.clock.sleep(this.everyMs, this.stopping.signal).then(() => {
      if (this.stopped) return;
      this.inFlight = this.renew().finally(() => this.schedule());
    });
  }

  private async renew(): Promise<void> {
    const spec = { ...this.lease.spec, renewTime: microTime(this.o.clock.now()) };
    try {
      this.lease = await this.kube.replace<Lease>({ ...this.lease, spec });
      this.failing = false;
    } catch (err) {
      const where = `lease/${this.o.name} in namespace "${this.o.namespace}"`;
      if (err instanceof KubeApiError && (err.status === 409 || (err.status === 404 && err.reason === 'NotFound'))) {
        // Another run took it over (our renewals lapsed) or someone deleted it: it is no longer ours.
        this.lost = true;
        this.o.onRenewFailed?.(
          `lost the lock on ${this.o.what ?? this.o.name} (${where} was taken over or removed while this run worked); check the result with a status command`,
        );
      } else if (!this.failing) {
        this.failing = true;
        this.o.onRenewFailed?.(`could not renew ${where} (${(err as Error).message}); retrying`);
      }
    }
  }

  /** Stop renewing; resolves once a renewal under way has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    await this.inFlight;
  }
}

/**
 * Wait for an event on `events` or `ms`, whichever comes first; the pending next() is kept across
 * calls so no event is lost.
 */
class EventWait<T> {
  private readonly queue: T[] = [];
  private ended: { error?: Error } | undefined;
  private wake: (() => void) | undefined;
  constructor(
    private readonly clock: Clock,
    start: (onEvent: (e: T) => void) => Promise<void>,
  ) {
    start((e) => {
      this.queue.push(e);
      this.wake?.();
    }).then(
      () => this.end({}),
      (error: unknown) => this.end({ error: error instanceof Error ? error : new Error(String(error)) }),
    );
  }
  private end(how: { error?: Error }): void {
    this.ended = how;
    this.wake?.();
  }
  /** The next event; done when the watch ended; 'timeout' when none came within ms. */
  async next(ms: number): Promise<IteratorResult<T> | 'timeout'> {
    if (!this.queue.length && !this.ended) {
      // A pause on the clock, cancelled when an event comes first: a wait of minutes must not outlive the lock.
      const cancel = new AbortController();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        void this.clock.sleep(Math.max(ms, 0), cancel.signal).then(resolve);
      });
      cancel.abort();
      this.wake = undefined;
    }
    const e = this.queue.shift();
    if (e !== undefined) return { value: e, done: false };
    if (this.ended?.error !== undefined) throw this.ended.error;
    if (this.ended) return { value: undefined, done: true };
    return 'timeout';
  }
}

export async function withLock<T>(kube: Kube, o: LockOptions, work: () => Promise<T>): Promise<T> {
  const leaseMs = o.leaseMs ?? DEFAULT_LEASE_MS;
  const ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name: o.name, namespace: o.namespace };
  const desired = (rv?: string): Lease => {
    const now = microTime(o.clock.now());
    return {
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: { name: o.name, namespace: o.namespace, labels: { [MANAGED_BY]: kube.fieldManager }, ...(rv ? { resourceVersion: rv } : {}) },
      spec: { holderIdentity: o.holder, leaseDurationSeconds: Math.max(1, Math.ceil(leaseMs / 1000)), acquireTime: now, renewTime: now },
    };
  };
  const start = o.clock.now().getTime();
  const deadline = start + o.waitMs;
  let watch: { events: EventWait<WatchEvent<Lease>>; stop: AbortController } | undefined;
  const dropWatch = () => {
    watch?.stop.abort();
    watch = undefined;
  };
  let ours: Lease | undefined;
  let waited = false;
  let noWatch = false;
  /** When the current watch was opened (by our clock). */
  let openedAt = 0;
  /**
   * A watch that ends or reports an error within a second of opening (a server that cannot serve it)
   * is opened again only after a pause: reading, creating and watching again straight away made 100
   * requests a second for as long as the holder's lease had to run.
   */
  const reopenPause = async (until: number) => {
    const now = o.clock.now().getTime();
    if (now - openedAt < 1000) await o.clock.sleep(Math.max(0, Math.min(openedAt + 1000, until) - now));
  };
  try {
    acquire: for (;;) {
      try {
        ours = await kube.create(desired());
        break;
      } catch (err) {
        if (!(err instanceof KubeApiError && err.status === 409 && err.reason === 'AlreadyExists')) throw err;
      }
      let held: Lease | undefined;
      let seen = o.clock.now().getTime();
      if (!watch) {
        // Read as a list of one: its resourceVersion is the server's current one. A watch from the Lease's
        // own version fails (410) once that version is older than the server keeps watch history for: a
        // holder that died a while ago, on a cluster whose node Leases renew many times a second, or
        // right after an API server restart.
        const read = await kube.listSnapshot<Lease>(ref.apiVersion, ref.kind, { namespace: o.namespace, fieldSelector: `metadata.name=${o.name}` });
        held = read.items[0];
        if (!held) continue; // released between our create and our read
        // Watch this Lease from the version read: renewals, a new holder, or its deletion arrive as events.
        if (!noWatch) {
          const stop = new AbortController();
          const timeoutSeconds = Math.max(1, Math.ceil((deadline - seen) / 1000) + 1);
          const from = read.resourceVersion;
          const events = new EventWait<WatchEvent<Lease>>(o.clock, (onEvent) =>
            kube.watch<Lease>(
              ref.apiVersion,
              ref.kind,
              { namespace: o.namespace, fieldSelector: `metadata.name=${o.name}`, resourceVersion: from, timeoutSeconds, signal: stop.signal },
              onEvent,
            ),
          );
          watch = { events, stop };
          openedAt = o.clock.now().getTime();
        }
      }
      // Watching already: the Lease that beat our create arrives as the next event, no read needed.
      for (;;) {
        const now = o.clock.now().getTime();
        const due = held ? takeoverAt(held, seen) : Infinity;
        if (held && now >= due) {
          try {
            ours = await kube.replace(desired(held.metadata?.resourceVersion)); // take over an abandoned lock
            break acquire;
          } catch (err) {
            if (!(err instanceof KubeApiError && (err.status === 409 || err.status === 404))) throw err;
            continue acquire; // someone else took it, or it was released: read again
          }
        }
        if (now >= deadline) {
          throw new CliError(
            `another run (${held?.spec?.holderIdentity ?? 'unknown'}) is changing ${o.what ?? 'this'} now and holds lease/${o.name} in namespace "${o.namespace}"; ` +
              `try again when it is done (a run that died loses it ${formatDuration(held ? durationMs(held) : leaseMs)} after its last renewal)`,
          );
        }
        if (!waited) o.onWait?.(`waiting for ${held?.spec?.holderIdentity ?? 'another run'} to finish (lease/${o.name}, up to ${formatDuration(o.waitMs)})`);
        waited = true;
        const wake = Math.min(due, deadline) - now;
        if (!watch) {
          await o.clock.sleep(Math.min(1000, Math.max(wake, 0)));
          continue acquire;
        }
        let got: Awaited<ReturnType<typeof watch.events.next>>;
        try {
          got = await watch.events.next(wake);
        } catch (err) {
          // Not allowed to watch Leases, or the watch broke: read it again in a second instead.
          if (!(err instanceof KubeApiError)) throw err;
          dropWatch();
          noWatch = true;
          continue;
        }
        if (got === 'timeout') continue;
        if (got.done) {
          dropWatch(); // the server closed the watch: read again and watch anew
          await reopenPause(Math.min(due, deadline));
          continue acquire;
        }
        const e = got.value;
        if (e.type === 'DELETED') continue acquire;
        if (e.type === 'ERROR') {
          dropWatch(); // e.g. 410 Gone: our version is too old to watch from
          await reopenPause(Math.min(due, deadline));
          continue acquire;
        }
        if (e.type === 'ADDED' || e.type === 'MODIFIED') {
          held = e.object;
          seen = o.clock.now().getTime();
        }
      }
    }
  } finally {
    dropWatch();
  }
  const renewal = new Renewal(kube, ours, o, Math.max(200, Math.floor(leaseMs / 3)));
  try {
    return await work();
  } finally {
    await renewal.stop();
    // Only our own lease: if it lapsed and another run took it over, that run's lease stays.
    if (!renewal.lost) await kube.delete(ref, { preconditionVersion: renewal.lease.metadata?.resourceVersion }).catch(() => undefined); // it expires on its own if this fails
  }
}

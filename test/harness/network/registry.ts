// What each run's network made on this machine, in /run/kplugins-network/<id>.json: the claim of its
// addresses (taken under a machine-wide lock, so runs of other sessions never pick the same ones) and
// the list the stop, the crash reaper and the next run's sweep remove.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { isOurs, isRunning } from '../processes.js';
import { ip } from './ip.js';

export const REGISTRY = process.env['KPLUGINS_NETWORK_REGISTRY'] ?? '/run/kplugins-network';
/** Every name this harness gives a namespace or an interface starts with it. */
export const PREFIX = 'kpn';

export interface OwnedProcess {
  name: string;
  pid: number;
  match: string;
}

export interface NetworkRecord {
  id: string;
  /** The process that owns the network; when it dies without stopping it, the reaper removes it all. */
  ownerPid: number;
  /** A playground's network outlives its starter; only its own stop removes it. */
  detached: boolean;
  /** Network namespaces, the cluster's first. */
  netns: string[];
  /** Interfaces on this machine's side (deleting one deletes its peer, and the routes through it). */
  hostLinks: string[];
  /** Processes outside the namespaces to stop with the network (the cluster's control plane). */
  processes: OwnedProcess[];
  /** Temp folders of the run (the cluster's), removed last. */
  dirs?: string[];
  createdAt: string;
}

const file = (id: string) => join(REGISTRY, `${id}.json`);

export function writeRecord(r: NetworkRecord): void {
  mkdirSync(REGISTRY, { recursive: true });
  writeFileSync(file(r.id), JSON.stringify(r, null, 2));
}

export function readRecord(id: string): NetworkRecord | undefined {
  try {
    return JSON.parse(readFileSync(file(id), 'utf8')) as NetworkRecord;
  } catch {
    return undefined;
  }
}

export function listRecords(): NetworkRecord[] {
  let names: string[];
  try {
    names = readdirSync(REGISTRY).filter((f) => f.startsWith(PREFIX) && f.endsWith('.json'));
  } catch {
    return [];
  }
  return names.map((f) => readRecord(f.slice(0, -5))).filter((r): r is NetworkRecord => r !== undefined);
}

/**
 * Hold the machine-wide lock while choosing and creating addresses: a directory made atomically, with
 * the holder's pid inside so a lock left by a killed process is taken over.
 */
export async function withMachineLock<T>(fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  mkdirSync(REGISTRY, { recursive: true });
  const lock = join(REGISTRY, 'lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      let holder = 0;
      try {
        holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        /* being written or removed */
      }
      if (holder && !isRunning(holder)) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`the network lock ${lock} is held by pid ${holder || '?'}; is another run stuck?`);
      else await new Promise((r) => setTimeout(r, 20));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function netnsPids(ns: string): Promise<number[]> {
  const r = await execa('ip', ['netns', 'pids', ns], { reject: false, stdin: 'ignore' });
  return r.exitCode === 0 ? r.stdout.split(/\s+/).filter(Boolean).map(Number) : [];
}

async function killAll(pids: number[], graceMs: number): Promise<void> {
  const signal = (sig: NodeJS.Signals) =>
    pids.forEach((p) => {
      try {
        process.kill(p, sig);
      } catch {
        /* gone */
      }
    });
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  signal('SIGKILL');
  while (pids.some(isRunning) && Date.now() < deadline + 2000) await new Promise((r) => setTimeout(r, 20));
}

/**
 * Remove everything a record lists: processes in its namespaces (and the ones it adopted), then the
 * links on this machine's side (their routes go with them), then the namespaces (their nftables
 * tables go with them). Safe to run twice.
 */
export async function removeRecorded(r: NetworkRecord, graceMs = 3000): Promise<void> {
  const inside = (await Promise.all(r.netns.map(netnsPids))).flat();
  const adopted = r.processes.filter((p) => isRunning(p.pid) && isOurs(p.pid, p.match)).map((p) => p.pid);
  await killAll([...new Set([...inside, ...adopted])], graceMs);
  for (const link of r.hostLinks) await ip(['link', 'del', link]).catch(() => {});
  for (const ns of [...r.netns].reverse()) await ip(['netns', 'del', ns]).catch(() => {});
  for (const d of r.dirs ?? []) rmSync(d, { recursive: true, force: true });
  rmSync(file(r.id), { force: true });
}

/** Remove the networks of runs that died without stopping them (not a detached one: its own stop does). */
export async function sweepDead(): Promise<string[]> {
  const dead = listRecords().filter((r) => !r.detached && !isRunning(r.ownerPid));
  for (const r of dead) await removeRecorded(r, 1000);
  return dead.map((r) => r.id);
}

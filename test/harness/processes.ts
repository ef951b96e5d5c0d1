// Child processes of the harness: logged to files, stopped on stop(), on test failure and on interrupt.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let hooked = false;

/** Remove this folder if the process exits before stop() does (a failed or interrupted test). */
export function removeOnExit(dir: string): () => void {
  hookExit();
  dirs.add(dir);
  return () => void dirs.delete(dir);
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const p of live) {
      try {
        p.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

export interface Started {
  name: string;
  pid: number;
  /** A string its command line contains (the executable or script path): how a later run recognises it. */
  match: string;
  log: string;
  /** How it was started (the same command starts it again on the same data). */
  cmd: string;
  args: string[];
  child: ChildProcess;
  /** Resolves when the process exits. */
  exited: Promise<number | null>;
}

/** Start a process with stdout/stderr to a log file. detached: survives this process (the playground). */
export function startProcess(
  name: string,
  cmd: string,
  args: string[],
  log: string,
  opts: { detached?: boolean; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Started {
  const fd = openSync(log, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], detached: Boolean(opts.detached), env: opts.env ?? process.env, cwd: opts.cwd });
  closeSync(fd);
  if (!child.pid) throw new Error(`could not start ${name} (${cmd})`);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (opts.detached) {
    child.unref();
  } else {
    hookExit();
    live.add(child);
    void exited.then(() => live.delete(child));
  }
  return { name, pid: child.pid, match: args.find((a) => a.endsWith('.js')) ?? cmd, log, cmd, args, child, exited };
}

/** SIGTERM, then SIGKILL after graceMs. */
export async function stopProcess(p: Started, graceMs = 5000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** Is the process running? A zombie (exited, not yet reaped by its new parent) counts as gone. */
export function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    try {
      process.kill(pid, 0); // no /proc (macOS): fall back to a signal probe
      return true;
    } catch {
      return false;
    }
  }
}

/** Is pid still the process we started (not another one that reused the pid after a reboot)? */
export function isOurs(pid: number, match: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(match);
  } catch {
    return isRunning(pid);
  }
}

/** Stop a process by pid (one started detached by an earlier run), if it is still the one we started. */
export async function stopPid(pid: number, match: string, graceMs = 5000): Promise<void> {
  const alive = () => isRunning(pid);
  if (!alive() || !isOurs(pid, match)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive()) process.kill(pid, 'SIGKILL');
}

/** A free TCP port on host, loopback by default (the kernel picks; the harness binds right after). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

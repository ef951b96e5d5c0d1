// Run a plugin command in this process, as main() runs it (argv in; stdout, stderr and the exit code
// out), against an in-memory API server and a fake clock: the command's clients are made by IO.connect
// over the memory cluster's transport, its sleeps are the fake clock's, and Ctrl-C is a call.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IO } from '../../shared/context.js';
import { Kube } from '../../shared/kube/client.js';
import { type KubeObject } from '../../shared/kube/object.js';
import { runCli } from '../../shared/run.js';
import type { PluginDefinition } from '../../shared/cli/command.js';
import { Buffer, type RunResult } from './buffers.js';
import { FakeClock, settle } from './fake-clock.js';
import { MemoryCluster } from './memory-cluster.js';

let kubeconfig: string | undefined;

/** A kubeconfig naming the memory cluster (context "memory", namespace "default"): real loading, no server. */
function memoryKubeconfig(): string {
  if (kubeconfig) return kubeconfig;
  const file = join(mkdtempSync(join(tmpdir(), 'inprocess-')), 'config');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: memory, cluster: {server: "https://memory.cluster.test"}}]',
      'users: [{name: tester, user: {token: memory-token}}]',
      'contexts: [{name: memory, context: {cluster: memory, user: tester, namespace: default}}]',
      'current-context: memory',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return (kubeconfig = file);
}

/** A cluster and a clock shared by the commands of one test. */
export interface World {
  cluster: MemoryCluster;
  clock: FakeClock;
}

export function world(): World {
  const clock = new FakeClock();
  return { clock, cluster: new MemoryCluster({ clock }) };
}

/** A command running in-process: its output so far, Ctrl-C, and its result once it ends. */
export interface Running {
  stdout: Buffer;
  stderr: Buffer;
  /** Ctrl-C, as main() delivers the first SIGINT. */
  interrupt(): void;
  /** Set once the command has returned. */
  result: RunResult | undefined;
  done: Promise<RunResult>;
}

/** Start a command; it runs as far as it can without the clock moving (settle, advance the clock to go on). */
export function start(plugin: PluginDefinition, argv: string[], w: World, env: NodeJS.ProcessEnv = {}): Running {
  const stdout = new Buffer();
  const stderr = new Buffer();
  const handlers: (() => void)[] = [];
  const io: IO = {
    stdout,
    stderr,
    env: { HOME: '/nonexistent-home', KUBECONFIG: memoryKubeconfig(), NO_COLOR: '1', ...env },
    clock: w.clock,
    connect: (config, fieldManager) => new Kube(config, fieldManager, { env: {}, transport: w.cluster.transport(config.server) }),
    interrupts: (h) => void handlers.push(h),
  };
  const running: Running = {
    stdout,
    stderr,
    interrupt: () => handlers.splice(0).forEach((h) => h()),
    result: undefined,
    done: runCli(plugin, argv, io).then((code) => (running.result = { code, stdout: stdout.text, stderr: stderr.text })),
  };
  return running;
}

/**
 * Let the command run until `cond` holds, without moving the clock. Bounded by real time (modules a
 * command loads on first use take some): a condition that never comes fails the test.
 */
export async function until(what: string, cond: () => boolean, limitMs = 5000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`in-process: still waiting for ${what}`);
    await settle(1);
  }
}

/**
 * Run a command to its end: whenever it waits on the clock with nothing else to do, time moves to its
 * next wake-up. Bounded: a command that never ends fails the test instead of hanging it.
 */
export async function run(plugin: PluginDefinition, argv: string[], w: World, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const r = start(plugin, argv, w, env);
  return finish(r, w);
}

/**
 * Drive a started command to its end the same way (advancing the clock as it sleeps). While nothing
 * sleeps on the clock the command waits on real I/O (a probe's requests): a millisecond of real time.
 */
export async function finish(r: Running, w: World, limitMs = 10_000): Promise<RunResult> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    await settle();
    if (r.result) return r.result;
    if (w.clock.sleeping().length) await w.clock.next();
    else await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`in-process: the command did not end within ${limitMs} ms of real time; stdout so far: ${r.stdout.text}`);
}

/** What the EndpointSlice controller writes for a Service with `ready` ready pods (the memory cluster runs no controller). */
export function endpointSlice(namespace: string, service: string, ready: number): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-abcde`, namespace, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints: Array.from({ length: ready }, (_, i) => ({ addresses: [`10.1.0.${i + 1}`], conditions: { ready: true } })),
    ports: [{ port: 80, protocol: 'TCP' }],
  };
}

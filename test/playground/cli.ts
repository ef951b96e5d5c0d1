// `npm run playground [-- start|stop|status]`: a local cluster with the seeds' scenarios and the
// loopback data plane, left running in the background between commands.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attachCluster, startCluster, until, type ClusterState } from '../harness/cluster.js';
import { Istiod, type IstiodState } from '../harness/istiod.js';
import { removeNetwork } from '../harness/network/network.js';
import { kubeProxyServes, readyEndpoints } from '../support/endpoints.js';
import { freePort, isOurs, isRunning, startProcess, stopPid } from '../harness/processes.js';
import { REPO_ROOT, binDir } from '../harness/binaries.js';
import { servePrometheus } from '../harness/prometheus.js';
import { meshInstructions, meshRunning, readMeshState, startMeshPlayground, stopMeshPlayground } from './mesh.js';
import type { TracingKind } from '../harness/tracing.js';
import { startPlaygroundTracing, type PlaygroundTracing } from './tracing.js';

// State lives outside the repo; KPLUGINS_PLAYGROUND_DIR moves it (tests run their own playground).
const HOME =
  process.env['KPLUGINS_PLAYGROUND_DIR'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'kubectl-traffic-plugins', 'playground');
const STATE = join(HOME, 'playground.json');
const SCENARIOS = fileURLToPath(new URL('../../../test/playground/scenarios', import.meta.url));

interface PlaygroundState {
  cluster: ClusterState;
  dataplane: { pid: number; port: number; log: string; match: string; cmd?: string; args?: string[] };
  /** With the network: the nginx LoadBalancer address of seed 001 chapter 1. */
  nginxAddress?: string;
  /** With the network: Istio's Prometheus addon (istio-system/prometheus:9090) at this pod address. */
  prometheusUrl?: string;
  /** With the network: seed 001 chapter 4's Jaeger (or Zipkin) as the addon's tracing pod. */
  tracing?: PlaygroundTracing;
}

function readState(): PlaygroundState | undefined {
  if (!existsSync(STATE)) return undefined;
  return JSON.parse(readFileSync(STATE, 'utf8')) as PlaygroundState;
}

async function running(state: PlaygroundState): Promise<boolean> {
  if (![...state.cluster.processes, state.dataplane].every((p) => isRunning(p.pid) && isOurs(p.pid, p.match))) return false;
  const r = await attachCluster(join(state.cluster.dir, 'state.json')).kubectl(['get', '--raw', '/readyz'], { reject: false });
  return r.exitCode === 0;
}

function istiodLines(i: IstiodState | undefined): string {
  if (!i) return 'istiod is not running (started with --no-istiod).\n';
  const at = (p: number) => `${i.address}:${p}`;
  return `istiod (pilot-discovery, cluster ID ${i.clusterName}, network ${i.network}) is running, pid ${i.pid}, log ${i.log}:
  debug and /ready   http://${at(i.ports.http)}/debug/registryz  (also /debug/endpointz, /debug/clusterz)
  xDS                ${at(i.ports.grpc)} (plain, the pod's 15010), ${at(i.ports.secureGrpc)} (TLS and CA, 15012)
  webhooks           https://${at(i.ports.webhook)}/validate (15017; the API server sends Istio objects here)
  monitoring         http://${at(i.ports.monitoring)}/metrics (15014)
`;
}

function instructions(s: PlaygroundState): string {
  const dp = `http://127.0.0.1:${s.dataplane.port}`;
  const net = s.cluster.network;
  const vm = net?.hosts[0];
  const chapter1 = s.nginxAddress
    ? `for x in $(seq 10); do curl -s http://${s.nginxAddress}/; done                  # chapter 1's curl loop: the nginx LoadBalancer, through kube-proxy`
    : `for x in $(seq 10); do curl -s -H 'Host: nginx.default' ${dp}/; done        # chapter 1's curl loop`;
  const network = net
    ? `
The cluster has a real network (namespace ${net.netns}): pod IPs answer with their pod's version, and
Services (ClusterIP ${net.serviceCIDR}, LoadBalancer ${net.loadBalancerCIDR}) go through kube-proxy (${net.kubeProxyMode} mode).${
        vm
          ? `
Seed 001 chapter 5's VM (a Debian root of its own): ssh -F ${vm.sshConfig} root@${vm.address}`
          : ''
      }${
        s.prometheusUrl
          ? `
Istio's Prometheus addon (service istio-system/prometheus:9090, at ${s.prometheusUrl}) scrapes the pods' Istio metrics:
  kubectl canary analyze new-nginx --since 1m    # the canary's real traffic: requests, error rate (5xx)`
          : ''
      }
`
    : '';
  const t = s.tracing;
  const tracing = t
    ? `
Seed 001 chapter 4: a real ${t.kind === 'jaeger' ? 'Jaeger' : 'Zipkin'} is the tracing pod in istio-system (query API ${t.queryUrl}),
with ${t.requests} Bookinfo requests from the last hour. kubectl trace reads it through the API server:
  kubectl trace list --service productpage.default --limit 5
  kubectl trace deps --since 1h
`
    : '';
  return `
The playground is running (cluster ${s.cluster.name}, API ${s.cluster.server}).
${istiodLines(s.cluster.istiod)}
  export KUBECONFIG=${s.cluster.kubeconfig}
  export PATH=${join(REPO_ROOT, 'dist', 'bin')}:${binDir(['kubectl'])}:$PATH

Try:
  kubectl get deploy,svc -A                       # seed 001 (default, ingress-demo) and 002 (bookinfo)
  kubectl canary context                          # the plugins act on this cluster
  ${chapter1}
  curl -s -H 'Host: mini-echo.io' ${dp}/                                       # chapter 2's Ingress echo
  kubectl bluegreen set echo new-nginx 50 --provider aliyun -n ingress-demo     # chapter 2: half of mini-echo.io to new-nginx
  curl -s -H 'Host: reviews.bookinfo' ${dp}/                                   # seed 002: v1, v2 or v3 until a VirtualService routes it

The data plane at ${dp} answers like kube-proxy, the Ingress and Istio would: the body is the version
of the pod that served the request${net ? ' (routing is decided there, the pod itself answers)' : ''}.
${network}${tracing}Stop everything with: npm run playground -- stop
`;
}

async function start(withIstiod: boolean, tracing: TracingKind | 'none'): Promise<void> {
  const t0 = Date.now();
  const prev = readState();
  if (prev && (await running(prev))) {
    process.stdout.write(`Reusing the running playground.\n${instructions(prev)}`);
    return;
  }
  if (prev && (await revive(prev))) return;
  if (prev) await stop(true);
  mkdirSync(HOME, { recursive: true });
  const dir = join(HOME, 'cluster');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const log = (m: string) => process.stderr.write(`[playground] ${m}\n`);
  const cluster = await startCluster({
    name: 'playground',
    dir,
    detached: true,
    podCIDR: '10.244.0.0/16',
    serviceCIDR: '10.96.0.0/16',
    network: true,
    nodes: [
      { name: 'worker-1', zone: 'cn-hangzhou-g' },
      { name: 'worker-2', zone: 'cn-hangzhou-h' },
      { name: 'worker-3', zone: 'cn-hangzhou-i' },
    ],
    istiod: withIstiod,
    log,
  });
  try {
    for (const f of readdirSync(SCENARIOS)
      .filter((x) => x.endsWith('.yaml'))
      .sort()) {
      log(`loading scenario ${f}`);
      await cluster.apply(readFileSync(join(SCENARIOS, f), 'utf8'));
    }
    await cluster.kubectl(['wait', '--for=condition=Available', 'deployment', '--all', '-A', '--timeout=60s']);
    // Chapter 1's Service lists both pods before anyone curls it (EndpointSlices trail pod readiness).
    await readyEndpoints(cluster, 'default', 'nginx', 2, 60_000);
    const dpLog = join(dir, 'logs', 'dataplane.log');
    const dpScript = fileURLToPath(new URL('./dataplane.js', import.meta.url));
    const port = await freePort();
    const net = cluster.network;
    const dp = startProcess(
      'dataplane',
      process.execPath,
      [dpScript, '--kubeconfig', cluster.kubeconfig, '--port', String(port), ...(net ? ['--network-device', net.state.hostLink] : [])],
      dpLog,
      { detached: true },
    );
    const state: PlaygroundState = {
      cluster: cluster.state,
      dataplane: { pid: dp.pid, port, log: dpLog, match: dp.match, cmd: dp.cmd, args: dp.args },
    };
    if (net) {
      // Chapter 1: the nginx Service's LoadBalancer address, once the pool has given it one.
      await until(
        'the nginx LoadBalancer address',
        async () => {
          const r = await cluster.kubectl(['get', 'svc', 'nginx', '-n', 'default', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}']);
          state.nginxAddress = r.stdout.trim() || undefined;
          return Boolean(state.nginxAddress);
        },
        15_000,
      );
      await kubeProxyServes(cluster, state.nginxAddress!, 'default', 'nginx');
      // Istio's Prometheus addon, scraping the pods' Istio metrics (kubectl canary analyze, run --prometheus).
      await servePrometheus(cluster, { dir: join(dir, 'prometheus') }).then(
        (p) => (state.prometheusUrl = p.url),
        (err: Error) => log(`no Prometheus: ${err.message}`),
      );
      // Chapter 5: the VM that joins the mesh, at the seed's address (unless another run holds it).
      await net.addHost({ name: 'mesh-vm', address: '192.168.3.202' }).catch((err: Error) => log(`no VM host for chapter 5: ${err.message}`));
      // Chapter 4: the tracing addon's pod served by a real Jaeger (or Zipkin), Bookinfo's hour posted.
      if (tracing !== 'none') {
        log(`starting ${tracing} as the tracing pod in istio-system`);
        state.tracing = await startPlaygroundTracing(cluster, tracing, dir).catch((err: Error) => {
          log(`no tracing backend for chapter 4: ${err.message}`);
          return undefined;
        });
      }
    }
    // Ready when it answers its health check.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/__dataplane/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline || !isRunning(dp.pid)) {
        await stopPid(dp.pid, dp.match);
        throw new Error(`the data plane did not start; see ${dpLog}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    writeFileSync(STATE, JSON.stringify(state, null, 2));
    log(
      `cluster${withIstiod ? ' and istiod' : ''} ready in ${(cluster.state.startupMs / 1000).toFixed(1)} s, scenarios and data plane loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s in all`,
    );
    process.stdout.write(instructions(state));
  } catch (err) {
    await cluster.stop({ keepDir: true });
    throw err;
  }
}

/**
 * A control-plane process died (the API server killed, say) while its data is intact: start the dead
 * ones again on their own etcd data, certificates and ports, and the data plane with them, instead of
 * wiping the cluster. False when that does not bring it back (then it is started afresh).
 */
async function revive(prev: PlaygroundState): Promise<boolean> {
  const log = (m: string) => process.stderr.write(`[playground] ${m}\n`);
  if (!existsSync(join(prev.cluster.dir, 'etcd'))) return false;
  try {
    const cluster = attachCluster(join(prev.cluster.dir, 'state.json'));
    const restarted = await cluster.restart();
    const dp = prev.dataplane;
    if (!(isRunning(dp.pid) && isOurs(dp.pid, dp.match))) {
      if (!dp.cmd || !dp.args) return false;
      const again = startProcess('dataplane', dp.cmd, dp.args, dp.log, { detached: true });
      prev.dataplane = { ...dp, pid: again.pid, match: again.match };
      restarted.push('dataplane');
    }
    prev.cluster = cluster.state;
    writeFileSync(STATE, JSON.stringify(prev, null, 2));
    if (!(await running(prev))) return false;
    log(`restarted ${restarted.join(', ') || 'nothing'} on the playground's own data`);
    process.stdout.write(`The playground was restarted on its own data (${restarted.join(', ')}).\n${instructions(prev)}`);
    return true;
  } catch (err) {
    log(`could not restart the playground on its data (${(err as Error).message}); starting a new one`);
    return false;
  }
}

async function stop(quiet = false): Promise<void> {
  const s = readState();
  if (!quiet && (await stopMeshPlayground(HOME))) process.stdout.write('Mesh playground stopped and removed.\n');
  if (!s) {
    if (!quiet) process.stdout.write('No playground is running.\n');
    return;
  }
  await stopPid(s.dataplane.pid, s.dataplane.match);
  for (const p of [...s.cluster.processes].reverse()) await stopPid(p.pid, p.match);
  if (s.cluster.network) await removeNetwork(s.cluster.network);
  rmSync(s.cluster.dir, { recursive: true, force: true });
  rmSync(STATE, { force: true });
  if (!quiet) process.stdout.write(`Playground ${s.cluster.name} stopped and removed.\n`);
}

async function status(): Promise<number> {
  const s = readState();
  const mesh = readMeshState(HOME);
  if (mesh) {
    if (!meshRunning(mesh)) {
      process.stdout.write('The mesh playground is not healthy; restart it with: npm run playground -- stop && npm run playground -- --clusters 2\n');
      return 1;
    }
    process.stdout.write(meshInstructions(mesh));
    if (!s) return 0;
  }
  if (!s) {
    process.stdout.write('No playground is running. Start one with: npm run playground\n');
    return 1;
  }
  if (!(await running(s))) {
    const dead = [...s.cluster.processes, { name: 'dataplane', pid: s.dataplane.pid }].filter((p) => !isRunning(p.pid)).map((p) => p.name);
    process.stdout.write(
      `The playground is not healthy${dead.length ? ` (not running: ${dead.join(', ')})` : ''}; npm run playground restarts it on its own data (to start afresh: npm run playground -- stop && npm run playground)\n`,
    );
    const crash = s.cluster.istiod && new Istiod(s.cluster.istiod).crashReport();
    if (crash) process.stdout.write(`${crash}\n`);
    return 1;
  }
  process.stdout.write(instructions(s));
  return 0;
}

// --clusters N (seed 001 chapter 6's mesh of N clusters, mesh.ts) and --tracing jaeger|zipkin|none
// (start only) take a value: neither is the command.
const argv = process.argv.slice(2).flatMap((a) => (/^--(clusters|tracing)=/.test(a) ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a]));
const takeValue = (flag: string): string | undefined => {
  const at = argv.indexOf(flag);
  return at < 0 ? undefined : (argv.splice(at, 2)[1] ?? '');
};
const clusters = takeValue('--clusters');
const tracingGiven = takeValue('--tracing');
const tracingArg = tracingGiven ?? 'jaeger';
const cmd = argv.find((a) => !a.startsWith('-')) ?? 'start';
const flags = argv.filter((a) => a.startsWith('-'));
const unknown = flags.filter((f) => !(cmd === 'start' && f === '--no-istiod'));
const badClusters = clusters !== undefined && (cmd !== 'start' || !['1', '2', '3'].includes(clusters));
if (unknown.length || badClusters || (tracingGiven !== undefined && cmd !== 'start')) {
  const what = unknown.length ? `unknown flag ${unknown[0]}` : badClusters ? `--clusters ${clusters ?? ''}` : '--tracing';
  process.stderr.write(`error: ${what} for playground ${cmd} (start takes --no-istiod, --tracing jaeger|zipkin|none, or --clusters 2|3)\n`);
  process.exit(2);
}
if (!['jaeger', 'zipkin', 'none'].includes(tracingArg)) {
  process.stderr.write(`error: --tracing "${tracingArg}" must be jaeger, zipkin or none\n`);
  process.exit(2);
}
const startMesh = async () => {
  const log = (m: string) => process.stderr.write(`[playground] ${m}\n`);
  process.stdout.write(meshInstructions(await startMeshPlayground(HOME, Number(clusters), log)));
};
const actions: Record<string, () => Promise<number | void>> = {
  start: () => (clusters && clusters !== '1' ? startMesh() : start(!flags.includes('--no-istiod'), tracingArg as TracingKind | 'none')),
  stop: () => stop(),
  status,
};
const action = actions[cmd];
if (!action) {
  process.stderr.write(`error: unknown playground command "${cmd}": use start, stop or status\n`);
  process.exit(2);
}
try {
  process.exit((await action()) ?? 0);
} catch (err) {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exit(1);
}

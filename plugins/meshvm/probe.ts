// --probe for a WorkloadGroup: the readiness probe istio-agent runs on the VM (health shown on the
// auto-registered WorkloadEntry's Healthy condition). One flag says what to probe; the timings have
// their own flags, as kubectl's probe fields. Pure.
import type { Argv } from 'yargs';
import { str, type Args } from '../../shared/cli/command.js';
import { UsageError, ValidationError } from '../../shared/errors.js';
import type { WorkloadProbe } from '../../shared/istio/workload.js';
import { duration, port } from '../../shared/validate.js';

export function probeFlags(y: Argv): Argv {
  return y
    .option('probe', {
      type: 'string',
      describe: 'Readiness probe: http:PORT/PATH, https:PORT/PATH, tcp:PORT, grpc:PORT[/SERVICE] or exec:COMMAND',
    })
    .option('probe-period', { type: 'string', describe: 'How often to probe (e.g. 10s)' })
    .option('probe-timeout', { type: 'string', describe: 'How long one probe may take (e.g. 1s)' })
    .option('probe-initial-delay', { type: 'string', describe: 'Wait this long after start before the first probe' })
    .option('probe-failure-threshold', { type: 'string', describe: 'Failures in a row that make the VM unhealthy' })
    .option('probe-success-threshold', { type: 'string', describe: 'Successes in a row that make it healthy again' });
}

const seconds = (v: string, what: string) => {
  const s = duration(v, what) / 1000;
  if (!Number.isInteger(s) || s < 0) throw new ValidationError(`${what} "${v}" must be whole seconds`);
  return s;
};

const count = (v: string, what: string) => {
  const n = /^\d{1,4}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1) throw new ValidationError(`${what} "${v}" must be a whole number from 1`);
  return n;
};

export function readProbe(args: Args): WorkloadProbe | undefined {
  const spec = str(args, 'probe');
  const timing = ['probe-period', 'probe-timeout', 'probe-initial-delay', 'probe-failure-threshold', 'probe-success-threshold'].filter(
    (k) => str(args, k) !== undefined,
  );
  if (spec === undefined) {
    if (timing.length) throw new UsageError(`--${timing[0]} needs --probe`);
    return undefined;
  }
  const i = spec.indexOf(':');
  const kind = i > 0 ? spec.slice(0, i) : '';
  const rest = i > 0 ? spec.slice(i + 1) : '';
  const probe: WorkloadProbe = {};
  const portAndPath = (what: string) => {
    const m = /^(\d+)(\/.*)?$/.exec(rest);
    if (!m) throw new ValidationError(`--probe "${spec}": give ${what}`);
    return { port: port(m[1], `--probe port`), path: m[2] };
  };
  switch (kind) {
    case 'http':
    case 'https': {
      const { port: p, path } = portAndPath('PORT/PATH, e.g. http:9080/healthz');
      probe.httpGet = { path: path ?? '/', port: p, ...(kind === 'https' ? { scheme: 'HTTPS' } : {}) };
      break;
    }
    case 'tcp': {
      const { port: p, path } = portAndPath('a port, e.g. tcp:3306');
      if (path) throw new ValidationError(`--probe "${spec}": a TCP probe has no path`);
      probe.tcpSocket = { port: p };
      break;
    }
    case 'grpc': {
      const { port: p, path } = portAndPath('PORT[/SERVICE], e.g. grpc:9090');
      probe.grpc = { port: p, ...(path && path !== '/' ? { service: path.slice(1) } : {}) };
      break;
    }
    case 'exec': {
      const command = rest.trim().split(/\s+/).filter(Boolean);
      if (command.length === 0) throw new ValidationError(`--probe "${spec}": give the command, e.g. exec:/usr/local/bin/healthy`);
      probe.exec = { command };
      break;
    }
    default:
      throw new ValidationError(`--probe "${spec}" must start with http:, https:, tcp:, grpc: or exec:`);
  }
  const get = (k: string) => str(args, k);
  const period = get('probe-period');
  const timeout = get('probe-timeout');
  const delay = get('probe-initial-delay');
  const failure = get('probe-failure-threshold');
  const success = get('probe-success-threshold');
  if (delay !== undefined) probe.initialDelaySeconds = seconds(delay, '--probe-initial-delay');
  if (timeout !== undefined) probe.timeoutSeconds = seconds(timeout, '--probe-timeout');
  if (period !== undefined) probe.periodSeconds = seconds(period, '--probe-period');
  if (success !== undefined) probe.successThreshold = count(success, '--probe-success-threshold');
  if (failure !== undefined) probe.failureThreshold = count(failure, '--probe-failure-threshold');
  return probe;
}

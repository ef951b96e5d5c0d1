// The ports of `register`: `[name:]port` arguments as istioctl register took them, and how each one
// meets the ports of the Service (or ServiceEntry) that will route to the VM. Pure.
import { CliError, UsageError } from '../../shared/errors.js';
import { guessPortName } from '../../shared/istio/protocol.js';
import { dnsLabel, port as portNumber } from '../../shared/validate.js';

/** One `[name:]port` argument. */
export interface PortArg {
  text: string;
  name?: string | undefined;
  port: number;
}

export function parsePortArg(text: string): PortArg {
  const i = text.lastIndexOf(':');
  const name = i >= 0 ? text.slice(0, i) : undefined;
  const port = portNumber(i >= 0 ? text.slice(i + 1) : text, i >= 0 ? `port of "${text}":` : 'port');
  if (name !== undefined) dnsLabel(name, `port name of "${text}":`);
  return { text, name, port };
}

/** Two arguments with the same port or the same name cannot both be meant. */
export function checkDistinct(args: PortArg[]): void {
  if (args.length === 0) throw new UsageError('give at least one port, e.g. http:9080 or 3306');
  for (const [i, a] of args.entries()) {
    const b = args.slice(i + 1).find((x) => x.port === a.port || (a.name !== undefined && x.name === a.name));
    if (b) throw new UsageError(`ports "${a.text}" and "${b.text}" overlap: give each port and each name once`);
  }
}

/** A port of the object that routes to the VM (a Service, a ServiceEntry). */
export interface RoutedPort {
  name: string;
  port: number;
  /** Where the port's traffic goes: a number, a name the WorkloadEntry's ports must hold, or the port itself. */
  target?: number | string | undefined;
}

/** An argument matched to the routing object's port. */
export interface ResolvedPort {
  /** The routing object's port name (what Istio reads the protocol from). */
  name: string;
  /** The port clients use. */
  servicePort: number;
  /** The port on the VM. */
  vmPort: number;
  /** The key of WorkloadEntry.ports that carries vmPort (a named targetPort, else the port's name). */
  key: string;
  how: 'given' | 'guessed' | 'existing' | 'added';
}

export interface PortResolution {
  ports: ResolvedPort[];
  /** Ports the routing object lacks and gets (only when it is ours or new). */
  added: RoutedPort[];
  /** What people should know: guessed names, ports that differ between the Service and the VM. */
  notes: string[];
}

/**
 * Match the arguments to the routing object's ports. `existing` undefined: the object is created with
 * the arguments' ports. `what` names the object ("service/details"); `canAdd`: it is ours, so missing
 * ports are added; otherwise they are refused with `addHint(port)` as the fix.
 */
export function resolvePorts(
  args: PortArg[],
  existing: RoutedPort[] | undefined,
  o: { what: string; canAdd: boolean; addHint: (p: RoutedPort) => string },
): PortResolution {
  const out: PortResolution = { ports: [], added: [], notes: [] };
  const have = existing ?? [];
  const targetOf = (p: RoutedPort) => (p.target === undefined ? p.port : p.target);
  for (const a of args) {
    let match: RoutedPort | undefined;
    let name = a.name;
    let how: ResolvedPort['how'] = a.name ? 'given' : 'guessed';
    if (a.name) {
      match = have.find((p) => p.name === a.name);
      if (!match) {
        const other = have.find((p) => p.port === a.port || targetOf(p) === a.port);
        if (other)
          throw new CliError(`${o.what} has port ${other.port} named "${other.name}", not "${a.name}"; register it under its name: ${other.name}:${a.port}`);
      }
    } else {
      match = have.find((p) => targetOf(p) === a.port) ?? have.find((p) => p.port === a.port);
      if (match) {
        how = 'existing';
        name = match.name;
      } else {
        const guess = guessPortName(a.port);
        const clash = have.find((p) => p.name === guess.name);
        if (clash)
          throw new CliError(
            `${o.what} already has a port named "${guess.name}" (${clash.port}); give port ${a.port} a name of its own, e.g. ${guess.name}-${a.port}:${a.port}`,
          );
        name = guess.name;
        out.notes.push(
          guess.known
            ? `port ${a.port} named "${name}" (as istioctl register named it)`
            : `port ${a.port} named "${name}": Istio treats it as plain TCP (name it, e.g. http-${a.port}:${a.port}, for HTTP)`,
        );
      }
    }
    const portName = name ?? '';
    if (!match) {
      const add: RoutedPort = { name: portName, port: a.port };
      if (existing && !o.canAdd) throw new CliError(`${o.what} has no port ${a.port} ("${portName}"), and it is not ours to change; ${o.addHint(add)}`);
      out.added.push(add);
      if (existing) how = 'added';
      match = add;
    } else if (match.port !== a.port) {
      out.notes.push(`${o.what} port ${match.port} ("${match.name}") reaches the VM on port ${a.port}`);
    }
    if (out.ports.some((p) => p.name === portName)) throw new UsageError(`two ports would both be "${portName}" on ${o.what}; give each its own name`);
    out.ports.push({
      name: portName,
      servicePort: match.port,
      vmPort: a.port,
      key: typeof match.target === 'string' ? match.target : portName,
      how,
    });
  }
  return out;
}

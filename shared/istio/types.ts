// Istio's routing objects as the plugins read and write them (networking.istio.io/v1), once: the
// fields used, every one optional; `[k: string]: unknown` keeps what we do not model when an object
// is rewritten. Hosts in them are resolved to Services by hosts.ts.
import type { KubeObject } from '../kube/object.js';

export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

export interface HttpMatch {
  name?: string;
  uri?: StringMatch;
  headers?: Record<string, StringMatch>;
  port?: number;
  [k: string]: unknown;
}

export interface PortSelector {
  number?: number;
}

export interface Destination {
  host?: string;
  subset?: string;
  port?: PortSelector;
}

export interface RouteDestination {
  destination?: Destination;
  weight?: number;
}

export interface HttpRoute {
  name?: string;
  match?: HttpMatch[];
  route?: RouteDestination[];
  [k: string]: unknown;
}

export interface TlsRoute {
  match?: { port?: number; sniHosts?: string[] }[];
  route?: RouteDestination[];
}

export interface TcpRoute {
  match?: { port?: number }[];
  route?: RouteDestination[];
}

export interface VirtualService extends KubeObject {
  spec?: { hosts?: string[]; gateways?: string[]; http?: HttpRoute[]; tls?: TlsRoute[]; tcp?: TcpRoute[]; [k: string]: unknown };
}

export interface Subset {
  name: string;
  labels?: Record<string, string>;
  [k: string]: unknown;
}

export interface DestinationRule extends KubeObject {
  spec?: { host?: string; subsets?: Subset[]; [k: string]: unknown };
}

export interface GatewayServer {
  port?: { name?: string; number?: number; protocol?: string };
  tls?: { mode?: string };
  hosts?: string[];
}

export interface Gateway extends KubeObject {
  spec?: { selector?: Record<string, string>; servers?: GatewayServer[] };
}

// deploy --adopt <deployment>: the seed's migration (delete the controller Deployment, deploy a
// DaemonSet, update the nginx-ingress-lb Service) in the order that keeps traffic flowing:
//   1. the new objects except the Service, and the DaemonSet ready on every ingress node;
//   2. the existing Service updated in place (same UID, so the cloud keeps its load balancer and
//      external address) and its endpoints switched to the new pods, and only then its traffic
//      policy set to Local;
//   3. only then the old Deployment deleted.
// Each step is recorded in a journal (shared/kube/journal.ts): a failure says what was done, the
// command as typed to go on (every flag kept, so the rerun writes the same objects) and how to undo;
// the rerun continues the recorded steps.
import type { CommandContext } from '../../shared/context.js';
import { CliError } from '../../shared/errors.js';
import { carryOut } from '../../shared/kube/carry-out.js';
import { journalRef, type Journal, type JournalRef, type JournalStep } from '../../shared/kube/journal.js';
import type { KubeObject } from '../../shared/kube/object.js';
import { applyPlan, executePlan, type Change } from '../../shared/kube/plan.js';
import { readState } from '../../shared/kube/ownership.js';
import { waitFor } from '../../shared/kube/wait.js';
import { ADOPTED_FROM, PREVIOUS_SELECTOR, applyObjects, applyStep, waitForController, withState } from './deploy.js';
import { controllerName, podSelector, selectorString, type IngressOptions } from './options.js';
import { isReady, nameOf } from './observed.js';
import type { EndpointSlice, Pod, Service } from '../../shared/kube/types.js';

export interface AdoptPlan {
  /** Applied and waited for first. */
  controller: KubeObject[];
  /** The existing Service as it will be (same name, so updated in place). */
  service: KubeObject;
  /**
   * The Service switched to the new pods while keeping its traffic policy, when that changes to Local:
   * with Local, a node without a ready new pod drops the load balancer's traffic, so the policy
   * changes only once the endpoints are the new pods.
   */
  switchFirst?: KubeObject;
  /** The old Deployment, deleted last. */
  remove: { apiVersion: string; kind: string; name: string; namespace: string };
  /** The command that puts the Service back in front of the old pods. */
  undoService: string;
}

/** Pure: split the desired objects into the three steps, recording on the Service how to undo the switch. */
export function planAdoption(objects: KubeObject[], existing: Service, deployment: string, namespace: string): AdoptPlan {
  const desired = objects.find((o): o is Service => o.kind === 'Service');
  if (!desired) throw new Error('internal: the manifests have no Service');
  const state = readState(existing);
  // A rerun after the switch finds the new selector on the Service: the one recorded first is kept.
  const previous = state[PREVIOUS_SELECTOR] ?? JSON.stringify(existing.spec?.selector ?? {});
  const service = withState(desired, existing, { [ADOPTED_FROM]: `deployment.apps/${deployment}`, [PREVIOUS_SELECTOR]: previous });
  const undoService = `kubectl -n ${namespace} patch service ${nameOf(existing)} --type json -p '[{"op":"replace","path":"/spec/selector","value":${previous}}]'`;
  const policy = (o: Service) => o.spec?.externalTrafficPolicy ?? 'Cluster';
  const keep = policy(existing);
  const switchFirst = policy(service) !== keep ? { ...service, spec: { ...service.spec, externalTrafficPolicy: keep } } : undefined;
  return {
    controller: objects.filter((o) => o.kind !== 'Service'),
    service,
    ...(switchFirst ? { switchFirst } : {}),
    remove: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment, namespace },
    undoService,
  };
}

/** Wait until the Service's EndpointSlices list a ready endpoint for each available pod of the new DaemonSet. */
async function waitForEndpoints(ctx: CommandContext, o: IngressOptions, service: string, timeoutMs: number): Promise<void> {
  const kube = ctx.kube();
  const dsName = controllerName(o.name);
  await waitFor(
    `service/${service} to route to the new controller pods`,
    async () => {
      const [slices, pods] = await Promise.all([
        kube.list<EndpointSlice>('discovery.k8s.io/v1', 'EndpointSlice', {
          namespace: o.namespace,
          labelSelector: `kubernetes.io/service-name=${service}`,
        }),
        kube.list<Pod>('v1', 'Pod', { namespace: o.namespace, labelSelector: selectorString(podSelector(o)) }),
      ]);
      // Owned by the DaemonSet: an adopted Deployment's pods may carry the same labels.
      const fresh = new Set(
        pods.filter((p) => isReady(p) && p.metadata?.ownerReferences?.some((r) => r.kind === 'DaemonSet' && r.name === dsName)).map(nameOf),
      );
      const routed = slices
        .flatMap((s) => s.endpoints ?? [])
        .filter((e) => e.conditions?.ready !== false && e.targetRef?.kind === 'Pod' && fresh.has(e.targetRef.name ?? '')).length;
      return { done: fresh.size > 0 && routed >= fresh.size, message: `${routed} of ${fresh.size} ready new pods are endpoints` };
    },
    { timeoutMs, clock: ctx.clock },
  );
}

/** What decides an adoption: a rerun with the same options continues it; other options would write other objects. */
export interface AdoptIntent {
  intent: string;
  /** The command line as typed. */
  command: string;
}

/** The journal of the adoption into service `service` (the load balancer's Service, kept). */
export const adoptJournal = (o: IngressOptions, service: string): JournalRef => journalRef('ingress-ha', o.namespace, 'Service', service);

/** The steps of an adoption as its journal records them (pure). */
export function adoptionSteps(o: IngressOptions, plan: AdoptPlan, serviceName: string): JournalStep[] {
  const old = `deployment.apps/${plan.remove.name}`;
  const svc = `service/${serviceName}`;
  const stillServing = `${old} still serves ${svc}, which is unchanged`;
  const switched = `${svc} routes to the new controller; ${old} still runs`;
  const apply = (object: KubeObject): Change => ({ action: 'apply', object });
  return [
    // The new controller (server-side applies, done again whole on a rerun), ready on every ingress node.
    { changes: plan.controller.map(apply), wait: 'controller', note: stillServing },
    // The Service switched in place: same object (UID), same load balancer and external address.
    { changes: [apply(plan.switchFirst ?? plan.service)], wait: 'endpoints', note: switched },
    // Then Local: every node the load balancer sends to now has a ready new pod.
    ...(plan.switchFirst ? [{ changes: [apply(plan.service)], note: switched }] : []),
    // Only now the old controller goes.
    { changes: [{ action: 'delete', ref: plan.remove }] },
  ];
}

export async function runAdoption(
  ctx: CommandContext,
  o: IngressOptions,
  plan: AdoptPlan,
  existing: Service,
  opts: { dryRun: 'none' | 'client' | 'server'; timeoutMs: number; ingressNodes: number; intent: AdoptIntent; resume?: Journal | undefined },
): Promise<void> {
  const del: Change = { action: 'delete', ref: plan.remove };
  if (opts.dryRun === 'client') {
    await executePlan(ctx, [...plan.controller, plan.service].map((object): Change => ({ action: 'apply', object })).concat(del), 'client');
    return;
  }
  if (opts.dryRun === 'server') {
    await applyObjects(ctx, [...plan.controller, plan.service], 'server');
    for (const r of await applyPlan(ctx.kube(), [del], 'server')) ctx.stdout.write(`${r.line}\n`);
    return;
  }
  const service = nameOf(existing);
  const wait = async (key: string) => {
    if (key === 'controller') return waitForController(ctx, o, opts.ingressNodes, opts.timeoutMs);
    const now = await ctx.kube().get({ apiVersion: 'v1', kind: 'Service', name: service, namespace: o.namespace });
    if (now.metadata?.uid !== existing.metadata?.uid)
      throw new CliError(
        `service/${service} changed identity (UID ${existing.metadata?.uid} -> ${now.metadata?.uid}): its load balancer may have been replaced`,
      );
    return waitForEndpoints(ctx, o, service, opts.timeoutMs);
  };
  const undo = `${plan.undoService} && kubectl -n ${o.namespace} delete daemonset.apps/${controllerName(o.name)}`;
  const journal = { ...opts.intent, undo, baseline: { selector: readState(existing)[PREVIOUS_SELECTOR] ?? JSON.stringify(existing.spec?.selector ?? {}) } };
  const steps = opts.resume?.steps ?? adoptionSteps(o, plan, service);
  await carryOut(ctx, adoptJournal(o, service), { ...journal, steps }, { lines: true, wait, resume: opts.resume, apply: (c) => applyStep(ctx, c) });
}

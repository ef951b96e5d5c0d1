// kubectl ingress-ha deploy: the whole ingress layer of seed 001 chapter 3 (DaemonSet on the ingress
// nodes, LoadBalancer Service attaching only them), least-privilege and complete, applied server-side.
// --adopt <deployment> migrates from an existing controller Deployment without downtime.
import { bool, defineCommand, str } from '../../../shared/cli/command.js';
import { dryRunFlag, readDryRun, readTimeout, timeoutFlag } from '../../../shared/cli/flags.js';
import { CliError, UsageError } from '../../../shared/errors.js';
import type { DryRun, KubeObject } from '../../../shared/kube/object.js';
import { commandLine, pendingMessage, readJournal, removeJournal } from '../../../shared/kube/journal.js';
import { commandLock, lockTarget, withLock } from '../../../shared/kube/lock.js';
import { executePlan, type Change } from '../../../shared/kube/plan.js';
import { changeOutputFlag, printObjects, readChangeOutput, workContext, type ChangeFormat } from '../../../shared/output/change.js';
import { dnsLabel, dnsSubdomain, serviceName } from '../../../shared/validate.js';
import { adoptJournal, planAdoption, runAdoption } from '../adopt.js';
import { applyObjects, minAvailableFor, needsToleration, noIngressNodesMessage, resolveService, waitForController, withState } from '../deploy.js';
import { buildManifests } from '../manifests.js';
import { isIngressNode, nameOf } from '../observed.js';
import {
  CLOUDS,
  CONTROLLERS,
  controllerName,
  ingressOptions,
  parseCloud,
  parseController,
  type Cloud,
  type Controller,
  type IngressOptions,
} from '../options.js';
import type { Deployment, Node, Service } from '../../../shared/kube/types.js';

const ISTIO_INJECTOR_MISSING =
  'no Istio sidecar injector in this cluster (no istio-sidecar-injector webhook): the gateway\'s image "auto" is filled in by istiod, so install Istio first or pass --image';

interface Options {
  controller: Controller;
  cloud: Cloud;
  image?: string | undefined;
  exclusive: boolean;
  name?: string | undefined;
  service?: string | undefined;
  ingressClass?: string | undefined;
  adopt?: string | undefined;
  dryRun: DryRun;
  wait: boolean;
  timeoutMs: number;
  output: ChangeFormat;
  /** Filled in by complete. */
  observed?: {
    ingress: IngressOptions;
    nodes: Node[];
    existingService?: Service | undefined;
    oldDeployment?: Deployment | undefined;
    /** Warnings found while reading the cluster. */
    notes: string[];
  };
}

export const deployCommand = defineCommand<Options>({
  command: 'deploy',
  describe: 'Deploy the controller as a DaemonSet on the ingress nodes, behind a LoadBalancer',
  examples: [
    ['$0 deploy -n kube-system --cloud alibaba', 'ingress-nginx on the labelled nodes, SLB backends chosen by the node label'],
    ['$0 deploy -n istio-system --controller istio-gateway --cloud aws', 'The Istio ingress gateway instead'],
    ['$0 deploy -n kube-system --adopt nginx-ingress-controller', 'Replace an existing controller Deployment without downtime, keeping its Service'],
    ['$0 deploy -n kube-system --dry-run=client', 'Print every object instead of applying'],
    ['$0 deploy -n kube-system -o yaml', 'Apply, then print the objects as the API server stored them'],
  ],
  builder: (y) =>
    timeoutFlag(dryRunFlag(changeOutputFlag(y)), '5m')
      .option('controller', {
        type: 'string',
        choices: [...CONTROLLERS],
        default: 'ingress-nginx',
        describe: 'ingress-nginx (end-of-life since March 2026) or the Istio ingress gateway',
      })
      .option('cloud', {
        type: 'string',
        default: 'none',
        describe: `Load balancer node selection: ${CLOUDS.join('|')} (azure and gcp cannot select nodes by label)`,
      })
      .option('image', { type: 'string', describe: 'Controller image (default: a pinned release; "auto" for the Istio gateway, filled in by istiod)' })
      .option('exclusive', { type: 'boolean', default: false, describe: 'Tolerate the ingress taint (automatic when an ingress node has it)' })
      .option('name', { type: 'string', describe: 'Base name of the objects (default: ingress-nginx or istio-ingressgateway)' })
      .option('service', { type: 'string', describe: 'Name of the LoadBalancer Service (default: the one already in front, else <name>-controller)' })
      .option('ingress-class', { type: 'string', describe: 'IngressClass to serve (default: nginx or istio)' })
      .option('adopt', { type: 'string', describe: 'An existing controller Deployment to replace without downtime (its Service is kept)' })
      .option('wait', { type: 'boolean', default: true, describe: 'Wait until a controller pod is available on every ingress node' }),
  options: (args) => {
    const opt = (key: string, what: string, check: (v: string, w: string) => string) => {
      const v = str(args, key);
      return v === undefined ? undefined : check(v, what);
    };
    const image = str(args, 'image');
    if (image !== undefined && (image === '' || /\s/.test(image))) throw new UsageError(`--image "${image}" is not an image reference`);
    return {
      controller: parseController(str(args, 'controller')),
      cloud: parseCloud(str(args, 'cloud')),
      image,
      exclusive: bool(args, 'exclusive'),
      name: opt('name', '--name', dnsLabel),
      service: opt('service', '--service', serviceName),
      ingressClass: opt('ingress-class', '--ingress-class', dnsSubdomain),
      adopt: opt('adopt', '--adopt', dnsSubdomain),
      dryRun: readDryRun(args),
      wait: bool(args, 'wait'),
      timeoutMs: readTimeout(args),
      output: readChangeOutput(args),
    };
  },
  complete: async (ctx, o) => {
    const kube = ctx.kube();
    const namespace = kube.namespace;
    const ns = await kube.find({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    if (!ns) throw new CliError(`namespace "${namespace}" not found; create it first (kubectl create namespace ${namespace}) or choose another with -n`);
    const [nodes, services, oldDeployment] = await Promise.all([
      kube.list<Node>('v1', 'Node'),
      kube.list<Service>('v1', 'Service', { namespace }),
      o.adopt ? kube.find<Deployment>({ apiVersion: 'apps/v1', kind: 'Deployment', name: o.adopt, namespace }) : Promise.resolve(undefined),
    ]);
    const base = ingressOptions({ namespace, controller: o.controller, cloud: o.cloud, plugin: ctx.plugin, ...(o.name ? { name: o.name } : {}) });
    const front = resolveService(services, base, o.adopt ? { name: o.adopt, deployment: oldDeployment } : undefined, o.service);
    const existingService = typeof front === 'string' ? undefined : front;
    if (o.adopt && oldDeployment && !existingService)
      throw new CliError(`service "${typeof front === 'string' ? front : ''}" not found in namespace "${namespace}"; --adopt keeps an existing Service`);
    const ingress = ingressOptions({
      ...base,
      ...(o.image ? { image: o.image } : {}),
      ...(o.ingressClass ? { ingressClass: o.ingressClass } : {}),
      serviceName: typeof front === 'string' ? front : nameOf(front),
      exclusive: needsToleration(o.exclusive, nodes),
      minAvailable: minAvailableFor(nodes),
    });
    const notes: string[] = [];
    if (ingress.controller === 'istio-gateway' && ingress.image === 'auto') {
      // "auto" is filled in by istiod's injector; without it the pods cannot start.
      const hooks = await kube.list('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration');
      if (!hooks.some((h) => nameOf(h).startsWith('istio-sidecar-injector'))) notes.push(ISTIO_INJECTOR_MISSING);
    }
    return { ...o, observed: { ingress, nodes, existingService, oldDeployment, notes } };
  },
  validate: (o) => {
    const seen = o.observed!;
    if (o.dryRun !== 'client' && !seen.nodes.some(isIngressNode)) throw new CliError(noIngressNodesMessage(seen.nodes));
  },
  run: async (out, o) => {
    // With -o, the lines go to stderr and stdout gets the objects as one ObjectList (or their names).
    const ctx = workContext(out, o.output);
    const { ingress, nodes, existingService, oldDeployment, notes } = o.observed!;
    // One change to a controller at a time: the lock of its DaemonSet (namespace/name), for real writes only.
    const what = `deploy${o.adopt ? ` --adopt ${o.adopt}` : ''}`;
    const target = lockTarget('DaemonSet', ingress.namespace, controllerName(ingress.name));
    const locked = <T>(work: () => Promise<T>): Promise<T> =>
      o.dryRun === 'none' ? withLock(ctx.kube(), commandLock(ctx, target, what, o.timeoutMs), work) : work();
    const { objects, warnings } = buildManifests(ingress);
    for (const w of [...warnings, ...notes]) ctx.warn(w);
    const ingressNodes = nodes.filter(isIngressNode).length;
    if (ingressNodes === 0) ctx.warn(noIngressNodesMessage(nodes));
    if (o.adopt && existingService) {
      const intent = JSON.stringify({
        adopt: o.adopt,
        controller: o.controller,
        cloud: o.cloud,
        image: o.image ?? null,
        exclusive: o.exclusive,
        name: o.name ?? null,
        service: o.service ?? null,
        ingressClass: o.ingressClass ?? null,
      });
      const command = commandLine(ctx.plugin, ctx.argv ?? ['deploy', '-n', ingress.namespace, '--adopt', o.adopt]);
      const ref = adoptJournal(ingress, nameOf(existingService));
      const found = await readJournal(ctx.kube(), ref);
      const pending = found && found.done < found.steps.length ? found : undefined;
      // Other options would write other objects (another --cloud drops the load balancer's annotations).
      if (pending && pending.intent !== intent) throw new CliError(pendingMessage(pending, ref));
      if (pending || oldDeployment) {
        if (pending && o.dryRun === 'none')
          ctx.stderr.write(`continuing the interrupted '${pending.command}' from step ${pending.done + 1} of ${pending.steps.length}\n`);
        const plan = planAdoption(objects, existingService, o.adopt, ingress.namespace);
        await locked(() =>
          runAdoption(ctx, ingress, plan, existingService, {
            dryRun: o.dryRun,
            timeoutMs: o.timeoutMs,
            ingressNodes,
            intent: { intent, command },
            resume: pending,
          }),
        );
        return printObjects(out, o.output, [...plan.controller, plan.service]);
      }
      if (found && o.dryRun === 'none') await removeJournal(ctx.kube(), ref); // finished, left behind when the API went away
    }
    if (o.adopt) ctx.stderr.write(`deployment.apps/${o.adopt} was adopted already (service/${ingress.serviceName} records it); applying the rest\n`);
    const desired = objects.map((obj): KubeObject => (obj.kind === 'Service' ? withState(obj, existingService) : obj));
    if (o.dryRun === 'client') {
      await executePlan(
        ctx,
        desired.map((object): Change => ({ action: 'apply', object })),
        'client',
      );
      return printObjects(out, o.output, desired);
    }
    const dryRun = o.dryRun;
    const applied = await applyObjects(ctx, desired, dryRun, locked);
    if (o.dryRun === 'none' && o.wait) await waitForController(ctx, ingress, ingressNodes, o.timeoutMs);
    await printObjects(out, o.output, applied);
  },
});

// Our narrow shapes of Kubernetes objects (shared/kube/types.ts) against @kubernetes/client-node's
// models, checked by the compiler: every field we name exists in the model at the same place, with a
// type compatible with the model's as JSON carries it (Date as string). A typo such as
// `readyReplica` or a field on the wrong object fails `tsc`; the runtime part only lists what was checked.
import assert from 'node:assert/strict';
import type {
  V1ConfigMap,
  V1DaemonSet,
  V1Deployment,
  V1EndpointSlice,
  V1Node,
  V1Pod,
  V1PodDisruptionBudget,
  V1Service,
  V1ServicePort,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type {
  ConfigMap,
  DaemonSet,
  Deployment,
  EndpointSlice,
  HorizontalPodAutoscaler,
  Node,
  Pod,
  PodDisruptionBudget,
  Service,
  ServicePort,
} from '../../shared/kube/types.js';

/** A model as JSON carries it: Date fields are RFC 3339 strings. */
type Wire<T> = T extends Date ? string : T extends readonly (infer E)[] ? Wire<E>[] : T extends object ? { [K in keyof T]: Wire<T[K]> } : T;
/** The named keys of a type (index signatures such as KubeObject's left out). */
type Named<T> = keyof { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };
type Path<K, Rest> = K extends string ? ([Rest] extends [never] ? never : Rest extends '' ? K : `${K}.${Rest & string}`) : never;

/**
 * The paths of fields in Ours that Theirs lacks or types incompatibly (never when none). A leaf fits
 * when either type is assignable to the other (ours may be narrower, e.g. a string union, or wider).
 */
type Mismatch<Ours, Theirs> = unknown extends Ours
  ? never
  : [NonNullable<Ours>] extends [readonly (infer O)[]]
    ? [NonNullable<Theirs>] extends [readonly (infer T)[]]
      ? Mismatch<O, T>
      : ''
    : [NonNullable<Ours>] extends [object]
      ? [NonNullable<Theirs>] extends [object]
        ? {
            [K in Named<NonNullable<Ours>>]-?: unknown extends NonNullable<Ours>[K]
              ? never // not described (KubeObject's spec and status): no claim to check
              : K extends keyof NonNullable<Theirs>
                ? Path<K, Mismatch<NonNullable<Ours>[K], NonNullable<Theirs>[K]>>
                : Path<K, ''>;
          }[Named<NonNullable<Ours>>]
        : ''
      : [Wire<NonNullable<Theirs>>] extends [NonNullable<Ours>]
        ? never
        : [NonNullable<Ours>] extends [Wire<NonNullable<Theirs>>]
          ? never
          : '';

/** Compiles only when Ours fits Theirs; otherwise the error names the first path that does not. */
function fits<Ours, Theirs>(name: string, ok: [Mismatch<Ours, Theirs>] extends [never] ? true : { mismatch: Mismatch<Ours, Theirs> }): string {
  assert.equal(ok, true);
  return name;
}

describe('our Kubernetes shapes against client-node models', () => {
  it('every field of every shape exists in the model with a compatible type', () => {
    const checked = [
      fits<Service, V1Service>('Service', true),
      fits<ServicePort, V1ServicePort>('ServicePort', true),
      fits<Deployment, V1Deployment>('Deployment', true),
      fits<DaemonSet, V1DaemonSet>('DaemonSet', true),
      fits<Pod, V1Pod>('Pod', true),
      fits<EndpointSlice, V1EndpointSlice>('EndpointSlice', true),
      fits<HorizontalPodAutoscaler, V2HorizontalPodAutoscaler>('HorizontalPodAutoscaler', true),
      fits<Node, V1Node>('Node', true),
      fits<ConfigMap, V1ConfigMap>('ConfigMap', true),
      fits<PodDisruptionBudget, V1PodDisruptionBudget>('PodDisruptionBudget', true),
    ];
    assert.equal(checked.length, 10);
  });

  it('the check itself rejects a misspelt field and a wrong type (compile-time negatives)', () => {
    type Typo = { spec?: { replica?: number } };
    type WrongType = { spec?: { replicas?: string } };
    type Misplaced = { status?: { selector?: { matchLabels?: Record<string, string> }; replicas?: number } };
    const typo: Mismatch<Typo, V1Deployment> = 'spec.replica';
    const wrong: Mismatch<WrongType, V1Deployment> = 'spec.replicas';
    const misplaced: Mismatch<Misplaced, V1Deployment> = 'status.selector';
    assert.deepEqual([typo, wrong, misplaced], ['spec.replica', 'spec.replicas', 'status.selector']);
  });
});

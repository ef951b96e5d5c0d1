// From observed objects to the changes of one blue-green operation, for any provider: read the slots,
// decide the desired slots, and have the provider write them (nothing when nothing would change, so a
// second run is a no-op). Pure.
import { isDeepStrictEqual } from 'node:util';
import { readState } from '../../shared/kube/ownership.js';
import type { Change } from '../../shared/kube/plan.js';
import { objectName } from '../../shared/output/names.js';
import type { Observed, Provider, ReadResult } from './model.js';
import { normalize, planOperation, type Operation, type OperationPlan, type Selection } from './operations.js';

export interface BlueGreenPlan {
  read: ReadResult;
  plan: OperationPlan;
  changes: Change[];
}

export const targetName = (o: Observed): string => objectName(o.target.apiVersion ?? '', o.target.kind ?? '', o.target.metadata?.name ?? '');

export function planBlueGreen(p: Provider, o: Observed, op: Operation, sel: Selection): BlueGreenPlan {
  const read = p.read(o);
  const plan = planOperation(p, read.slots, readState(o.target), op, sel, {
    what: targetName(o),
    namespace: o.namespace,
    services: o.services,
    newHint: read.newService,
  });
  const same = isDeepStrictEqual(plan.desired.map(normalize), read.slots.map(normalize)) && Object.keys(plan.state).length === 0;
  return { read, plan, changes: same ? [] : p.write(o, plan.desired, plan.state) };
}

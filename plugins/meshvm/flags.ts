// Flags that describe a VM workload (register and group create share them) and their checks. None has
// a one-letter form that kubectl gives another meaning: -s is --server, so the service account is
// --service-account only.
import type { Argv } from 'yargs';
import { str, strList, type Args } from '../../shared/cli/command.js';
import { UsageError, ValidationError } from '../../shared/errors.js';
import { dnsSubdomain, labelPair, labelValue } from '../../shared/validate.js';

export interface WorkloadFlags {
  labels: Record<string, string>;
  serviceAccount?: string | undefined;
  network?: string | undefined;
  locality?: string | undefined;
  weight?: number | undefined;
}

export function workloadFlags(y: Argv): Argv {
  return y
    .option('labels', { alias: 'l', type: 'string', array: true, describe: 'Label of the workload, KEY=VALUE (repeatable)' })
    .option('service-account', { type: 'string', describe: 'Identity of the workload (a ServiceAccount of the namespace; default: default)' })
    .option('network', {
      type: 'string',
      describe: "The network the VM is on, when it is not the pods' (Istio then reaches it through that network's gateway)",
    })
    .option('locality', { type: 'string', describe: 'region[/zone[/subzone]] of the VM, for locality-aware load balancing' })
    .option('weight', { type: 'string', describe: 'Load-balancing weight of the VM among the endpoints (a whole number from 1)' });
}

const LOCALITY_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export function readWorkloadFlags(args: Args): WorkloadFlags {
  const labels: Record<string, string> = {};
  for (const raw of strList(args, 'labels')) {
    for (const item of raw.split(',').filter(Boolean)) {
      const [k, v] = labelPair(item, '-l label');
      if (labels[k] !== undefined && labels[k] !== v) throw new UsageError(`label ${k} is given twice with different values`);
      labels[k] = v;
    }
  }
  const sa = str(args, 'service-account');
  const network = str(args, 'network');
  const locality = str(args, 'locality');
  const weight = str(args, 'weight');
  if (locality !== undefined) {
    const parts = locality.split('/');
    if (parts.length > 3 || !parts.every((p) => LOCALITY_PART.test(p)))
      throw new ValidationError(`--locality "${locality}" must look like region, region/zone or region/zone/subzone`);
  }
  let w: number | undefined;
  if (weight !== undefined) {
    w = /^\d{1,10}$/.test(weight) ? Number(weight) : NaN;
    if (!Number.isInteger(w) || w < 1 || w > 4294967295) throw new ValidationError(`--weight "${weight}" must be a whole number from 1 to 4294967295`);
  }
  return {
    labels,
    serviceAccount: sa === undefined ? undefined : dnsSubdomain(sa, '--service-account'),
    network: network === undefined ? undefined : nonEmpty(labelValue(network, '--network'), '--network'),
    locality,
    weight: w,
  };
}

function nonEmpty(v: string, what: string): string {
  if (v === '') throw new ValidationError(`${what} must not be empty`);
  return v;
}

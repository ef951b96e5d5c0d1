// Readers for kubeconfig fields. The kubeconfig is parsed with every scalar as a string (as client-go
// reads string fields: `namespace: 007` stays "007"), so booleans are read here the way Go's YAML 1.1
// decoder reads them into a bool field.
import { ConfigError } from '../errors.js';

export type Obj = Record<string, unknown>;

/** A field that must be a string; anything else reads as empty. */
export const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A non-empty string field, or undefined. */
export function field(o: Obj, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A nested mapping, or an empty one. */
export function mapping(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}

const TRUE = new Set(['true', 'True', 'TRUE', 'yes', 'Yes', 'YES', 'y', 'Y', 'on', 'On', 'ON']);
const FALSE = new Set(['false', 'False', 'FALSE', 'no', 'No', 'NO', 'n', 'N', 'off', 'Off', 'OFF']);

/** A boolean field (YAML 1.1 spellings, as kubectl accepts them); anything else is a ConfigError. */
export function flag(o: Obj, key: string, where: string): boolean {
  const v = o[key];
  if (v === undefined || v === null || v === '' || v === false) return false;
  if (v === true) return true;
  if (typeof v === 'string' && TRUE.has(v)) return true;
  if (typeof v === 'string' && FALSE.has(v)) return false;
  throw new ConfigError(`${key} of ${where} must be true or false, not ${JSON.stringify(v)}`);
}

/** A list of strings (as-groups), or empty. */
export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * Typed, documented, validated configuration. Each field has a default, a one-line
 * doc (the CLI's help is generated from it) and a check; resolving rejects unknown
 * keys and bad values with a message naming the key.
 */
import { closeMatches } from '../core/edit-distance.js';

export interface Field<V> {
  default: V;
  doc: string;
  /** An error message when v is unacceptable, else null. */
  check?: (v: V) => string | null;
  /** Allowed values for string fields. */
  choices?: readonly string[];
}

export type Schema<T> = { [K in keyof T]: Field<T[K]> };

/** A config key as its command-line flag: `totalSteps` → `total-steps`. */
export const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const positiveInt = (v: number): string | null => (Number.isInteger(v) && v > 0 ? null : 'must be a positive integer');
export const nonNegativeInt = (v: number): string | null => (Number.isInteger(v) && v >= 0 ? null : 'must be a non-negative integer');
export const positive = (v: number): string | null => (Number.isFinite(v) && v > 0 ? null : 'must be a positive number');
export const nonNegative = (v: number): string | null => (Number.isFinite(v) && v >= 0 ? null : 'must be a non-negative number');
export const unitInterval = (v: number): string | null => (Number.isFinite(v) && v >= 0 && v <= 1 ? null : 'must be in [0, 1]');
export const positiveInts = (v: number[]): string | null => (Array.isArray(v) && v.every((x) => Number.isInteger(x) && x > 0) ? null : 'must be a list of positive integers');

export function defaults<T>(schema: Schema<T>): T {
  const out = {} as T;
  for (const k of Object.keys(schema) as (keyof T)[]) {
    const d = schema[k].default;
    out[k] = (Array.isArray(d) ? [...d] : d) as T[keyof T];
  }
  return out;
}

/** Defaults, then each override layer in order; every key and value checked. */
export function resolveConfig<T>(name: string, schema: Schema<T>, ...layers: Partial<Record<string, unknown>>[]): T {
  const out = defaults(schema);
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      if (!(k in (schema as object))) {
        const known = Object.keys(schema as object);
        const close = closeMatches(k, known, { normalize: (x) => x.toLowerCase() });
        throw new ConfigError(`${name}: unknown config key '${k}'${close.length ? ` (did you mean ${close.join(', ')}?)` : ''}`);
      }
      const field = (schema as Record<string, Field<unknown>>)[k]!;
      const want = Array.isArray(field.default) ? 'array' : typeof field.default;
      const got = Array.isArray(v) ? 'array' : typeof v;
      if (want !== got) throw new ConfigError(`${name}: config '${k}' must be a ${want}, got ${got} (${JSON.stringify(v)})`);
      if (field.choices && !field.choices.includes(v as string)) throw new ConfigError(`${name}: config '${k}' must be one of ${field.choices.join(', ')}, got '${String(v)}'`);
      const err = field.check?.(v as never);
      if (err) throw new ConfigError(`${name}: config '${k}' ${err}, got ${JSON.stringify(v)}`);
      (out as Record<string, unknown>)[k] = v;
    }
  }
  return out;
}

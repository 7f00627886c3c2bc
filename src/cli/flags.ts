/**
 * Command-line flags generated from config schemas: `--total-steps 20000`,
 * `--actor-hidden 64,64`, `--autotune false` / `--autotune=false` / `--no-autotune`.
 * Unknown flags and unparsable values are errors that name the flag. Values are parsed
 * strictly: decimal numbers only (`1_000_000` and `3e-4` are fine; `0x10`, `Infinity` and
 * `''` are not), `--no-` only on on/off options, and a boolean's explicit value is honoured.
 */
import { closeMatches } from '../core/edit-distance.js';
import { ConfigError, kebab, type Field, type Schema } from '../core/config.js';

const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Decimal notation, digits optionally grouped by `_`: 12, -0.5, .5, 1_000_000, 3e-4. */
const DECIMAL = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d+)?$/;

/** A flag's number, strictly: decimal and finite, or a ConfigError naming the flag. */
export function parseNumber(flag: string, raw: string): number {
  const v = DECIMAL.test(raw) ? Number(raw.replace(/_/g, '')) : NaN;
  if (!Number.isFinite(v)) throw new ConfigError(`--${flag}: expected a decimal number, got '${raw}'`);
  return v;
}

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, false: false, 1: true, 0: false };

function parseBoolean(flag: string, raw: string): boolean {
  const v = BOOLEAN_WORDS[raw];
  if (v === undefined) throw new ConfigError(`--${flag}: expected true or false, got '${raw}'`);
  return v;
}

function parseValue(flag: string, field: Field<unknown>, raw: string): unknown {
  const d = field.default;
  if (typeof d === 'number') return parseNumber(flag, raw);
  if (typeof d === 'boolean') return parseBoolean(flag, raw);
  if (Array.isArray(d)) {
    const parts = raw.split(',').map((x) => x.trim());
    if (parts.some((x) => !DECIMAL.test(x))) throw new ConfigError(`--${flag}: expected comma-separated decimal numbers, got '${raw}'`);
    return parts.map((x) => parseNumber(flag, x));
  }
  return raw;
}

/** Parse `args` against the union of the schemas; returns overrides by config key plus positional args. */
export function parseFlags(args: readonly string[], schemas: readonly Schema<unknown>[], extra: Record<string, 'string' | 'boolean'> = {}): { values: Record<string, unknown>; positional: string[] } {
  const fields = new Map<string, Field<unknown>>();
  for (const s of schemas) for (const [k, f] of Object.entries(s as Record<string, Field<unknown>>)) fields.set(k, f);
  const values: Record<string, unknown> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) { positional.push(a); continue; }
    let [name, raw] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    let negate = false;
    if (name.startsWith('no-') && !fields.has(camel(name)) && !(camel(name) in extra)) { negate = true; name = name.slice(3); }
    const key = camel(name);
    const field = fields.get(key);
    const kind = key in extra ? extra[key] : field === undefined ? undefined : typeof field.default === 'boolean' ? 'boolean' : 'value';
    if (kind === undefined) {
      const close = closeMatches(name, [...fields.keys(), ...Object.keys(extra)].map(kebab));
      throw new ConfigError(`unknown option --${name}${close.length ? ` (did you mean ${close.map((c) => `--${c}`).join(', ')}?)` : ''}`);
    }
    if (negate && kind !== 'boolean') throw new ConfigError(`--no-${name}: only on/off options take --no-; --${name} takes a value`);
    if (kind === 'boolean') {
      if (negate && raw !== undefined) throw new ConfigError(`--no-${name} takes no value (write --${name}=${raw === 'true' ? 'false' : 'true'})`);
      // `--flag true|false` as two words: the value is consumed only when it is one of those.
      if (raw === undefined && (args[i + 1] === 'true' || args[i + 1] === 'false')) raw = args[++i];
      values[key] = raw === undefined ? !negate : parseBoolean(name, raw);
      continue;
    }
    raw ??= args[++i];
    if (raw === undefined) throw new ConfigError(`--${name}: missing value`);
    values[key] = field === undefined ? raw : parseValue(name, field, raw);
  }
  return { values, positional };
}

/** Help lines for every field of the schemas, showing `values[key]` (the value a run would use) or else the default. */
export function flagHelp(schemas: readonly Schema<unknown>[], values: Record<string, unknown> = {}): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const s of schemas) {
    for (const [k, f] of Object.entries(s as Record<string, Field<unknown>>)) {
      if (seen.has(k)) continue;
      seen.add(k);
      const v = k in values ? values[k] : f.default;
      const d = Array.isArray(v) ? v.join(',') : String(v);
      lines.push(`  --${kebab(k).padEnd(26)} ${f.doc}${f.choices ? ` (${f.choices.join('|')})` : ''} [${d}]`);
    }
  }
  return lines;
}

/**
 * Command-line flags generated from config schemas: `--total-steps 20000`,
 * `--actor-hidden 64,64`, `--autotune false` / `--no-autotune`. Unknown flags and
 * unparsable values are errors that name the flag.
 */
import { closeMatches } from '../core/edit-distance.js';
import { ConfigError, kebab, type Field, type Schema } from '../core/config.js';

const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function parseValue(flag: string, field: Field<unknown>, raw: string): unknown {
  const d = field.default;
  if (typeof d === 'number') {
    const v = Number(raw.replace(/_/g, ''));
    if (raw.trim() === '' || Number.isNaN(v)) throw new ConfigError(`--${flag}: expected a number, got '${raw}'`);
    return v;
  }
  if (typeof d === 'boolean') {
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new ConfigError(`--${flag}: expected true or false, got '${raw}'`);
  }
  if (Array.isArray(d)) {
    const parts = raw.split(',').map((x) => Number(x.trim()));
    if (parts.some((x) => Number.isNaN(x))) throw new ConfigError(`--${flag}: expected comma-separated numbers, got '${raw}'`);
    return parts;
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
    if (key in extra) {
      if (extra[key] === 'boolean') values[key] = !negate;
      else { raw ??= args[++i]; if (raw === undefined) throw new ConfigError(`--${name}: missing value`); values[key] = raw; }
      continue;
    }
    const field = fields.get(key);
    if (field === undefined) {
      const close = closeMatches(name, [...fields.keys(), ...Object.keys(extra)].map(kebab));
      throw new ConfigError(`unknown option --${name}${close.length ? ` (did you mean ${close.map((c) => `--${c}`).join(', ')}?)` : ''}`);
    }
    if (typeof field.default === 'boolean' && raw === undefined) { values[key] = !negate; continue; }
    raw ??= args[++i];
    if (raw === undefined) throw new ConfigError(`--${name}: missing value`);
    values[key] = parseValue(name, field, raw);
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

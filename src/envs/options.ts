/**
 * Env keyword options (Gymnasium's snake_case names, e.g. the v5 MuJoCo options) checked
 * against each env's defaults: unknown keys and wrong types are errors that
 * name the env.
 */
export type OptionValue = number | boolean | string | readonly [number, number];

export function resolveOptions<T extends Record<string, OptionValue>>(envId: string, defaults: T, options: Record<string, unknown>): T {
  const resolved: Record<string, OptionValue> = { ...defaults };
  for (const [key, value] of Object.entries(options)) {
    if (!(key in defaults)) {
      throw new RangeError(`${envId}: unknown option '${key}'; valid options: ${Object.keys(defaults).join(', ')}`);
    }
    const fallback = defaults[key]!;
    const ok = Array.isArray(fallback)
      ? Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number' && !Number.isNaN(v))
      : typeof value === typeof fallback && !(typeof value === 'number' && Number.isNaN(value));
    if (!ok) throw new TypeError(`${envId}: option '${key}' must be ${describe(fallback)}, got ${JSON.stringify(value)}`);
    resolved[key] = value as OptionValue;
  }
  return resolved as T;
}

function describe(value: OptionValue): string {
  return Array.isArray(value) ? 'a [low, high] pair of numbers' : `a ${typeof value}`;
}

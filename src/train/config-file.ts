/**
 * Training configuration in files: `hyperrl train --config run.yaml` (or .json) reads a
 * flat mapping of the same keys as `train()`'s config and the CLI's flags (camelCase,
 * as in the run folder's config.json), plus `modules`: files that register custom envs.
 * Every run writes its resolved configuration back as config.yaml, which `--config`
 * reads again. The JSON Schema of these files (`hyperrl schema`) gives editors
 * completion and checks; it is generated from the typed schemas, like the flags.
 *
 *   # yaml-language-server: $schema=./node_modules/hyperrl/docs/hyperrl.schema.json
 *   env: HalfCheetah-v5
 *   algo: sac
 *   totalSteps: 200000
 *   actorHidden: [256, 256]
 */
import { readFileSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { Document, isSeq, parse, visit } from 'yaml';
import { modulePath } from './modules.js';
import { ConfigError, nonNegative, nonNegativeInt, positive, positiveInt, positiveInts, unitInterval, type Field, type Schema } from '../core/config.js';

export interface ConfigFile {
  /** Train settings by config key, unchecked (resolveTrainConfig checks them). */
  settings: Record<string, unknown>;
  /** Absolute paths of the modules that register custom envs (given relative to the file). */
  modules: string[];
}

/** The key of a config file that lists env modules rather than a train setting. */
export const MODULES_KEY = 'modules';

/** Read a YAML or JSON config file; syntax errors and a misplaced `modules` name the file. */
export function readConfigFile(path: string): ConfigFile {
  const ext = extname(path).toLowerCase();
  if (!['.yaml', '.yml', '.json'].includes(ext)) throw new ConfigError(`--config ${path}: expected a .yaml, .yml or .json file`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`--config ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = ext === '.json' ? JSON.parse(text) : parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  raw ??= {}; // an empty YAML file
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`config file ${path}: expected a mapping of config keys to values, got ${JSON.stringify(raw)}`);
  const { [MODULES_KEY]: modules = [], ...settings } = raw as Record<string, unknown>;
  if ('run' in settings && 'agent' in settings) {
    throw new ConfigError(`config file ${path}: this is a run folder's config.json ({ run, agent }); pass the run's config.yaml, which holds the same settings as one mapping`);
  }
  if (!Array.isArray(modules) || modules.some((m) => typeof m !== 'string')) throw new ConfigError(`config file ${path}: '${MODULES_KEY}' must be a list of file paths, got ${JSON.stringify(modules)}`);
  return { settings, modules: (modules as string[]).map((m) => modulePath(m, dirname(path))) };
}

/** A resolved configuration as the YAML that `--config` reads: every key, each under its one-line doc. */
export function configYaml(settings: Record<string, unknown>, schemas: readonly Schema<unknown>[], modules: readonly string[] = []): string {
  const doc = new Document(modules.length > 0 ? { ...settings, [MODULES_KEY]: modules } : settings);
  doc.commentBefore = ' hyperrl train configuration (resolved). Run it again with: hyperrl train --config config.yaml';
  const fields = new Map<string, Field<unknown>>();
  for (const s of schemas) for (const [k, f] of Object.entries(s as Record<string, Field<unknown>>)) fields.set(k, f);
  visit(doc, {
    Pair(_, pair) {
      const k = String((pair.key as { value: unknown }).value);
      const f = fields.get(k);
      const doc = k === MODULES_KEY ? 'files that register custom envs' : f?.doc;
      if (doc !== undefined) (pair.key as { commentBefore?: string }).commentBefore = ` ${doc}`;
      if (isSeq(pair.value) && k !== MODULES_KEY) pair.value.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

export type JsonSchema = Record<string, unknown>;

/** The JSON Schema constraints that the config checks stand for (checks not listed constrain only the type). */
const CHECK_CONSTRAINTS = new Map<unknown, JsonSchema>([
  [positiveInt, { type: 'integer', minimum: 1 }],
  [nonNegativeInt, { type: 'integer', minimum: 0 }],
  [positive, { exclusiveMinimum: 0 }],
  [nonNegative, { minimum: 0 }],
  [unitInterval, { minimum: 0, maximum: 1 }],
  [positiveInts, { items: { type: 'integer', minimum: 1 } }],
]);

/** One config field as a JSON Schema property: type, default, doc, choices and the check's bounds. */
export function fieldJsonSchema(field: Field<unknown>): JsonSchema {
  const d = field.default;
  const type = Array.isArray(d) ? 'array' : typeof d === 'number' ? 'number' : typeof d;
  return {
    type,
    ...(Array.isArray(d) ? { items: { type: 'number' } } : {}),
    ...(field.choices ? { enum: [...field.choices] } : {}),
    ...CHECK_CONSTRAINTS.get(field.check),
    default: d,
    description: field.doc,
  };
}

/**
 * The JSON Schema (draft-07) of a train config file: the run's keys, each algorithm's
 * keys (only those of the `algo` the file names, the first algorithm's when it names
 * none), and `modules`.
 */
export function trainConfigJsonSchema(run: Schema<unknown>, algorithms: Record<string, Schema<unknown>>, defaultAlgo: string): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const add = (s: Schema<unknown>): string[] => Object.entries(s as Record<string, Field<unknown>>).map(([k, f]) => {
    properties[k] = fieldJsonSchema(f);
    return k;
  });
  const runKeys = add(run);
  const keysOf = Object.fromEntries(Object.entries(algorithms).map(([name, s]) => [name, add(s)]));
  properties[MODULES_KEY] = { type: 'array', items: { type: 'string' }, description: 'files (relative to this one) that register custom envs: import { register } from \'hyperrl\'' };
  const allowed = (algo: string): JsonSchema => ({ propertyNames: { enum: [...runKeys, ...keysOf[algo]!, MODULES_KEY] } });
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'hyperrl train configuration',
    description: 'hyperrl train --config FILE: keys as in `hyperrl train --help` (camelCase); command-line flags override the file',
    type: 'object',
    properties,
    additionalProperties: false,
    allOf: Object.keys(algorithms).map((algo) => ({
      if: algo === defaultAlgo
        ? { anyOf: [{ not: { required: ['algo'] } }, { properties: { algo: { const: algo } }, required: ['algo'] }] }
        : { properties: { algo: { const: algo } }, required: ['algo'] },
      then: allowed(algo),
    })),
  };
}

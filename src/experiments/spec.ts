/**
 * The experiment spec: a JSON grid of env × algo × critic × seed training runs with
 * shared train overrides and optional per-cell overrides. Every key is checked, and
 * every cell's train config is resolved up front, so a typo fails before any run
 * starts, with a message naming the key.
 *
 *   {
 *     "name": "smoke",
 *     "description": "why this grid and these settings",
 *     "grid": { "env": ["Pendulum-v1"], "algo": ["td3"], "critic": ["mlp", "hyper"], "seed": [1, 2] },
 *     "train": { "totalSteps": 3000, "evalEvery": 500 },
 *     "overrides": [{ "where": { "critic": "hyper" }, "train": { "hyperCriticLr": 1e-4 } }]
 *   }
 *
 * `"modules": ["./my-env.mjs"]` (paths relative to the spec file) registers custom envs
 * for the grid: imported before the spec is checked, and by every run and diagnostic.
 *
 * Grid critics: `mlp` (the baseline every other critic is compared with), `hyper`
 * (the preset from `train.hyperPreset`, default compact), and `hyper-compact` /
 * `hyper-paper` to put both presets in one grid; `context` for MAML (Context-MAML). The
 * coordinate sets the algorithm's `critic` key, or the key its registry entry names
 * (`gridKey`: MAML's `policy`).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import '../envs/index.js';
import { algorithm, ALGORITHM_NAMES, ALGORITHMS } from '../algos/registry.js';
import { registeredIds } from '../envs/registry.js';
import { ConfigError } from '../core/config.js';
import { importModules, modulePath } from '../train/modules.js';
import { resolveTrainConfig } from '../train/run-config.js';

export const CRITICS = ['mlp', 'hyper', 'hyper-compact', 'hyper-paper', 'context'] as const;
/** A TD3/SAC critic (MAML's policy: mlp, context, hyper), or a variant an algorithm names in its `gridVariants` (the meta-RL policies: `standard`, `hyper-bias-hyperinit`, …). */
export type GridCritic = string;
/** The critic every other critic of the same env × algo is compared with (algorithms without grid variants). */
export const BASELINE_CRITIC = 'mlp';

/** The grid value every other of the same env × algo is compared with: the algorithm's baseline variant, else the MLP critic. */
export const baselineCritic = (algo: string): string => algorithm(algo).gridVariants?.baseline ?? BASELINE_CRITIC;

/** Every name the grid's critic axis accepts. */
const gridCriticNames = (): string[] => [...new Set([...CRITICS, ...ALGORITHMS.flatMap((a) => Object.keys(a.gridVariants?.variants ?? {}))])];

export interface Grid {
  env: string[];
  algo: string[];
  critic: GridCritic[];
  seed: number[];
}

/** Extra train settings for the cells matching every given grid coordinate. */
export interface CellOverride {
  where: Partial<{ env: string; algo: string; critic: GridCritic; seed: number }>;
  train: Record<string, unknown>;
}

export interface ExperimentSpec {
  name: string;
  description: string;
  grid: Grid;
  train: Record<string, unknown>;
  overrides: CellOverride[];
  /** `hyperrl diagnose grad` options for the runs that keep snapshots (e.g. { "states": 15 }); the authors' defaults otherwise. */
  diagnose: Record<string, number>;
  /** Absolute paths of modules that register custom envs (imported by the runner and each child). */
  modules: string[];
}

/** The diagnostic's numeric options a spec may set (the flags of `hyperrl diagnose grad`). */
const DIAGNOSE_KEYS = ['states', 'actions', 'every', 'noiseStd', 'holdSteps', 'maxEpisodeSteps', 'gamma', 'seed', 'envs'] as const;

/** One training run of the grid. */
export interface Cell {
  /** `<env>__<algo>-<critic>__<seed>`: the run folder's name inside `<experiment>/runs/`. */
  id: string;
  env: string;
  algo: string;
  critic: GridCritic;
  seed: number;
  /** The full `train()` overrides (grid coordinates included), as `resolveTrainConfig` takes them. */
  train: Record<string, unknown>;
  totalSteps: number;
  /** Env steps before the first update: evaluations up to it score the untrained policy. */
  learningStarts: number;
}

/** Keys the grid sets; a train section may not set them too. */
const GRID_KEYS = ['env', 'algo', 'critic', 'seed'] as const;
/** Train keys the runner owns: each run lives in `<experiment>/runs/<cell id>/`. */
const RUNNER_KEYS = ['runsDir'];

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

class SpecReader {
  constructor(private readonly source: string) {}

  fail(key: string, msg: string): never {
    throw new ConfigError(`experiment spec ${this.source}: '${key}' ${msg}`);
  }

  object(v: unknown, key: string, allowed: readonly string[], required: readonly string[]): Json {
    if (!isObject(v)) this.fail(key, `must be an object, got ${JSON.stringify(v)}`);
    for (const k of Object.keys(v)) if (!allowed.includes(k)) this.fail(key === '' ? k : `${key}.${k}`, `is not a known key; known: ${allowed.join(', ')}`);
    for (const k of required) if (!(k in v)) this.fail(key === '' ? k : `${key}.${k}`, 'is required');
    return v;
  }

  list<T>(v: unknown, key: string, item: (x: unknown, key: string) => T): T[] {
    if (!Array.isArray(v) || v.length === 0) this.fail(key, `must be a non-empty list, got ${JSON.stringify(v)}`);
    const out = v.map((x, i) => item(x, `${key}[${i}]`));
    const dup = out.find((x, i) => out.indexOf(x) !== i);
    if (dup !== undefined) this.fail(key, `lists ${JSON.stringify(dup)} twice`);
    return out;
  }

  env(v: unknown, key: string): string {
    const ids = registeredIds();
    if (typeof v !== 'string' || !ids.includes(v)) this.fail(key, `must be a registered environment (${ids.join(', ')}), got ${JSON.stringify(v)}`);
    return v;
  }

  choice<T extends string>(choices: readonly T[]) {
    return (v: unknown, key: string): T => {
      if (!choices.includes(v as T)) this.fail(key, `must be one of ${choices.join(', ')}, got ${JSON.stringify(v)}`);
      return v as T;
    };
  }

  seed(v: unknown, key: string): number {
    if (!Number.isInteger(v) || (v as number) < 0) this.fail(key, `must be a non-negative integer, got ${JSON.stringify(v)}`);
    return v as number;
  }

  /** A partial cell (some of env, algo, critic, seed), as an override's `where` or `--only`. */
  where(v: unknown, key: string): CellOverride['where'] {
    const w = this.object(v, key, GRID_KEYS, []);
    const where: CellOverride['where'] = {};
    if (w.env !== undefined) where.env = this.env(w.env, `${key}.env`);
    if (w.algo !== undefined) where.algo = this.choice(ALGORITHM_NAMES)(w.algo, `${key}.algo`);
    if (w.critic !== undefined) where.critic = this.choice(gridCriticNames())(w.critic, `${key}.critic`);
    if (w.seed !== undefined) where.seed = this.seed(w.seed, `${key}.seed`);
    return where;
  }

  train(v: unknown, key: string): Json {
    if (!isObject(v)) this.fail(key, `must be an object of train settings, got ${JSON.stringify(v)}`);
    for (const k of Object.keys(v)) {
      if ((GRID_KEYS as readonly string[]).includes(k)) this.fail(`${key}.${k}`, 'is set by the grid, not by train settings');
      if (RUNNER_KEYS.includes(k)) this.fail(`${key}.${k}`, 'is set by the experiment runner (runs live in <experiment>/runs/<cell>/)');
    }
    return v;
  }
}

/** Validate a parsed spec; `source` names it in error messages. */
export function parseSpec(raw: unknown, source: string): ExperimentSpec {
  const r: SpecReader = new SpecReader(source); // annotated so that r.fail (never) narrows types
  const top = r.object(raw, '', ['name', 'description', 'grid', 'train', 'overrides', 'diagnose', 'modules'], ['name', 'grid']);
  const modules = specModules(raw as Json, source);
  if (typeof top.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(top.name)) r.fail('name', `must be a folder-safe name (letters, digits, . _ -), got ${JSON.stringify(top.name)}`);
  if (top.description !== undefined && typeof top.description !== 'string') r.fail('description', 'must be a string');
  const g = r.object(top.grid, 'grid', GRID_KEYS, GRID_KEYS);
  const grid: Grid = {
    env: r.list(g.env, 'grid.env', (x, k) => r.env(x, k)),
    algo: r.list(g.algo, 'grid.algo', r.choice(ALGORITHM_NAMES)),
    critic: r.list(g.critic, 'grid.critic', r.choice(gridCriticNames())),
    seed: r.list(g.seed, 'grid.seed', (x, k) => r.seed(x, k)),
  };
  const train = top.train === undefined ? {} : r.train(top.train, 'train');
  const overrides = top.overrides === undefined ? [] : (() => {
    if (!Array.isArray(top.overrides)) r.fail('overrides', 'must be a list of { where, train }');
    return top.overrides.map((o, i): CellOverride => {
      const key = `overrides[${i}]`;
      const ov = r.object(o, key, ['where', 'train'], ['where', 'train']);
      return { where: r.where(ov.where, `${key}.where`), train: r.train(ov.train, `${key}.train`) };
    });
  })();
  const diagnose: Record<string, number> = {};
  if (top.diagnose !== undefined) {
    for (const [k, v] of Object.entries(r.object(top.diagnose, 'diagnose', DIAGNOSE_KEYS, []))) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) r.fail(`diagnose.${k}`, `must be a positive number, got ${JSON.stringify(v)}`);
      diagnose[k] = v;
    }
  }
  const spec: ExperimentSpec = { name: top.name, description: (top.description as string | undefined) ?? '', grid, train, overrides, diagnose, modules };
  const ids = new Set<string>();
  for (const cell of cells(spec)) ids.add(cell.id); // resolves every cell: bad train keys or values fail here
  if (ids.size === 0) r.fail('grid', 'has no cells');
  return spec;
}

/** The spec's `modules` as absolute paths (relative ones are relative to the spec file). */
function specModules(raw: Json, source: string): string[] {
  const m = raw.modules ?? [];
  if (!Array.isArray(m) || m.some((x) => typeof x !== 'string')) throw new ConfigError(`experiment spec ${source}: 'modules' must be a list of file paths, got ${JSON.stringify(m)}`);
  return (m as string[]).map((x) => modulePath(x, dirname(source)));
}

/** Read a spec file, importing its env modules before checking it (its env ids may be theirs). */
export async function readSpec(file: string): Promise<ExperimentSpec> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`experiment spec ${file}: ${(e as Error).message}`);
  }
  if (isObject(raw)) await importModules(specModules(raw, file));
  return parseSpec(raw, file);
}

/**
 * `--only critic=mlp,env=Hopper-v5`: the cells a runner takes (part of a grid on one machine, the
 * rest elsewhere or later); keys as in an override's `where`, checked the same way.
 */
export function parseCellFilter(text: string): CellOverride['where'] {
  const raw: Json = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--only: expected key=value pairs separated by commas (keys ${GRID_KEYS.join(', ')}), got ${JSON.stringify(pair)}`);
    const k = pair.slice(0, eq).trim(), v = pair.slice(eq + 1).trim();
    raw[k] = k === 'seed' && /^\d+$/.test(v) ? Number(v) : v;
  }
  return new SpecReader('--only').where(raw, 'only');
}

/** One slice of a grid for a job array: the cells at positions index, index + count, … (0 ≤ index < count). */
export interface Shard {
  index: number;
  count: number;
}

/**
 * `--shard 3/8`: the slice a job array's task 3 of 8 runs (Slurm's `$SLURM_ARRAY_TASK_ID` with
 * `--array=0-7`, Kubernetes' `$JOB_COMPLETION_INDEX`); every cell falls in exactly one slice.
 */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]), count = Number(m?.[2]);
  if (m === null || count < 1 || index >= count) throw new ConfigError(`--shard: expected i/n with 0 ≤ i < n (e.g. 0/4 … 3/4 for four array tasks), got ${JSON.stringify(text)}`);
  return { index, count };
}

/** The shard's cells, dealt round-robin so each slice gets a mix of seeds and critics. */
export const shardCells = <T>(all: readonly T[], shard: Shard): T[] => all.filter((_, i) => i % shard.count === shard.index);

export const cellMatches = (where: CellOverride['where'], c: Pick<Cell, 'env' | 'algo' | 'critic' | 'seed'>): boolean =>
  (where.env === undefined || where.env === c.env) && (where.algo === undefined || where.algo === c.algo)
  && (where.critic === undefined || where.critic === c.critic) && (where.seed === undefined || where.seed === c.seed);

/**
 * The grid's critic name as train settings: a variant of the algorithm's `gridVariants`, or a
 * critic under the key its entry names (`critic`, MAML's `policy`).
 */
function criticSettings(critic: GridCritic, algo: string): Json {
  const entry = algorithm(algo);
  const own = entry.gridVariants;
  if (own !== undefined) {
    const settings = own.variants[critic];
    if (settings === undefined) throw new ConfigError(`critic '${critic}' is not a variant of ${algo}; its variants: ${Object.keys(own.variants).join(', ')}`);
    return { ...settings };
  }
  if (!(CRITICS as readonly string[]).includes(critic)) throw new ConfigError(`critic '${critic}' is not a ${algo} critic; critics: ${CRITICS.join(', ')}`);
  const key = entry.gridKey ?? 'critic';
  if (critic === 'hyper-compact') return { [key]: 'hyper', hyperPreset: 'compact' };
  if (critic === 'hyper-paper') return { [key]: 'hyper', hyperPreset: 'paper' };
  return { [key]: critic };
}

export const cellId = (c: Pick<Cell, 'env' | 'algo' | 'critic' | 'seed'>): string => `${c.env}__${c.algo}-${c.critic}__${c.seed}`;

/**
 * Every cell of the grid, seed-major (all cells of seed 1 first), so an experiment stopped
 * part-way has covered as many env × algo × critic cells as possible; each train config
 * resolved (throws ConfigError naming the cell).
 */
export function cells(spec: ExperimentSpec): Cell[] {
  const out: Cell[] = [];
  for (const seed of spec.grid.seed) for (const env of spec.grid.env) for (const algo of spec.grid.algo) for (const critic of spec.grid.critic) {
    const coords = { env, algo, critic, seed };
    const train: Json = { ...spec.train };
    for (const o of spec.overrides) if (cellMatches(o.where, coords)) Object.assign(train, o.train);
    const id = cellId(coords);
    let run: { totalSteps: number; learningStarts: number };
    try {
      Object.assign(train, { env, algo, seed }, criticSettings(critic, algo));
      run = resolveTrainConfig(train).run;
    } catch (e) {
      throw new ConfigError(`experiment spec '${spec.name}', cell ${id}: ${(e as Error).message}`);
    }
    out.push({ id, ...coords, train, totalSteps: run.totalSteps, learningStarts: run.learningStarts });
  }
  return out;
}

/** Where a cell's run lives inside the experiment folder. */
export const cellRunDir = (experimentDir: string, cell: Pick<Cell, 'id'>): string => join(experimentDir, 'runs', cell.id);

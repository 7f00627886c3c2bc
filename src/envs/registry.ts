/**
 * The env registry: `make(id, options)` builds a registered env and wraps it in
 * `TimeLimit` when the registration has an episode limit. Users add their own
 * envs with `register`.
 */
import { closeMatches } from '../core/edit-distance.js';
import type { Env } from './core.js';
import { TimeLimit } from './wrappers.js';

export type EnvOptions = Record<string, unknown>;

export interface EnvRegistration {
  /**
   * Builds the env synchronously; may rely on `prepare` having resolved. Registrations that
   * set `appliesTimeLimit` receive the episode limit (undefined: none) as `maxEpisodeSteps`.
   */
  create(options: EnvOptions, maxEpisodeSteps?: number): Env;
  /** Async one-time setup per thread (e.g. loading MuJoCo's WebAssembly module). */
  prepare?(): Promise<void>;
  /** Episode limit applied by `make` via `TimeLimit` (override with option `maxEpisodeSteps`; `null` disables). */
  maxEpisodeSteps?: number;
  /**
   * `create` applies the episode limit itself instead of `make` wrapping the env in
   * `TimeLimit`: for envs with wrappers that must sit outside the limit because their
   * episodes span several time-limited ones (meta-RL trials, src/envs/meta/bamdp.ts).
   */
  appliesTimeLimit?: boolean;
}

/** Options `make` consumes itself; the rest go to the env. */
export interface MakeOptions extends EnvOptions {
  maxEpisodeSteps?: number | null;
}

const registry = new Map<string, EnvRegistration>();

export function register(id: string, registration: EnvRegistration): void {
  if (registry.has(id)) throw new Error(`register: env id '${id}' is already registered`);
  registry.set(id, registration);
}

export function registeredIds(): string[] {
  return [...registry.keys()].sort();
}

/** Build an env; awaits the registration's one-time setup first. */
export async function make(id: string, options: MakeOptions = {}): Promise<Env> {
  const registration = lookup(id);
  await registration.prepare?.();
  return build(registration, options);
}

/** Build an env synchronously; for envs that need setup, `await prepare(id)` (or `make`) must have run in this thread. */
export function makeSync(id: string, options: MakeOptions = {}): Env {
  return build(lookup(id), options);
}

/** Run an env id's one-time setup in this thread. */
/** The episode limit `make(id)` applies by default (undefined: none); an Error names an unknown id. */
export function registeredEpisodeLimit(id: string): number | undefined {
  return lookup(id).maxEpisodeSteps;
}

export async function prepare(id: string): Promise<void> {
  await lookup(id).prepare?.();
}

function build(registration: EnvRegistration, options: MakeOptions): Env {
  const { maxEpisodeSteps, ...envOptions } = options;
  const limit = (maxEpisodeSteps === undefined ? registration.maxEpisodeSteps : maxEpisodeSteps) ?? undefined;
  if (registration.appliesTimeLimit) return registration.create(envOptions, limit);
  const env = registration.create(envOptions);
  return limit === undefined ? env : new TimeLimit(env, limit);
}

function lookup(id: string): EnvRegistration {
  // Reached from JavaScript or a config file, id may be anything: say so rather than fail inside the suggestions.
  if (typeof id !== 'string' || id === '') throw new TypeError(`make: the env id must be a non-empty string such as 'Pendulum-v1', got ${id === '' ? "''" : String(id)}`);
  const registration = registry.get(id);
  if (registration !== undefined) return registration;
  const near = suggestions(id, [...registry.keys()]);
  const hint = near.length > 0 ? ` Did you mean: ${near.join(', ')}?` : '';
  // The whole list is short (about twenty ids), so the message names them rather than pointing elsewhere.
  throw new Error(`Unknown env id '${id}'.${hint} Registered: ${[...registry.keys()].join(', ')}`);
}

/** Registered ids near `id`, nearest first: the same name at another version, then by edit distance (case-insensitive). */
function suggestions(id: string, ids: string[]): string[] {
  const stripVersion = (s: string): string => s.toLowerCase().replace(/-v\d+$/, '');
  const otherVersions = ids.filter((c) => stripVersion(c) === stripVersion(id));
  return [...new Set([...otherVersions, ...closeMatches(id, ids, { normalize: (s) => s.toLowerCase(), limit: 5 })])].slice(0, 5);
}

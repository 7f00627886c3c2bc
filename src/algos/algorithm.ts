/**
 * What a registry entry says about an algorithm (src/algos/registry.ts lists them): its
 * name, its typed config schema with presets, a factory for its agent and the training
 * loop that drives the agent. An algorithm's file exports its entry; docs/algorithms.md
 * shows how to add one.
 */
import type { Schema } from '../core/config.js';
import type { Engine } from '../tensor/engine.js';
import type { Agent, EnvSpaces, OffPolicyAgent, OffPolicyConfig, OnPolicyAgent, OnPolicyEnvConfig } from './agent.js';

/**
 * The training loops (src/train/loops/): 'off-policy' steps one env and updates from a
 * replay buffer after every step (TD3, SAC); 'on-policy' steps numEnvs envs together for a
 * rollout of numSteps steps, then updates from it (PPO).
 */
export type LoopKind = 'off-policy' | 'on-policy';

/**
 * A named set of overrides of the defaults: `run` holds keys of the run config
 * (src/train/run-config.ts, checked when resolved: this layer does not know them), `agent`
 * keys of the algorithm's own schema.
 */
export interface Preset<C> {
  run: Readonly<Record<string, number | string | boolean>>;
  agent: Partial<C>;
}

/** Every algorithm has `cleanrl` (CleanRL's script for it, the default preset); others are named by their source. */
export type Presets<C> = { cleanrl: Preset<C> } & Record<string, Preset<C>>;

/** How a run is named: `tag` in run folder names (`td3-hyper`), `title` in logs (`TD3 (hyper critic)`). */
export interface RunLabel {
  tag: string;
  title: string;
}

/** The run label of an algorithm with a choice of critic: `td3-hyper`, `TD3 (hyper critic)`. */
export const criticLabel = (name: string) => (config: OffPolicyConfig): RunLabel =>
  ({ tag: `${name}-${config.critic}`, title: `${name.toUpperCase()} (${config.critic} critic)` });

export interface AlgorithmBase<C extends object, A extends Agent> {
  /** `--algo <name>`; lower case. */
  readonly name: string;
  /** One line for `hyperrl train --help`: the algorithm and its paper. */
  readonly summary: string;
  readonly schema: Schema<C>;
  readonly presets: Presets<C>;
  label(config: C): RunLabel;
  /** A fresh agent for the env's spaces (errors name the env when the spaces do not suit the algorithm). */
  create(engine: Engine, env: EnvSpaces, config: C, seed: number): A;
}

export interface OffPolicyAlgorithm<C extends OffPolicyConfig = OffPolicyConfig> extends AlgorithmBase<C, OffPolicyAgent> {
  readonly loop: 'off-policy';
}

export interface OnPolicyAlgorithm<C extends OnPolicyEnvConfig = OnPolicyEnvConfig> extends AlgorithmBase<C, OnPolicyAgent> {
  readonly loop: 'on-policy';
}

/** Any registered algorithm; `loop` says which kind it is. */
export type Algorithm = OffPolicyAlgorithm | OnPolicyAlgorithm;

/** An algorithm's resolved config: an object of its schema's type (checked by `resolveConfig`). */
export type AlgorithmConfig = object;

/** The config type of an algorithm entry. */
export type ConfigOf<A extends Algorithm> = Parameters<A['create']>[2];

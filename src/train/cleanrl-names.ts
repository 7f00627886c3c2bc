/**
 * CleanRL's argument names (td3_continuous_action.py, sac_continuous_action.py; as flags
 * `--total-timesteps`, as keys `totalTimesteps`) accepted for ours, so CleanRL command
 * lines and configs carry over. Names that are the same in both (`--seed`, `--gamma`,
 * `--tau`, `--batch-size`, `--buffer-size`, `--learning-starts`, `--policy-noise`,
 * `--noise-clip`, `--exploration-noise`, `--policy-lr`, `--q-lr`, `--alpha`, `--autotune`,
 * `--target-network-frequency`, SAC's `--policy-frequency`) need no entry.
 *
 * `--learning-rate` (CleanRL's TD3: one rate for both optimisers) sets `actorLr` and
 * `criticLr`; a hyper critic keeps its own `hyperCriticLr` (HypeRL's 5e-5: at CleanRL's
 * 3e-4 it diverged), which is set explicitly if wanted.
 */
import { ConfigError, type Field } from '../core/config.js';

export interface CleanRlName {
  /** The value's type, for parsing it from the command line. */
  kind: 'number' | 'boolean' | 'string';
  /** Our keys it sets, per algorithm (`*`: any algorithm). */
  to: Record<string, readonly string[]>;
  /** Shown in --help, and in the error when the name sets nothing for the chosen algorithm. */
  note: string;
}

export const CLEANRL_NAMES: Record<string, CleanRlName> = {
  envId: { kind: 'string', to: { '*': ['env'] }, note: 'CleanRL\'s name for --env' },
  totalTimesteps: { kind: 'number', to: { '*': ['totalSteps'] }, note: 'CleanRL\'s name for --total-steps' },
  learningRate: { kind: 'number', to: { td3: ['actorLr', 'criticLr'] }, note: 'CleanRL\'s TD3 rate of both optimisers: sets --actor-lr and --critic-lr (not --hyper-critic-lr); CleanRL\'s SAC has --policy-lr and --q-lr instead' },
  policyFrequency: { kind: 'number', to: { td3: ['policyDelay'] }, note: 'CleanRL\'s TD3 name for --policy-delay (SAC has --policy-frequency itself)' },
  numEnvs: { kind: 'number', to: {}, note: 'TD3 and SAC here step one environment, as CleanRL\'s do by default: only --num-envs 1 is accepted' },
  expName: { kind: 'string', to: {}, note: 'no equivalent: runs are named <env>__<algo>-<critic>__<seed>__<time>; use --run-dir DIR to choose the folder' },
  torchDeterministic: { kind: 'boolean', to: {}, note: 'no equivalent: every backend is deterministic for a given seed' },
  cuda: { kind: 'boolean', to: {}, note: 'no equivalent: the backend is native, wasm or js (HYPERRL_BACKEND=...)' },
  track: { kind: 'boolean', to: {}, note: 'no equivalent: every run writes TensorBoard event files (W&B: wandb sync --sync-tensorboard runs/<id>)' },
  captureVideo: { kind: 'boolean', to: {}, note: 'no equivalent: no video capture' },
  saveModel: { kind: 'boolean', to: {}, note: 'no equivalent needed: every run saves checkpoints (hyperrl export for PyTorch)' },
};

/** Fields for the CleanRL names, so the command line parses their values (by type) like any flag. */
export function cleanRlFields(): Record<string, Field<unknown>> {
  const example = { number: 0, boolean: false, string: '' } as const;
  return Object.fromEntries(Object.entries(CLEANRL_NAMES).map(([k, n]) => [k, { default: example[n.kind], doc: n.note }]));
}

/**
 * Settings with CleanRL's names replaced by ours for `algo`. A name with no counterpart
 * for this algorithm, or one given together with the key it sets, is an error naming both.
 */
export function translateCleanRlNames(settings: Record<string, unknown>, algo: string, isKey: (key: string) => boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  for (const [k, v] of Object.entries(settings)) {
    const name = CLEANRL_NAMES[k];
    if (name === undefined || isKey(k)) {
      if (k in from) throw new ConfigError(`train: '${k}' is set twice, as '${k}' and as CleanRL's '${from[k]}'`);
      out[k] = v;
      from[k] ??= k;
      continue;
    }
    if (k === 'numEnvs' && v === 1) continue;
    const targets = name.to[algo] ?? name.to['*'];
    if (targets === undefined) throw new ConfigError(`train: '${k}' (CleanRL) does not apply to ${algo}: ${name.note}`);
    for (const t of targets) {
      if (t in from) throw new ConfigError(`train: '${t}' is set twice, as '${from[t]}' and as CleanRL's '${k}'`);
      out[t] = v;
      from[t] = k;
    }
  }
  return out;
}

/**
 * The adversarial suite: bad input of every kind — command-line values, configurations (new and
 * stored), env ids and actions, env outputs, damaged checkpoints, logs and locks, bad paths —
 * each row one input and the error text it must produce (naming the flag, key, file, line, env,
 * episode, step or network). A second table lists inputs that must be accepted, with their value.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import '../envs/faulty-envs.js';
import { SAC_SCHEMA } from '../../src/algos/sac.js';
import { Td3, TD3_SCHEMA } from '../../src/algos/td3.js';
import { parseFlags } from '../../src/cli/flags.js';
import { AsyncVectorEnv, checkEnvOutput, make, SyncVectorEnv } from '../../src/envs/index.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { defaults } from '../../src/core/config.js';
import { NonFiniteError } from '../../src/core/non-finite.js';
import { evaluate } from '../../src/train/evaluate.js';
import { checkAgentFinite } from '../../src/train/finite-check.js';
import { readMetricsRows } from '../../src/train/metrics.js';
import { LOCK_FILE, type LockHolder } from '../../src/train/run-lock.js';
import { makeAgent, readRunConfig, resolveTrainConfig, RUN_SCHEMA } from '../../src/train/run-config.js';
import { train } from '../../src/train/run.js';
import { editConfig, editMeta, editTensors, finishedRunCopy, flipByte, generationDir, rewriteCheckpointFile, scratchPath } from './run-folders.js';
import { runTiny, TINY, TINY_ENV, TINY_PPO } from './tiny-run.js';

const TRAIN_SCHEMAS = [RUN_SCHEMA as never, TD3_SCHEMA as never, SAC_SCHEMA as never];
const trainFlags = (...args: string[]): Record<string, unknown> => parseFlags(args, TRAIN_SCHEMAS, { quiet: 'boolean', resume: 'string' }).values;

/** A finished tiny run (`settings`: TINY or TINY_PPO) with `damage` done to it, then resumed. */
async function resumeDamaged(damage: (dir: string) => void, settings: Record<string, unknown> = TINY): Promise<unknown> {
  const dir = await finishedRunCopy(settings);
  damage(dir);
  return runTiny(dir);
}

/** A lock record naming `holder` (other fields filled in). */
function writeLock(dir: string, holder: Partial<LockHolder>): void {
  const now = new Date().toISOString();
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ host: hostname(), pid: process.pid, command: 'hyperrl train', startedAt: now, heartbeat: now, token: 'someone-else', ...holder }));
}

/** Train `env` (a faulty one) on small settings until it fails. */
const trainOn = (env: string): Promise<unknown> => train({
  config: resolveTrainConfig({ env, totalSteps: 400, learningStarts: 300, randomSteps: 300, batchSize: 16, evalEvery: 400, evalEpisodes: 1, actorHidden: [8], criticHidden: [8], runsDir: scratchPath('runs') }),
  quiet: true,
});

/** Train PPO on `env` (a faulty one) with two envs until it fails. */
const trainPpoOn = (env: string): Promise<unknown> => train({
  config: resolveTrainConfig({ algo: 'ppo', env, numEnvs: 2, numSteps: 200, numMinibatches: 2, updateEpochs: 1,
    totalSteps: 800, evalEvery: 800, evalEpisodes: 1, actorHidden: [8], criticHidden: [8], runsDir: scratchPath('runs') }),
  quiet: true,
});

/** A TD3 agent on the js backend (for the weight checks). */
function smallAgent(): Td3 {
  return new Td3(new Engine(createBackend('js')), { obsDim: 3, actionLow: [-2], actionHigh: [2] }, { ...(defaults(TD3_SCHEMA) as object), actorHidden: [4], criticHidden: [4] } as never, 1);
}

interface Rejected {
  input: string;
  run: () => unknown;
  /** The message, or a check of the error (its class too). */
  error: RegExp | ((e: unknown) => boolean);
}

const REJECTED: Rejected[] = [
  // Command-line values: decimal numbers only, --no- only on on/off options, booleans true/false.
  { input: '--total-steps 0x10', run: () => trainFlags('--total-steps', '0x10'), error: /--total-steps: expected a decimal number, got '0x10'/ },
  { input: '--total-steps 0b101', run: () => trainFlags('--total-steps', '0b101'), error: /--total-steps: expected a decimal number, got '0b101'/ },
  { input: '--total-steps 0o17', run: () => trainFlags('--total-steps', '0o17'), error: /--total-steps: expected a decimal number, got '0o17'/ },
  { input: '--total-steps Infinity', run: () => trainFlags('--total-steps', 'Infinity'), error: /--total-steps: expected a decimal number, got 'Infinity'/ },
  { input: '--total-steps 1e999', run: () => trainFlags('--total-steps', '1e999'), error: /--total-steps: expected a decimal number, got '1e999'/ },
  { input: "--total-steps ''", run: () => trainFlags('--total-steps', ''), error: /--total-steps: expected a decimal number, got ''/ },
  { input: "--total-steps ' 12'", run: () => trainFlags('--total-steps', ' 12'), error: /--total-steps: expected a decimal number, got ' 12'/ },
  { input: '--total-steps 1_000_', run: () => trainFlags('--total-steps', '1_000_'), error: /--total-steps: expected a decimal number, got '1_000_'/ },
  { input: '--gamma NaN', run: () => trainFlags('--gamma', 'NaN'), error: /--gamma: expected a decimal number, got 'NaN'/ },
  { input: '--no-total-steps 300', run: () => trainFlags('--no-total-steps', '300'), error: /--no-total-steps: only on\/off options take --no-; --total-steps takes a value/ },
  { input: '--no-env Pendulum-v1', run: () => trainFlags('--no-env', 'Pendulum-v1'), error: /--no-env: only on\/off options take --no-/ },
  { input: '--no-normalize-obs=true', run: () => trainFlags('--no-normalize-obs=true'), error: /--no-normalize-obs takes no value \(write --normalize-obs=false\)/ },
  { input: '--normalize-obs=maybe', run: () => trainFlags('--normalize-obs=maybe'), error: /--normalize-obs: expected true or false, got 'maybe'/ },
  { input: '--quiet=yes', run: () => trainFlags('--quiet=yes'), error: /--quiet: expected true or false, got 'yes'/ },
  { input: '--actor-hidden 64,,64', run: () => trainFlags('--actor-hidden', '64,,64'), error: /--actor-hidden: expected comma-separated decimal numbers, got '64,,64'/ },
  { input: '--actor-hidden 0x40,64', run: () => trainFlags('--actor-hidden', '0x40,64'), error: /--actor-hidden: expected comma-separated decimal numbers, got '0x40,64'/ },
  { input: '--total-steps (no value)', run: () => trainFlags('--total-steps'), error: /--total-steps: missing value/ },
  { input: '--totl-steps 5', run: () => trainFlags('--totl-steps', '5'), error: /unknown option --totl-steps/ },

  // New configurations: every field checked, and the fields against each other.
  { input: 'batchSize 100000, bufferSize 50', run: () => resolveTrainConfig({ batchSize: 100_000, bufferSize: 50 }), error: /'batchSize' \(100000\) is larger than the replay buffer \('bufferSize' 50\)/ },
  { input: 'batchSize 300, learningStarts 100', run: () => resolveTrainConfig({ batchSize: 300, learningStarts: 100 }), error: /'batchSize' \(300\) is larger than 'learningStarts' \(100\)/ },
  { input: 'policyNoise -1', run: () => resolveTrainConfig({ policyNoise: -1 }), error: /config 'policyNoise' must be a non-negative number, got -1/ },
  { input: 'gamma 1.5', run: () => resolveTrainConfig({ gamma: 1.5 }), error: /config 'gamma' must be in \[0, 1\]/ },
  { input: 'totalSteps 0', run: () => resolveTrainConfig({ totalSteps: 0 }), error: /config 'totalSteps' must be a positive integer, got 0/ },
  { input: 'evalEpisodes 2.5', run: () => resolveTrainConfig({ evalEpisodes: 2.5 }), error: /config 'evalEpisodes' must be a positive integer, got 2.5/ },
  { input: "totalSteps '100' (a string)", run: () => resolveTrainConfig({ totalSteps: '100' }), error: /config 'totalSteps' must be a number, got string/ },
  { input: 'algo dqn', run: () => resolveTrainConfig({ algo: 'dqn' }), error: /config 'algo' must be one of td3, sac, ppo, \S.*, got 'dqn'/ },

  // Stored configurations: a resumed, evaluated or diagnosed run is checked like a new one, errors naming config.json.
  { input: 'config.json edited to policyNoise -1', run: async () => readRunConfig(await edited((c) => { c.agent.policyNoise = -1; })), error: /config\.json: td3: config 'policyNoise' must be a non-negative number, got -1/ },
  { input: 'config.json edited to batchSize > bufferSize', run: async () => readRunConfig(await edited((c) => { c.agent.batchSize = 1000; })), error: /config\.json: train: config 'batchSize' \(1000\) is larger than the replay buffer/ },
  { input: 'config.json with an unknown key', run: async () => readRunConfig(await edited((c) => { c.run.turbo = true; })), error: /config\.json: train: unknown config key 'turbo' for td3/ },
  { input: 'config.json truncated', run: async () => readRunConfig(await truncatedConfig()), error: /config\.json: damaged run configuration \(.*JSON/ },
  { input: 'config.json without its agent section', run: async () => readRunConfig(await edited((c) => { delete (c as { agent?: unknown }).agent; })), error: /config\.json: damaged run configuration \(expected the sections "run" and "agent"\)/ },
  { input: 'a folder without config.json', run: () => readRunConfig(scratchPath('nothing')), error: /: not a run folder \(no config\.json\)/ },

  // Env ids.
  { input: 'make(undefined)', run: () => make(undefined as unknown as string), error: /make: the env id must be a non-empty string such as 'Pendulum-v1', got undefined/ },
  { input: "make('')", run: () => make(''), error: /make: the env id must be a non-empty string such as 'Pendulum-v1', got ''/ },
  { input: 'make(42)', run: () => make(42 as unknown as string), error: /make: the env id must be a non-empty string such as 'Pendulum-v1', got 42/ },
  { input: "make('Pendulm-v1')", run: () => make('Pendulm-v1'), error: /Unknown env id 'Pendulm-v1'\. Did you mean: Pendulum-v1/ },

  // MuJoCo actions: finite and |a| ≤ 1e10 (beyond it the float32 control cost overflows to a −Infinity reward).
  { input: 'HalfCheetah action 1e11', run: () => cheetahStep(1e11), error: /HalfCheetah-v5: action\[0\] is 100000000000 at step 1 after reset, beyond ±10000000000 .*the env did not step/ },
  { input: 'HalfCheetah action 1e20', run: () => cheetahStep(1e20), error: /HalfCheetah-v5: action\[0\] is 100000000000000000000 at step 1 after reset, beyond ±10000000000/ },
  { input: 'HalfCheetah action -1e300', run: () => cheetahStep(-1e300), error: /HalfCheetah-v5: action\[0\] is -1e\+300 at step 1 after reset, beyond ±10000000000/ },
  { input: 'HalfCheetah action NaN', run: () => cheetahStep(NaN), error: /HalfCheetah-v5: action\[0\] is NaN; actions must be finite numbers/ },

  // Env outputs: stopped where they enter, naming env, field, episode and step.
  { input: 'observation 1e39 (finite in float64, Infinity in float32)', run: () => checkEnvOutput('My-v0', 'training', 3, 17, new Float64Array([0, 1e39]), 0), error: /My-v0: observation\[1\] is 1e\+39 \(beyond float32\) at step 17 of training episode 3/ },
  { input: 'reward -Infinity', run: () => checkEnvOutput('My-v0', 'evaluation', 0, 5, new Float64Array(2), -Infinity), error: /My-v0: reward is -Infinity at step 5 of evaluation episode 0/ },
  { input: 'NaN observation at a reset', run: () => checkEnvOutput('My-v0', 'training', 2, 0, new Float32Array([NaN]), null), error: /My-v0: observation\[0\] is NaN at the reset of training episode 2/ },
  { input: 'training on an env returning NaN', run: () => trainOn('NanObservation-v0'), error: /NanObservation-v0: observation\[1\] is NaN at step 50 of training episode 1/ },
  { input: 'training on an env returning reward -Infinity', run: () => trainOn('InfiniteReward-v0'), error: /InfiniteReward-v0: reward is -Infinity at step 50 of training episode 1/ },
  { input: 'evaluating on an env returning NaN', run: async () => evaluate({ act: (_o, _e, out) => out.fill(0) }, await make('NanObservation-v0'), 2, 1), error: /NanObservation-v0: observation\[1\] is NaN at step 50 of evaluation episode 1/ },
  { input: 'a vector env of envs returning NaN', run: () => vectorSteps('NanObservation-v0', 260), error: /vector env index 0\) failed during step 251: NanObservation-v0: observation\[1\] is NaN at step 50 of vector env index 0 episode 1/ },
  { input: 'PPO training on an env returning NaN (sync vector env)', run: () => trainPpoOn('NanObservation-v0'), error: nonFinite(/NanObservation-v0 \(vector env index 0\) failed during step 251: NanObservation-v0: observation\[1\] is NaN at step 50 of vector env index 0 episode 1/) },
  { input: 'an AsyncVectorEnv (worker threads) of envs returning reward -Infinity', run: () => asyncVectorSteps('InfiniteReward-v0', 260), error: nonFinite(/AsyncVectorEnv\(InfiniteReward-v0\): InfiniteReward-v0 \(vector env index 0\) failed during step 251: InfiniteReward-v0: reward is -Infinity at step 50 of vector env index 0 episode 1/) },

  // Weights: the periodic check names the network.
  { input: 'a NaN weight in the critic', run: () => poisoned('param'), error: /network 'critic': parameter qs\.\S+\[0\] is NaN at step 4000; the weights are poisoned/ },
  { input: 'an Infinity in an Adam moment', run: () => poisoned('moment'), error: /network 'actor': Adam second moment of \S+\[2\] is Infinity at step 4000/ },
  { input: 'a NaN weight in the PPO value network', run: () => poisonedPpo(), error: nonFinite(/network 'agent': parameter critic\.\S+\[0\] is NaN at step 20; the weights are poisoned/) },

  // Damaged checkpoints: checksums catch changed bytes; contents are checked field by field.
  { input: 'a flipped byte in params.safetensors', run: () => resumeDamaged((d) => flipByte(d, 'params.safetensors')), error: /step-20\/params\.safetensors: checksum mismatch \(SHA-256 \w+…, the manifest records \w+…\): the file is damaged/ },
  { input: 'a flipped byte in optim.safetensors', run: () => resumeDamaged((d) => flipByte(d, 'optim.safetensors', 200)), error: /step-20\/optim\.safetensors: checksum mismatch/ },
  { input: 'a flipped byte in replay.safetensors', run: () => resumeDamaged((d) => flipByte(d, 'replay.safetensors', 500)), error: /step-20\/replay\.safetensors: checksum mismatch/ },
  { input: 'a flipped byte in meta.json', run: () => resumeDamaged((d) => flipByte(d, 'meta.json', 30)), error: /step-20\/meta\.json: checksum mismatch/ },
  { input: 'a truncated params.safetensors', run: () => resumeDamaged((d) => writeFileSync(join(generationDir(d), 'params.safetensors'), 'short')), error: /step-20\/params\.safetensors: 5 bytes, but .*manifest\.json records \d+: the file is damaged/ },
  { input: 'a deleted optim.safetensors', run: () => resumeDamaged((d) => rmSync(join(generationDir(d), 'optim.safetensors'))), error: /step-20\/optim\.safetensors: missing \(listed in .*manifest\.json\)/ },
  { input: 'a truncated manifest.json', run: () => resumeDamaged((d) => writeFileSync(join(generationDir(d), 'manifest.json'), '{"format":2,')), error: /no usable checkpoint: .*step-20\/manifest\.json: damaged checkpoint manifest/ },
  { input: 'meta.json without the generator state', run: () => resumeDamaged((d) => editMeta(d, (m) => { delete m.agentRng; })), error: /meta\.json: checkpoint metadata 'agentRng' must be the generator state/ },
  { input: 'meta.json with step -1', run: () => resumeDamaged((d) => editMeta(d, (m) => { m.step = -1; })), error: /meta\.json: checkpoint metadata 'step' must be a non-negative integer, got -1/ },
  { input: 'meta.json of format 3', run: () => resumeDamaged((d) => editMeta(d, (m) => { m.format = 3; })), error: /meta\.json: checkpoint metadata 'format' must be 1 or 2, got 3/ },
  { input: 'meta.json without the metrics extent', run: () => resumeDamaged((d) => editMeta(d, (m) => { delete m.metrics; })), error: /meta\.json: checkpoint metadata 'metrics' must be/ },
  { input: 'meta.json truncated', run: () => resumeDamaged((d) => rewriteCheckpointFile(d, 'meta.json', (b) => b.subarray(0, 40))), error: /meta\.json: unreadable checkpoint metadata/ },
  { input: 'optim.safetensors without its step counts', run: () => resumeDamaged((d) => editTensors(d, 'optim.safetensors', (t) => { t.metadata = {}; })), error: /optim\.safetensors: optimiser step count 'actor\.step' is undefined/ },
  { input: 'params.safetensors without the actor', run: () => resumeDamaged((d) => editTensors(d, 'params.safetensors', (t) => { for (const k of Object.keys(t.tensors)) if (k.startsWith('actor.')) delete t.tensors[k]; })), error: /params\.safetensors: missing parameter 'actor\./ },
  { input: 'a NaN weight in params.safetensors', run: () => resumeDamaged((d) => editTensors(d, 'params.safetensors', (t) => { (t.tensors['critic.q1.layers.0.weight'] ?? Object.values(t.tensors)[0]!).data[0] = NaN; })), error: /step-20\/params\.safetensors: '\w+\.\S+'\[0\] is NaN: the checkpoint holds a non-finite number/ },
  { input: 'an Infinity Adam moment in optim.safetensors', run: () => resumeDamaged((d) => editTensors(d, 'optim.safetensors', (t) => { Object.values(t.tensors)[1]!.data[0] = Infinity; })), error: /step-20\/optim\.safetensors: '\w+\.[mv]\.\S+'\[0\] is Infinity: the checkpoint holds a non-finite number/ },
  { input: 'a NaN reward in replay.safetensors', run: () => resumeDamaged((d) => editTensors(d, 'replay.safetensors', (t) => { t.tensors.rewards!.data[3] = NaN; })), error: /replay\.safetensors: 'rewards' of transition 3 is NaN: the replay buffer holds a non-finite number/ },
  { input: 'an Infinity observation in replay.safetensors', run: () => resumeDamaged((d) => editTensors(d, 'replay.safetensors', (t) => { t.tensors.nextObs!.data[7] = Infinity; })), error: /replay\.safetensors: 'nextObs' of transition 2 is Infinity/ },
  { input: 'a flipped byte in a PPO checkpoint\'s optim.safetensors', run: () => resumeDamaged((d) => flipByte(d, 'optim.safetensors', 200), TINY_PPO), error: /step-40\/optim\.safetensors: checksum mismatch/ },
  { input: 'a PPO checkpoint without its reward statistics', run: () => resumeDamaged((d) => editMeta(d, (m) => { delete m.rewardNormalizer; }), TINY_PPO), error: /step-40: the run normalises rewards but its checkpoint has no reward statistics/ },
  { input: 'a PPO checkpoint without its observation statistics', run: () => resumeDamaged((d) => editMeta(d, (m) => { delete m.obsNormalizer; }), TINY_PPO), error: /the run normalises observations but its checkpoint has no observation statistics/ },
  { input: 'a format-1 checkpoint/ without meta.json', run: () => resumeDamaged(toLegacyWithoutMeta), error: /checkpoint\/meta\.json: missing, so the checkpoint in .* is damaged/ },

  // Damaged logs: named by file and line.
  { input: 'metrics.jsonl shorter than the checkpoint recorded', run: () => resumeDamaged((d) => writeFileSync(join(d, 'metrics.jsonl'), '')), error: /metrics\.jsonl: 0 bytes, but the checkpoint at step 20 recorded \d+: rows logged before it are missing/ },
  { input: 'metrics.csv with a row removed (the same length padded)', run: () => resumeDamaged(dropCsvRow), error: /metrics\.csv: the first \d+ bytes hold \d+ complete rows, but the checkpoint at step 20 recorded \d+: the file was changed/ },
  { input: 'metrics.jsonl with a damaged line 2', run: async () => readMetricsRows(await damagedLine()), error: /metrics\.jsonl:2: damaged metrics line \(.*\): \{"step":10,"charts/ },
  { input: 'metrics.jsonl line without a step', run: async () => readMetricsRows(await withLine('{"loss":1}\n')), error: /metrics\.jsonl:6: damaged metrics line \(not an object with an integer step\)/ },

  // Locks: another live process, another host, a damaged lock file.
  { input: 'a run locked by a live process on this host', run: () => lockedBy({ pid: process.pid }), error: /is in use by hyperrl train \(pid \d+ on this host, started .*last heartbeat \d+ s ago\); wait for it to finish or stop it/ },
  { input: 'a run locked from another host', run: () => lockedBy({ host: 'elsewhere.example', pid: 1 }), error: /in use by hyperrl train \(pid 1 on host elsewhere\.example, .*\); it is taken over once its heartbeat is 300 s old \(HYPERRL_LOCK_STALE_SECONDS\), or delete .*\/lock if that process is gone/ },
  { input: 'a run locked from another host, heartbeat just under the stale timeout', run: () => lockedBy({ host: 'elsewhere.example', pid: 1, heartbeat: new Date(Date.now() - 290_000).toISOString() }), error: /pid 1 on host elsewhere\.example, .*last heartbeat 29\d s ago\); it is taken over once/ },
  { input: 'a damaged lock file', run: () => resumeDamaged((d) => writeFileSync(join(d, LOCK_FILE), 'garbage')), error: /\/lock: damaged lock file \(not a holder record\); delete it if no process is using/ },

  // Paths: fail at once with the system's reason (Node's recursive mkdir loops forever on /proc).
  { input: '--runs-dir /proc/x', run: () => train({ config: resolveTrainConfig({ ...TINY, runsDir: '/proc/x' }), quiet: true }), error: /cannot create folder \/proc\/x: ENOENT/ },
  { input: '--runs-dir below a file', run: () => train({ config: resolveTrainConfig({ ...TINY, runsDir: join(fileHere(), 'runs') }), quiet: true }), error: /cannot create folder .*: ENOTDIR/ },
  { input: '--resume of a folder that does not exist', run: () => train({ config: resolveTrainConfig(TINY), resumeDir: scratchPath('missing'), quiet: true }), error: /is not a run folder \(no config\.json\)/ },
];

async function edited(edit: Parameters<typeof editConfig>[1]): Promise<string> {
  const dir = await finishedRunCopy();
  editConfig(dir, edit);
  return dir;
}

async function truncatedConfig(): Promise<string> {
  const dir = await finishedRunCopy();
  writeFileSync(join(dir, 'config.json'), readFileSync(join(dir, 'config.json'), 'utf8').slice(0, 50));
  return dir;
}

async function cheetahStep(a: number): Promise<unknown> {
  const env = await make('HalfCheetah-v5');
  try {
    env.reset({ seed: 0 });
    return env.step(new Float64Array(6).fill(a));
  } finally {
    env.close();
  }
}

/** Two envs on two worker threads (which register the faulty envs), stepped with zero actions. */
async function asyncVectorSteps(id: string, steps: number): Promise<void> {
  const vector = await AsyncVectorEnv.create(id, 2, { workers: 2, setupModules: [new URL('../envs/faulty-envs.js', import.meta.url)] });
  try {
    vector.reset({ seed: 0 });
    for (let i = 0; i < steps; i++) vector.step([0, 0]);
  } finally {
    await vector.close();
  }
}

async function vectorSteps(id: string, steps: number): Promise<void> {
  const vector = await SyncVectorEnv.create(id, 1);
  try {
    vector.reset({ seed: 0 });
    for (let i = 0; i < steps; i++) vector.step([0]);
  } finally {
    await vector.close();
  }
}

/** `message`, thrown as a NonFiniteError (the class decides the exit status). */
function nonFinite(message: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof NonFiniteError, `a NonFiniteError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  };
}

/** A PPO agent (of the tiny run's settings) with a NaN weight in its value network, checked as a run checks it at every evaluation. */
async function poisonedPpo(): Promise<void> {
  const env = await make(TINY_ENV);
  const agent = makeAgent(new Engine(createBackend('js')), env, resolveTrainConfig(TINY_PPO));
  env.close();
  const [, weight] = Object.values(agent.modules())[0]!.namedParameters().find(([name]) => name.startsWith('critic.'))!;
  agent.engine.backend.arena.data[weight.offset] = NaN;
  checkAgentFinite(agent, 'at step 20');
}

function poisoned(where: 'param' | 'moment'): void {
  const agent = smallAgent();
  const data = agent.engine.backend.arena.data;
  if (where === 'param') data[agent.critic.namedParameters()[0]![1].offset] = NaN;
  else data[agent.optimizers().actor!.optimizer.moments().v[1]!.offset + 2] = Infinity;
  checkAgentFinite(agent, 'at step 4000');
}

/** Turn the run's checkpoint into a format-1 `checkpoint/` folder that has lost its meta.json. */
function toLegacyWithoutMeta(dir: string): void {
  renameSync(generationDir(dir), join(dir, 'checkpoint'));
  rmSync(join(dir, 'checkpoints'), { recursive: true });
  rmSync(join(dir, 'checkpoint', 'meta.json'));
}

/** Remove one csv row and pad the file back to its length, so that only the row count tells. */
function dropCsvRow(dir: string): void {
  const path = join(dir, 'metrics.csv');
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const kept = [lines[0], ...lines.slice(2)].join('\n');
  writeFileSync(path, kept.slice(0, -1) + ' '.repeat(text.length - kept.length) + '\n');
}

async function damagedLine(): Promise<string> {
  const dir = await finishedRunCopy();
  const path = join(dir, 'metrics.jsonl');
  const lines = readFileSync(path, 'utf8').split('\n');
  lines[1] = lines[1]!.slice(0, 30);
  writeFileSync(path, lines.join('\n'));
  return dir;
}

async function withLine(line: string): Promise<string> {
  const dir = await finishedRunCopy();
  appendFileSync(join(dir, 'metrics.jsonl'), line);
  return dir;
}

async function lockedBy(holder: Partial<LockHolder>): Promise<unknown> {
  return resumeDamaged((d) => writeLock(d, holder));
}

function fileHere(): string {
  const path = scratchPath('a-file');
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, 'not a folder');
  return path;
}

for (const c of REJECTED) {
  it(`rejects ${c.input}`, async () => {
    await assert.rejects(async () => c.run(), c.error);
  });
}

interface Accepted {
  input: string;
  run: () => unknown;
  value: unknown;
}

const ACCEPTED: Accepted[] = [
  { input: '--quiet=false', run: () => trainFlags('--quiet=false').quiet, value: false },
  { input: '--quiet', run: () => trainFlags('--quiet').quiet, value: true },
  { input: '--normalize-obs false (two words)', run: () => parseFlags(['--normalize-obs', 'false'], TRAIN_SCHEMAS), value: { values: { normalizeObs: false }, positional: [] } },
  { input: '--no-normalize-obs', run: () => trainFlags('--no-normalize-obs').normalizeObs, value: false },
  { input: '--total-steps 1_000_000', run: () => trainFlags('--total-steps', '1_000_000').totalSteps, value: 1_000_000 },
  { input: '--total-steps=2e4', run: () => trainFlags('--total-steps=2e4').totalSteps, value: 20_000 },
  { input: '--gamma .99', run: () => trainFlags('--gamma', '.99').gamma, value: 0.99 },
  { input: '--seed +5', run: () => trainFlags('--seed', '+5').seed, value: 5 },
  { input: '--actor-hidden 64, 64', run: () => trainFlags('--actor-hidden', '64, 64').actorHidden, value: [64, 64] },
  { input: 'HalfCheetah action 1e10 (clamped by MuJoCo, cost on the unclipped action)', run: async () => Number.isFinite((await cheetahStep(1e10) as { reward: number }).reward), value: true },
  { input: 'a lock from another host whose heartbeat is older than the stale timeout (taken over)', run: async () =>
    (await resumeDamaged((d) => writeLock(d, { host: 'elsewhere.example', pid: 1, heartbeat: new Date(Date.now() - 301_000).toISOString() })) as { steps: number }).steps, value: 20 },
  { input: 'a stale lock (its process is dead)', run: async () => {
    const pid = await deadPid();
    return (await resumeDamaged((d) => writeLock(d, { pid })) as { steps: number }).steps;
  }, value: 20 },
];

/** The PID of a process that has exited. */
function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  return new Promise((resolve) => child.on('exit', () => resolve(child.pid!)));
}

for (const c of ACCEPTED) {
  it(`accepts ${c.input}`, async () => {
    assert.deepEqual(await c.run(), c.value);
  });
}

it('counts its cases (for the README)', () => {
  console.log(`adversarial cases: ${REJECTED.length} rejected with a named error, ${ACCEPTED.length} accepted`);
  assert.ok(REJECTED.length >= 60);
});

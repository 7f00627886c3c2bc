/**
 * The algorithm registry: every entry resolves with each of its presets, reaches the CLI
 * (flags and --help) and builds an agent with checkpointable state; the run config's
 * choices come from it.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/envs/index.js';
import { algorithm, ALGORITHM_NAMES, ALGORITHMS, PRESET_NAMES } from '../../src/algos/registry.js';
import { kebab } from '../../src/core/config.js';
import { makeSync } from '../../src/envs/registry.js';
import { createBackend } from '../../src/tensor/backends/index.js';
import { Engine } from '../../src/tensor/engine.js';
import { trainHelp } from '../../src/cli/train.js';
import { parseFlags } from '../../src/cli/flags.js';
import { makeAgent, resolveTrainConfig, RUN_SCHEMA } from '../../src/train/run-config.js';

it('names every algorithm once, and the run config offers exactly the registered algorithms and presets', () => {
  assert.ok(ALGORITHMS.length >= 2);
  assert.equal(new Set(ALGORITHM_NAMES).size, ALGORITHM_NAMES.length);
  for (const a of ALGORITHMS) assert.match(a.name, /^[a-z][a-z0-9-]*$/);
  assert.deepEqual(RUN_SCHEMA.algo.choices, ALGORITHM_NAMES);
  assert.ok(ALGORITHM_NAMES.includes(RUN_SCHEMA.algo.default));
  assert.deepEqual(RUN_SCHEMA.preset.choices, PRESET_NAMES);
  assert.throws(() => algorithm('dqn'), new RegExp(`unknown algorithm 'dqn'; registered: ${ALGORITHM_NAMES.join(', ')}`));
});

it('resolves every algorithm with each of its presets, the preset over the defaults', () => {
  for (const a of ALGORITHMS) {
    assert.ok('cleanrl' in a.presets, `${a.name} has the default preset`);
    for (const [name, preset] of Object.entries(a.presets)) {
      const { run, agent } = resolveTrainConfig({ algo: a.name, preset: name });
      for (const [k, v] of Object.entries(preset.run)) assert.deepEqual((run as unknown as Record<string, unknown>)[k], v, `${a.name}/${name}: run.${k}`);
      for (const [k, v] of Object.entries(preset.agent)) assert.deepEqual((agent as Record<string, unknown>)[k], v, `${a.name}/${name}: ${k}`);
      // An explicit setting beats the preset.
      assert.equal(resolveTrainConfig({ algo: a.name, preset: name, learningStarts: 4321 }).run.learningStarts, 4321);
    }
    assert.throws(() => resolveTrainConfig({ algo: a.name, preset: 'no-such' }), new RegExp(`'preset' must be one of ${Object.keys(a.presets).join(', ')} for ${a.name}`));
  }
});

it('gives every key of every algorithm a flag and a line of --help', () => {
  for (const a of ALGORITHMS) {
    const help = trainHelp(resolveTrainConfig({ algo: a.name }), `--algo ${a.name}`);
    assert.ok(help.includes(a.summary), `${a.name}'s summary in its --help`);
    for (const other of ALGORITHMS) if (other !== a) assert.ok(help.includes(other.name), `${a.name}'s --help points to ${other.name}`);
    for (const k of Object.keys(a.schema)) {
      assert.ok(help.includes(`--${kebab(k)} `), `--${kebab(k)} in --help`);
      const d = (a.schema as Record<string, { default: unknown }>)[k]!.default;
      const raw = Array.isArray(d) ? d.join(',') : String(d);
      assert.deepEqual(parseFlags([`--${kebab(k)}=${raw}`], ALGORITHMS.map((x) => x.schema as never)).values, { [k]: d });
    }
  }
});

/** Small networks, in whichever keys an algorithm has (the meta-RL ones size a MetaPolicy and a task encoder). */
const SMALL: Record<string, unknown> = { actorHidden: [8], criticHidden: [8], policySize: 'XS', gruHidden: 8, vaeBufferTrials: 10 };
const small = (a: (typeof ALGORITHMS)[number]): Record<string, unknown> => Object.fromEntries(Object.entries(SMALL).filter(([k]) => k in a.schema));

it('builds each algorithm\'s agent through the registry, and names the env when its action space does not suit the algorithm', () => {
  const env = makeSync('Pendulum-v1');
  // Meta-learners run task envs: test/train/meta-loop.test.ts builds them.
  for (const a of ALGORITHMS.filter((x) => x.loop !== 'meta')) {
    // Multi+HN reads the true task, so it needs a task family (test/algos/meta-ppo.test.ts builds it on one).
    if (a.name === 'multi-hn') {
      assert.throws(() => makeAgent(new Engine(createBackend('js')), env, resolveTrainConfig({ algo: a.name, ...small(a) })), /the env must be a meta-RL task family: 'Pendulum-v1' is not/);
      continue;
    }
    const agent = makeAgent(new Engine(createBackend('js')), env, resolveTrainConfig({ algo: a.name, ...small(a) }));
    assert.ok(Object.keys(agent.modules()).length > 0 && Object.keys(agent.optimizers()).length > 0, a.name);
    const out = new Float64Array(1);
    agent.act([1, 0, 0], false, out);
    assert.ok(Number.isFinite(out[0]!) && Math.abs(out[0]!) <= 2, `${a.name} acts within the bounds`);
    // Discrete actions: an agent, or an error that names the env.
    try {
      makeAgent(new Engine(createBackend('js')), makeSync('CartPole-v1'), resolveTrainConfig({ algo: a.name, ...small(a) }));
    } catch (e) {
      assert.match((e as Error).message, /^CartPole-v1: .*action space/);
    }
  }
});

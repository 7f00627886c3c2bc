import { it } from 'node:test';
import assert from 'node:assert/strict';
import { baselineCritic, cellMatches, cellRunDir, cells, parseCellFilter, parseShard, parseSpec, shardCells } from '../../src/experiments/spec.js';
import { trainFlags } from '../../src/experiments/runner.js';

const base = () => ({
  name: 'demo',
  grid: { env: ['Pendulum-v1'], algo: ['td3', 'sac'], critic: ['mlp', 'hyper-paper'], seed: [1, 2] },
  train: { totalSteps: 3000, actorHidden: [64, 64] },
  overrides: [{ where: { algo: 'sac', critic: 'mlp' }, train: { totalSteps: 4000 } }],
});

it('expands the grid seed-major into cells with fixed run folders and merged train settings', () => {
  const spec = parseSpec(base(), 'demo.json');
  const all = cells(spec);
  assert.deepEqual(all.map((c) => c.id), [
    'Pendulum-v1__td3-mlp__1', 'Pendulum-v1__td3-hyper-paper__1', 'Pendulum-v1__sac-mlp__1', 'Pendulum-v1__sac-hyper-paper__1',
    'Pendulum-v1__td3-mlp__2', 'Pendulum-v1__td3-hyper-paper__2', 'Pendulum-v1__sac-mlp__2', 'Pendulum-v1__sac-hyper-paper__2',
  ]);
  const paper = all[1]!;
  assert.deepEqual(paper.train, { totalSteps: 3000, actorHidden: [64, 64], env: 'Pendulum-v1', algo: 'td3', seed: 1, critic: 'hyper', hyperPreset: 'paper' });
  assert.equal(all[2]!.totalSteps, 4000);
  assert.equal(all[3]!.totalSteps, 3000);
  assert.equal(cellRunDir('results/x', paper), 'results/x/runs/Pendulum-v1__td3-hyper-paper__1');
  assert.deepEqual(trainFlags(paper.train), ['--total-steps=3000', '--actor-hidden=64,64', '--env=Pendulum-v1', '--algo=td3', '--seed=1', '--critic=hyper', '--hyper-preset=paper']);
});

it('rejects bad specs with a message naming the key', () => {
  const bad = (patch: (s: ReturnType<typeof base>) => unknown, re: RegExp): void => {
    const s = base();
    const out = patch(s) ?? s;
    assert.throws(() => parseSpec(out, 'demo.json'), re);
  };
  bad((s) => ({ ...s, extra: 1 }), /'extra' is not a known key/);
  bad((s) => { delete (s as Partial<typeof s>).grid; }, /'grid' is required/);
  bad((s) => { s.name = 'a/b'; }, /'name' must be a folder-safe name/);
  bad((s) => { s.grid.env = ['Pendulum-v9']; }, /'grid.env\[0\]' must be a registered environment/);
  bad((s) => { s.grid.critic = ['mlp', 'big']; }, /'grid.critic\[1\]' must be one of mlp, hyper/);
  bad((s) => { s.grid.seed = [1, 1]; }, /'grid.seed' lists 1 twice/);
  bad((s) => { s.grid.algo = []; }, /'grid.algo' must be a non-empty list/);
  bad((s) => { (s.grid as Record<string, unknown>).lr = [1]; }, /'grid.lr' is not a known key/);
  bad((s) => { (s.train as Record<string, unknown>).seed = 3; }, /'train.seed' is set by the grid/);
  bad((s) => { (s.train as Record<string, unknown>).runsDir = 'x'; }, /'train.runsDir' is set by the experiment runner/);
  bad((s) => { (s.train as Record<string, unknown>).totlSteps = 3; }, /cell Pendulum-v1__td3-mlp__1: .*unknown config key 'totlSteps'/);
  bad((s) => { s.train.totalSteps = -1; }, /'totalSteps' must be a positive integer/);
  bad((s) => { (s.overrides[0]!.where as Record<string, unknown>).critc = 'mlp'; }, /'overrides\[0\].where.critc' is not a known key/);
  bad((s) => { (s.overrides[0]!.where as Record<string, unknown>).algo = 'a2c'; }, /'overrides\[0\].where.algo' must be one of td3, sac, ppo/);
});

it('--only picks part of the grid by its values and names a bad key or value', () => {
  const all = cells(parseSpec(base(), 'demo.json'));
  const mlpSeed2 = parseCellFilter('critic=mlp, seed=2');
  assert.deepEqual(mlpSeed2, { critic: 'mlp', seed: 2 });
  assert.deepEqual(all.filter((c) => cellMatches(mlpSeed2, c)).map((c) => c.id), ['Pendulum-v1__td3-mlp__2', 'Pendulum-v1__sac-mlp__2']);
  assert.throws(() => parseCellFilter('critc=mlp'), /'only.critc' is not a known key; known: env, algo, critic, seed/);
  assert.throws(() => parseCellFilter('critic=cnn'), /'only.critic' must be one of mlp, hyper, hyper-compact, hyper-paper, context, standard, .*, got "cnn"/);
  assert.throws(() => parseCellFilter('mlp'), /--only: expected key=value pairs/);
});

it('takes an algorithm\'s grid variants on the critic axis (the meta-RL policies), and only that algorithm\'s', async () => {
  const { readSpec } = await import('../../src/experiments/spec.js');
  const spec = await readSpec(new URL('../../../results/beck/specs/init-study.json', import.meta.url).pathname);
  const all = cells(spec);
  assert.equal(all.length, 7 * 3);
  const bias = all.find((c) => c.critic === 'hyper-bias-hyperinit' && c.seed === 2)!;
  assert.equal(bias.id, 'HalfCheetahDir-v0__varibad-hyper-bias-hyperinit__2');
  assert.deepEqual([bias.train.policy, bias.train.hyperInit, bias.train.baseInit, bias.train.policySize], ['hyper', 'bias-hyperinit', 'normc', 'S']);
  assert.equal(all.find((c) => c.critic === 'standard')!.train.policy, 'standard');
  const grid = (algo: string, critic: string) => ({ name: 'x', grid: { env: ['HalfCheetahDir-v0'], algo: [algo], critic: [critic], seed: [1] } });
  assert.throws(() => parseSpec(grid('varibad', 'mlp'), 's.json'), /critic 'mlp' is not a variant of varibad; its variants: standard, hyper-naive-normc/);
  assert.throws(() => parseSpec(grid('td3', 'hyper-hfi'), 's.json'), /critic 'hyper-hfi' is not a td3 critic/);
});

it('--shard i/n deals every cell to exactly one of n slices, round-robin, and rejects bad slices', () => {
  const all = cells(parseSpec(base(), 'demo.json')).map((c) => c.id);
  for (const n of [1, 3, 8, 11]) {
    const slices = Array.from({ length: n }, (_, i) => shardCells(all, parseShard(`${i}/${n}`)));
    assert.deepEqual(slices.flat().sort(), [...all].sort(), `n = ${n}: every cell once`);
    // Round-robin: slice sizes differ by at most one (an empty slice only when n exceeds the grid).
    const sizes = slices.map((s) => s.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `n = ${n}: sizes ${sizes.join(' ')}`);
  }
  assert.deepEqual(shardCells(all, parseShard('1/3')), [all[1], all[4], all[7]]);
  for (const bad of ['3/3', '1', '-1/2', '0/0', 'a/b', '1/2/3']) assert.throws(() => parseShard(bad), /--shard: expected i\/n with 0 ≤ i < n/, bad);
});

it('runs Multi+HN (the true task as the hypernetwork\'s input) through the critic axis like the other meta-RL variants', () => {
  const grid = { env: ['HalfCheetahDir-v0'], algo: ['varibad', 'multi-hn'], critic: ['standard', 'hyper-bias-hyperinit'], seed: [1] };
  const all = cells(parseSpec({ name: 'upper-bound', grid }, 's.json'));
  assert.deepEqual(all.map((c) => c.id), ['HalfCheetahDir-v0__varibad-standard__1', 'HalfCheetahDir-v0__varibad-hyper-bias-hyperinit__1',
    'HalfCheetahDir-v0__multi-hn-standard__1', 'HalfCheetahDir-v0__multi-hn-hyper-bias-hyperinit__1']);
  const multi = all[3]!;
  assert.deepEqual([multi.train.algo, multi.train.policy, multi.train.hyperInit, multi.train.baseInit], ['multi-hn', 'hyper', 'bias-hyperinit', 'normc']);
  assert.equal(baselineCritic('multi-hn'), 'standard');
});

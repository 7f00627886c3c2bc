/** The report on hand-made run folders: known statistics, the tables, both figures as SVG and PNG. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSteps, formatTick, ticks } from '../../src/experiments/plots.js';
import { runOutcome, summarise, writeReport } from '../../src/experiments/report.js';
import { cellRunDir, cells, parseSpec, type Cell, type ExperimentSpec } from '../../src/experiments/spec.js';

const spec = parseSpec({
  name: 'fake',
  grid: { env: ['HalfCheetah-v5', 'Hopper-v5'], algo: ['td3'], critic: ['mlp', 'hyper'], seed: [1, 2, 3] },
  train: { totalSteps: 20000, evalEvery: 5000, learningStarts: 5000, randomSteps: 5000 },
}, 'fake.json');

/**
 * Run folders whose eval curves are known: MLP ramps 0→1000, hyper ramps 0→1200 (+50·seed jitter); Hopper hyper seed 3 unfinished.
 * Mean Q (logged every 10k steps) is 10·seed, except HalfCheetah hyper seed 3, whose Q falls to −2e6 at 20k (a diverged critic).
 */
function fakeExperiment(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hyperrl-report-'));
  for (const env of ['HalfCheetah-v5', 'Hopper-v5']) for (const critic of ['mlp', 'hyper']) for (const seed of [1, 2, 3]) {
    const run = join(dir, 'runs', `${env}__td3-${critic}__${seed}`);
    mkdirSync(run, { recursive: true });
    const top = (critic === 'mlp' ? 1000 : 1200) + 50 * (seed - 2);
    const rows = [0, 5000, 10000, 15000, 20000].map((step) => JSON.stringify({ step, 'eval/return_mean': (top * step) / 20000, 'eval/return_std': 1 }));
    rows.splice(2, 0, JSON.stringify({ step: 7000, 'charts/episodic_return': 5 }));
    const diverged = env === 'HalfCheetah-v5' && critic === 'hyper' && seed === 3;
    rows.push(JSON.stringify({ step: 10000, 'losses/qf1_values': 10 * seed }), JSON.stringify({ step: 20000, 'losses/qf1_values': diverged ? -2e6 : 10 * seed }));
    writeFileSync(join(run, 'metrics.jsonl'), rows.join('\n') + '\n');
    if (!(env === 'Hopper-v5' && critic === 'hyper' && seed === 3)) writeFileSync(join(run, 'done.json'), '{}\n');
  }
  for (const critic of ['mlp', 'hyper']) {
    const checkpoints = [10000, 20000].map((step) => ({ step, cosine: { mean: critic === 'mlp' ? 0.2 : 0.5, lo: critic === 'mlp' ? 0.1 : 0.4, hi: critic === 'mlp' ? 0.3 : 0.6 } }));
    const diag = join(dir, 'runs', `HalfCheetah-v5__td3-${critic}__1`, 'diagnostics');
    mkdirSync(diag);
    writeFileSync(join(diag, 'grad.json'), JSON.stringify({ checkpoints }));
  }
  return dir;
}

it('summarises final return, AUC, steps to the MLP score and the gain over seeds', () => {
  const [cheetah, hopper] = summarise(spec, fakeExperiment());
  assert.equal(cheetah!.baselineFinal, 1000);
  const [mlp, hyper] = cheetah!.critics;
  assert.equal(mlp!.n, 3);
  assert.equal(mlp!.finalReturn!.mean, 1000);
  assert.equal(mlp!.auc!.mean, 500); // a ramp 0 → 1000 averages 500
  assert.ok(mlp!.finalReturn!.lo < 1000 && mlp!.finalReturn!.hi > 1000);
  assert.equal(mlp!.stepsToBaseline, 20000);
  assert.equal(hyper!.finalReturn!.mean, 1200);
  // Hyper's mean curve 0, 300, 600, 900, 1200: it first reaches 1000 at 20k.
  assert.equal(hyper!.stepsToBaseline, 20000);
  assert.ok(Math.abs(hyper!.gainOverBaseline!.mean - 0.2) < 1e-12);
  assert.equal(mlp!.gainOverBaseline, null);
  assert.deepEqual(hyper!.curve!.steps, [0, 5000, 10000, 15000, 20000]);
  const hopperHyper = hopper!.critics[1]!;
  assert.equal(hopperHyper.n, 2);
  assert.deepEqual(hopperHyper.pending, [3]);
  assert.deepEqual(mlp!.peakQ, [10, 20, 30]);
  assert.deepEqual(hyper!.peakQ, [10, 20, 2e6]);
  assert.deepEqual(hopperHyper.peakQ, [10, 20]);
  // Diverged: past 10× the MLP seeds' largest peak (30).
  assert.deepEqual(hyper!.diverged, [false, false, true]);
  assert.deepEqual(mlp!.diverged, [false, false, false]);
  // Only seed 1 was diagnosed: its snapshots' cosines average 0.2 (MLP) and 0.5 (hyper).
  assert.ok(Math.abs(mlp!.cosine!.mean - 0.2) < 1e-12 && mlp!.cosine!.n === 1);
  assert.ok(Math.abs(hyper!.cosine!.mean - 0.5) < 1e-12);
  assert.equal(hopperHyper.cosine, null);
  // log10 |Q| at 20k over HalfCheetah hyper's seeds: (1 + log10 20 + log10 2e6) / 3.
  assert.ok(Math.abs(hyper!.logQCurve!.mean[1]! - (1 + Math.log10(20) + Math.log10(2e6)) / 3) < 1e-12);
  assert.deepEqual(hyper!.logQCurve!.steps, [10000, 20000]);
});

it('writes results.md, results.json and the learning-curve and cosine figures as SVG and PNG', async () => {
  const dir = fakeExperiment();
  const files = await writeReport(spec, dir, { finalK: 2 });
  assert.deepEqual(files, ['results.md', 'results.json', 'learning-curves.svg', 'learning-curves.png', 'q-values.svg', 'q-values.png', 'cosine-similarity.svg', 'cosine-similarity.png']);
  const md = readFileSync(join(dir, 'results.md'), 'utf8');
  assert.match(md, /mean of the last 2 evaluations/);
  // finalK = 2: MLP (750 + 1000) / 2 = 875.
  assert.match(md, /\| mlp \| 3 \| 20k \| 875\.0 \[/);
  assert.match(md, /\| hyper \| 2 \(\+1 pending\) \| 20k \|/);
  assert.match(md, /\| hyper \| 3 \| 20k \|.*\| 10, 20, 2\.0e6 \|\n/);
  // The summary row: both finals with finalK = 2 (MLP 875; hyper (900 + 1200) / 2 = 1050), gain +20%, one diverged seed, cosines.
  assert.match(md, /## Summary[\s\S]*\| HalfCheetah-v5 · TD3 \| hyper \| 3 \/ 3 \| 875 \[.*\] \| 1050 \[.*\] \| 20% \[.*\] \| 1 of 3 \| 0\.20 \[0\.20, 0\.20\] \/ 0\.50 \[0\.50, 0\.50\] \|\n/);
  assert.match(md, /\| Hopper-v5 · TD3 \| hyper \| 3 \/ 2 \| .* \| 0 of 2 \| – \/ – \|\n/);
  assert.match(md, /!\[learning-curves.png\]\(learning-curves.png\)/);
  const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { groups: unknown[]; finalK: number };
  assert.equal(json.groups.length, 2);
  assert.equal(json.finalK, 2);
  for (const f of ['learning-curves', 'q-values', 'cosine-similarity']) {
    const svg = readFileSync(join(dir, `${f}.svg`), 'utf8');
    assert.match(svg, /^<svg xmlns/);
    assert.match(svg, /environment steps/);
    assert.ok(readFileSync(join(dir, `${f}.png`)).subarray(1, 4).equals(Buffer.from('PNG')));
  }
  assert.match(readFileSync(join(dir, 'learning-curves.svg'), 'utf8'), /evaluation return.*mlp critic.*hyper critic.*HalfCheetah-v5 · TD3.*Hopper-v5 · TD3/s);
  const cosSvg = readFileSync(join(dir, 'cosine-similarity.svg'), 'utf8');
  assert.match(cosSvg, /cosine similarity/);
  assert.equal(cosSvg.split('>hyper critic<').length - 1, 1, 'one legend entry per critic, whatever the panels\' seed counts');
  const qSvg = readFileSync(join(dir, 'q-values.svg'), 'utf8');
  for (const text of ['log10 |mean Q|', 'mlp critic', 'hyper critic', 'HalfCheetah-v5 · TD3']) assert.ok(qSvg.includes(text), `q-values.svg shows '${text}'`);
  assert.ok(existsSync(join(dir, 'cosine-similarity.png')));
});

/** A finished run folder per cell of the spec, logging the metrics `row(cell, step)` at steps 0, 2 and 4. */
function finishedRuns(spec: ExperimentSpec, tag: string, row: (cell: Cell, step: number) => Record<string, number>): string {
  const dir = mkdtempSync(join(tmpdir(), `hyperrl-report-${tag}-`));
  for (const cell of cells(spec)) {
    const run = cellRunDir(dir, cell);
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'metrics.jsonl'), [0, 2, 4].map((step) => JSON.stringify({ step, ...row(cell, step) })).join('\n') + '\n');
    writeFileSync(join(run, 'done.json'), '{}\n');
  }
  return dir;
}

it('reports the meta-RL runs\' other evaluation returns (MAML before adaptation) in a table and a figure', async () => {
  const meta = parseSpec({ name: 'meta', grid: { env: ['Navigation2D-v0'], algo: ['maml'], critic: ['mlp', 'context'], seed: [1, 2] }, train: { totalSteps: 4, evalEvery: 2 } }, 'meta.json');
  // Post-adaptation 10·step, pre-adaptation 5·step + seed for the context policy; the MLP logs no pre-adaptation return.
  const dir = finishedRuns(meta, 'meta', (cell, step) => ({ 'eval/return_mean': 10 * step, ...(cell.critic === 'context' ? { 'eval/pre_adaptation_return': 5 * step + cell.seed } : {}) }));
  const files = await writeReport(meta, dir);
  assert.ok(files.includes('other-evaluations.svg'), files.join(', '));
  const md = readFileSync(join(dir, 'results.md'), 'utf8');
  // Final pre-adaptation returns 21 and 22: mean 21.5.
  assert.match(md, /\| context \| return before adaptation \(`eval\/pre_adaptation_return`\) \| 21\.5 \[21\.0, 22\.0\] \|/);
  assert.doesNotMatch(md, /\| mlp \| return before adaptation/);
  const svg = readFileSync(join(dir, 'other-evaluations.svg'), 'utf8');
  for (const text of ['Navigation2D-v0 · MAML: return before adaptation', 'context critic', 'meta-iterations']) assert.ok(svg.includes(text), `other-evaluations.svg shows '${text}'`);
  assert.ok(readFileSync(join(dir, 'learning-curves.svg'), 'utf8').includes('meta-iterations'), 'a meta grid\'s steps are meta-iterations');
  assert.ok(!svg.includes('mlp critic'), 'the MLP runs logged no pre-adaptation return');
});

it('axis ticks are round numbers and steps read with k/M units', () => {
  assert.deepEqual(ticks(0, 200000, 4), [0, 50000, 100000, 150000, 200000]);
  assert.deepEqual(ticks(-1490, -1110, 5), [-1400, -1300, -1200]);
  assert.deepEqual(ticks(-0.1, 0.32, 5), [-0.1, 0, 0.1, 0.2, 0.3]);
  assert.deepEqual(['0', '500', '50k', '2.5k', '1.5M', '200k'], [0, 500, 50000, 2500, 1500000, 200000].map(formatSteps));
  assert.deepEqual([2.5, 5, 7.5, 10].map((v) => formatTick(v, 2.5)), ['2.5', '5.0', '7.5', '10.0']);
  assert.deepEqual([-0.1, 0, 0.3].map((v) => formatTick(v, 0.1)), ['-0.1', '0.0', '0.3']);
  assert.deepEqual([-1400, 200].map((v) => formatTick(v, 100)), ['-1400', '200']);
  assert.equal(formatTick(0.25, 0.25), '0.25');
});

it('meta-RL trials of 2 episodes: each episode\'s final return and the second\'s gain over the first; runs from before these metrics have none', async () => {
  const meta = parseSpec({ name: 'trials', grid: { env: ['Navigation2D-v0'], algo: ['varibad'], critic: ['standard', 'hyper-bias-hyperinit'], seed: [1, 2] }, train: { totalSteps: 4, evalEvery: 2 } }, 'trials.json');
  // The hypernetwork runs log episode 1 = −20 − seed + step and episode 2 = −10 + seed + step; the standard ones predate the per-episode metrics.
  const dir = finishedRuns(meta, 'trials', (cell, step) => ({
    'eval/return_mean': -30 + 2 * step, ...(cell.critic === 'standard' ? {} : { 'eval/return_episode_1': -20 - cell.seed + step, 'eval/return_episode_2': -10 + cell.seed + step }),
  }));
  assert.equal(runOutcome(cellRunDir(dir, cells(meta).find((c) => c.critic !== 'standard' && c.seed === 1)!)), 'eval return -22.0, episode 1 -17.0 → 2 -5.0');
  const [group] = summarise(meta, dir);
  const [standard, hyper] = group!.critics;
  assert.equal(standard!.episodeReturns, null);
  // Final (step 4): episode 1 = −17, −18 (mean −17.5); episode 2 = −5, −4 (mean −4.5); gains 12 and 14.
  assert.deepEqual(hyper!.episodeReturns!.finals.map((f) => f.mean), [-17.5, -4.5]);
  assert.equal(hyper!.episodeReturns!.lastMinusFirst!.mean, 13);
  assert.deepEqual([hyper!.episodeReturns!.lastMinusFirst!.lo, hyper!.episodeReturns!.lastMinusFirst!.hi], [12, 14]);
  await writeReport(meta, dir);
  const md = readFileSync(join(dir, 'results.md'), 'utf8');
  assert.match(md, /\| critic \| episode 1 \| episode 2 \| episode 2 − episode 1 \|/);
  assert.match(md, /\| standard \| – \| – \| – \|\n/);
  assert.match(md, /\| hyper-bias-hyperinit \| -17\.5 \[-18\.0, -17\.0\] \| -4\.5 \[-5\.0, -4\.0\] \| 13\.0 \[12\.0, 14\.0\] \|\n/);
});

it('trials of one episode, or runs without per-episode metrics, add no per-episode table', async () => {
  const meta = parseSpec({ name: 'one', grid: { env: ['HalfCheetahDir-v0'], algo: ['varibad'], critic: ['standard'], seed: [1] }, train: { totalSteps: 4, evalEvery: 2 } }, 'one.json');
  const dir = finishedRuns(meta, 'one', (_cell, step) => ({ 'eval/return_mean': step, 'eval/return_episode_1': step }));
  assert.deepEqual(summarise(meta, dir)[0]!.critics[0]!.episodeReturns!.finals.map((f) => f.mean), [4]);
  await writeReport(meta, dir);
  assert.doesNotMatch(readFileSync(join(dir, 'results.md'), 'utf8'), /episode 1/);
});

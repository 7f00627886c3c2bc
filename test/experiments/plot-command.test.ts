import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { plotCommand } from '../../src/cli/plot.js';
import { readMetricCurve } from '../../src/experiments/report.js';

function fakeRun(root: string, name: string, q: (step: number) => number): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  for (let step = 1000; step <= 5000; step += 1000) {
    lines.push(JSON.stringify({ step, 'losses/qf1_values': q(step), 'perf/sps': 100 }));
    lines.push(JSON.stringify({ step, 'eval/return_mean': step / 10 }));
  }
  lines.push(JSON.stringify({ step: 5000, 'eval/return_mean': 123 })); // a step logged twice keeps the last value
  writeFileSync(join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
  return dir;
}

test('hyperrl plot: one panel per metric, one line per run, log10 |v| where asked, SVG and PNG written', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hyperrl-plot-'));
  const stable = fakeRun(root, 'stable', (s) => s / 100), diverged = fakeRun(root, 'diverged', (s) => 10 ** (s / 500));
  assert.deepEqual(readMetricCurve(stable, 'eval/return_mean').values, [100, 200, 300, 400, 123]);
  const out = join(root, 'fig.svg');
  const code = await plotCommand([stable, diverged, '--metric', 'eval/return_mean,losses/qf1_values', '--log', 'losses/qf1_values', '--labels', 'A run,B run', '--out', out]);
  assert.equal(code, 0);
  const svg = readFileSync(out, 'utf8');
  for (const text of ['A run', 'B run', 'eval/return_mean', 'log10 |losses/qf1_values|', 'environment steps']) assert.ok(svg.includes(text), `SVG shows '${text}'`);
  assert.equal(readFileSync(join(root, 'fig.png')).subarray(0, 4).toString('latin1'), '\x89PNG');
  // log10 of 10^(s/500) at s = 5000 is 10: the log panel's y axis must reach a tick at 10, the linear one cannot (Q up to 1e10).
  assert.match(svg, />10</);
  assert.doesNotMatch(svg, /NaN|Infinity/);
});

test('hyperrl plot: errors name the problem', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hyperrl-plot-'));
  const run = fakeRun(root, 'r', (s) => s);
  await assert.rejects(plotCommand([run, '--metric', 'losses/nope']), /no metric 'losses\/nope'; it has: eval\/return_mean, losses\/qf1_values, perf\/sps/);
  await assert.rejects(plotCommand([join(root, 'missing')]), /not a run folder/);
  await assert.rejects(plotCommand([run, '--labels', 'a,b']), /2 labels for 1 runs/);
  await assert.rejects(plotCommand([run, '--log', 'perf/sps']), /--log names 'perf\/sps'/);
});

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const HIDE_RESVG = new URL('../../../test/fixtures/hide-resvg.mjs', import.meta.url).pathname;

test('hyperrl plot: without @resvg/resvg-js it writes the SVG, says why there is no PNG and exits non-zero', () => {
  const root = mkdtempSync(join(tmpdir(), 'hyperrl-plot-'));
  const run = fakeRun(root, 'r', (s) => s);
  const out = join(root, 'fig.svg');
  const r = spawnSync(process.execPath, ['--import', HIDE_RESVG, CLI, 'plot', run, '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /wrote .*fig\.svg, but not .*fig\.png: @resvg\/resvg-js could not be loaded .*npm install @resvg\/resvg-js/);
  assert.ok(existsSync(out));
  assert.equal(existsSync(join(root, 'fig.png')), false, 'no PNG file holding an error message');
});

test('hyperrl plot: a PNG path that cannot be written is an error naming it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hyperrl-plot-'));
  const run = fakeRun(root, 'r', (s) => s);
  mkdirSync(join(root, 'fig.png')); // a folder where the PNG should go
  const errors: string[] = [];
  const original = console.error;
  console.error = (line: string) => { errors.push(line); };
  try {
    assert.equal(await plotCommand([run, '--out', join(root, 'fig.svg')]), 1);
  } finally {
    console.error = original;
  }
  assert.match(errors.join('\n'), /but not .*fig\.png: EISDIR/);
});

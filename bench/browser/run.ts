/**
 * Browser benchmark (`npm run bench:browser [-- --quick]`): the same TD3 Pendulum-v1 run
 * (64-64 networks, batch 128, learning and random steps 1000, evaluation every 5% of the run
 * over 5 episodes) trained in headless Chromium's tab (the demo page, web/, on the wasm
 * backend in a Web Worker) and in Node on the wasm backend (`train()`, HYPERRL_BACKEND=wasm),
 * one after the other. The target: the tab within 1.5× of Node's wall time.
 * Writes bench/results/browser-<date>.json. Needs /usr/bin/chromium.
 */
import '../../src/envs/index.js';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../../src/train/run.js';
import { resolveTrainConfig } from '../../src/train/run-config.js';
import { chromiumMissing, startBrowserSession } from '../../test/helpers/chromium.js';
import { writeBenchResult } from '../lib/results.js';
import { benchFlags } from '../lib/flags.js';

/** The page's settings for a run of `steps` (web/src/main.ts). */
const runSettings = (steps: number) => ({ steps, hidden: 64, batchSize: 128, learningStarts: Math.min(1000, steps / 10), evalEvery: Math.max(500, steps / 20), evalEpisodes: 5 });

async function inTab(steps: number): Promise<{ seconds: number; finalReturn: number; backend: string; browser: string }> {
  const session = await startBrowserSession();
  try {
    const { page, errors } = await session.open('/');
    await page.waitForFunction('window.demo?.ready === true', null, { timeout: 120_000 });
    // The viewer, paused, stops drawing: software WebGL would take a core from the training worker.
    await page.click('#play');
    await page.waitForFunction('window.demo.viewer.playing === false');
    await page.selectOption('select[name=env]', 'Pendulum-v1');
    await page.selectOption('select[name=algo]', 'td3');
    await page.selectOption('select[name=critic]', 'mlp');
    await page.fill('input[name=steps]', String(steps));
    await page.fill('input[name=hidden]', String(runSettings(steps).hidden));
    await page.click('#start');
    await page.waitForFunction('window.demo.training.done || window.demo.training.error !== null', null, { timeout: 3_600_000 });
    const training = await page.evaluate('window.demo.training') as { error: string | null; seconds: number; evals: { mean: number }[] };
    if (training.error !== null || errors.length > 0) throw new Error(`the tab's run failed: ${training.error ?? errors.join('; ')}`);
    return { seconds: training.seconds, finalReturn: training.evals.at(-1)!.mean, backend: (await page.textContent('#backend')) ?? '', browser: session.context.browser()?.version() ?? 'chromium' };
  } finally {
    await session.close();
  }
}

async function inNode(steps: number): Promise<{ seconds: number; finalReturn: number }> {
  const s = runSettings(steps);
  process.env.HYPERRL_BACKEND = 'wasm';
  const config = resolveTrainConfig({
    env: 'Pendulum-v1', algo: 'td3', critic: 'mlp', seed: 1, totalSteps: steps, actorHidden: [s.hidden, s.hidden], criticHidden: [s.hidden, s.hidden], batchSize: s.batchSize,
    learningStarts: s.learningStarts, randomSteps: s.learningStarts, evalEvery: s.evalEvery, evalEpisodes: s.evalEpisodes, checkpointEvery: steps, runsDir: mkdtempSync(join(tmpdir(), 'hyperrl-bench-browser-')),
  });
  const r = await train({ config, quiet: true });
  return { seconds: r.seconds, finalReturn: r.finalEval.mean };
}

export async function runBrowserBench(opts: { quick?: boolean; log?: (l: string) => void } = {}): Promise<Record<string, unknown>> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const missing = chromiumMissing();
  if (missing !== null) throw new Error(`bench:browser: ${missing}`);
  const quick = opts.quick ?? false;
  const steps = quick ? 3_000 : 20_000;
  const tab = await inTab(steps);
  log(`tab  (${tab.backend}): ${steps} steps in ${tab.seconds.toFixed(1)} s, final return ${tab.finalReturn.toFixed(1)}`);
  const node = await inNode(steps);
  log(`node (wasm backend): ${steps} steps in ${node.seconds.toFixed(1)} s, final return ${node.finalReturn.toFixed(1)}`);
  const ratio = tab.seconds / node.seconds;
  log(`tab / node wall time: ${ratio.toFixed(2)}× (target ≤ 1.5×)`);
  const result = {
    benchmark: 'browser', date: new Date().toISOString(), quick, run: { env: 'Pendulum-v1', algo: 'td3', critic: 'mlp', ...runSettings(steps) },
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, browser: tab.browser },
    tab: { seconds: tab.seconds, finalReturn: tab.finalReturn, backend: tab.backend }, nodeWasm: node, tabOverNode: ratio, target: 1.5,
  };
  log(`wrote ${writeBenchResult('browser', result)}`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runBrowserBench({ quick: benchFlags('browser', ['--quick']).has('--quick') });
}

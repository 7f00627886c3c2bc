/**
 * The demo page (web/) in a real browser: Debian's Chromium, headless, driven by playwright-core
 * against the page served by Vite. The page loads on the wasm backend, cross-origin isolated;
 * the MuJoCo viewer draws something (pixel statistics of screenshots); vector envs run on Web
 * Workers with SyncVectorEnv's results; TD3 trained in the tab improves Pendulum's evaluation
 * return; an exported ONNX policy and a run folder play in the viewer. Without /usr/bin/chromium
 * every test reports itself skipped, naming the reason.
 *
 * The page's screenshot lands in dist/test/browser/web-demo.png; HYPERRL_UPDATE_SCREENSHOTS=1
 * also writes docs/web-demo.png (the README's picture).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumMissing, startBrowserSession, type BrowserSession } from '../helpers/chromium.js';
import { quickTrain } from '../helpers/train.js';

const missing = chromiumMissing();
const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const ARTIFACTS = new URL('./', import.meta.url).pathname;
const DOCS_SCREENSHOT = new URL('../../../docs/web-demo.png', import.meta.url).pathname;

/** The training budget in the tab and the bar it must clear (an untrained policy scores about −1,200 to −1,500). */
const TRAIN = { steps: 8000, hidden: 64, beat: -900, improveBy: 300 };
/** PPO's budget in the tab: four rollouts of 4 envs × 250 steps (a check that it runs, not that it learns). */
const PPO_STEPS = 4000;

interface PixelStats { width: number; height: number; distinctColours: number; lumaStd: number; offBackground: number }

/** Decodes a PNG in the page and measures it: distinct colours (5 bits per channel), luminance spread, share of pixels unlike the corner's. */
const PIXEL_STATS = `async (base64) => {
  const bitmap = await createImageBitmap(await (await fetch('data:image/png;base64,' + base64)).blob());
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const g = canvas.getContext('2d');
  g.drawImage(bitmap, 0, 0);
  const d = g.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const colours = new Set();
  let sum = 0, sumSq = 0, off = 0;
  const n = d.length / 4;
  for (let i = 0; i < d.length; i += 4) {
    colours.add(((d[i] >> 3) << 10) | ((d[i + 1] >> 3) << 5) | (d[i + 2] >> 3));
    const y = 0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2];
    sum += y; sumSq += y * y;
    if (Math.abs(d[i] - d[0]) + Math.abs(d[i + 1] - d[1]) + Math.abs(d[i + 2] - d[2]) > 30) off++;
  }
  const mean = sum / n;
  return { width: bitmap.width, height: bitmap.height, distinctColours: colours.size, lumaStd: Math.sqrt(sumSq / n - mean * mean), offBackground: off / n };
}`;

async function pixelStats(page: Page, png: Buffer): Promise<PixelStats> {
  return page.evaluate(`(${PIXEL_STATS})(${JSON.stringify(png.toString('base64'))})`) as Promise<PixelStats>;
}

const demo = <T>(page: Page, expression: string): Promise<T> => page.evaluate(`window.demo.${expression}`) as Promise<T>;

/** A paused viewer stops drawing: software WebGL would take a core from the training worker. */
async function pauseViewer(page: Page): Promise<void> {
  if (await demo<boolean>(page, 'viewer.playing')) await page.click('#play');
  await page.waitForFunction('window.demo.viewer.playing === false');
}

describe('the demo page in Chromium', { concurrency: false }, () => {
  let session: BrowserSession;
  let page: Page;
  let errors: string[];

  before(async () => {
    if (missing !== null) return;
    session = await startBrowserSession();
    ({ page, errors } = await session.open('/'));
  });
  after(async () => {
    await session?.close();
  });

  it('loads on the wasm backend, cross-origin isolated, without errors', async (t) => {
    if (missing !== null) return t.skip(missing);
    await page.waitForFunction('window.demo?.ready === true', null, { timeout: 120_000 });
    assert.match(await page.textContent('#backend') ?? '', /wasm backend/);
    assert.equal(await page.evaluate('crossOriginIsolated'), true);
    assert.deepEqual(errors, []);
    assert.equal(await page.textContent('#error'), '');
  });

  it('draws the MuJoCo model in the viewer: the canvas is not blank, and it moves', async (t) => {
    if (missing !== null) return t.skip(missing);
    await page.waitForFunction('window.demo.viewer.step > 20 && window.demo.viewer.frames > 10', null, { timeout: 60_000 });
    const viewer = page.locator('#viewer');
    const first = await viewer.screenshot();
    const stats = await pixelStats(page, first);
    assert.ok(stats.width > 300 && stats.height > 200, `viewer is ${stats.width}×${stats.height}`);
    // A blank or single-colour canvas has a handful of colours and no spread; the floor, robot and shadows give many.
    assert.ok(stats.distinctColours >= 40, `only ${stats.distinctColours} distinct colours`);
    assert.ok(stats.lumaStd > 8, `luminance spread ${stats.lumaStd.toFixed(1)}`);
    assert.ok(stats.offBackground > 0.05, `${(100 * stats.offBackground).toFixed(1)}% of pixels differ from the background`);
    const step = await demo<number>(page, 'viewer.step');
    await page.waitForFunction(`window.demo.viewer.step > ${step + 10}`, null, { timeout: 30_000 });
    assert.notDeepEqual(await viewer.screenshot(), first, 'the picture changes as the simulation runs');
  });

  it('runs vector envs on Web Workers with SyncVectorEnv\'s results; a page\'s main thread falls back to one thread', async (t) => {
    if (missing !== null) return t.skip(missing);
    const { page: vectorPage, errors: vectorErrors } = await session.open('/tests/vector.html');
    await vectorPage.waitForFunction('window.vectorCheck !== undefined', null, { timeout: 120_000 });
    const check = await vectorPage.evaluate('window.vectorCheck');
    assert.deepEqual(check, { mainThreadKind: 'SyncVectorEnv', crossOriginIsolated: true, kind: 'AsyncVectorEnv', identical: true, steps: 200 });
    assert.deepEqual(vectorErrors, []);
    await vectorPage.close();
  });

  it('trains PPO on InvertedPendulum-v5 in the tab with its envs on Web Workers, and the trained policy plays in the viewer', async (t) => {
    if (missing !== null) return t.skip(missing);
    await pauseViewer(page);
    await page.selectOption('select[name=env]', 'InvertedPendulum-v5');
    await page.selectOption('select[name=algo]', 'ppo');
    assert.equal(await page.inputValue('input[name=steps]'), '100000', 'choosing PPO suggests its budget');
    assert.equal(await page.isDisabled('select[name=critic]'), true, 'PPO has no critic choice');
    await page.fill('input[name=steps]', String(PPO_STEPS));
    await page.fill('input[name=hidden]', '64');
    await page.click('#start');
    await page.waitForFunction('window.demo.training.done || window.demo.training.error !== null', null, { timeout: 300_000 });
    const training = await demo<{ error: string | null; step: number; evals: { step: number; mean: number }[] }>(page, 'training');
    assert.equal(training.error, null);
    assert.equal(training.step, PPO_STEPS);
    // An evaluation before training, then every 500 steps (the page's evalEvery: max(500, steps / 20)).
    assert.ok(training.evals.length >= 8, `${training.evals.length} evaluations`);
    assert.match(await page.textContent('#train-note') ?? '', /4 envs per rollout on Web Workers/);
    await page.click('#watch-trained');
    await page.waitForFunction('window.demo.viewer.policy === "PPO trained in this tab" && window.demo.viewer.step > 30', null, { timeout: 60_000 });
    assert.equal(await page.textContent('#error'), '');
    assert.deepEqual(errors, []);
    await page.selectOption('select[name=algo]', 'td3');
  });

  it(`trains TD3 on Pendulum-v1 in the tab: the evaluation return passes ${TRAIN.beat} within ${TRAIN.steps} steps`, async (t) => {
    if (missing !== null) return t.skip(missing);
    await pauseViewer(page);
    await page.selectOption('select[name=env]', 'Pendulum-v1');
    await page.selectOption('select[name=algo]', 'td3');
    await page.fill('input[name=steps]', String(TRAIN.steps));
    await page.fill('input[name=hidden]', String(TRAIN.hidden));
    await page.click('#start');
    await page.waitForFunction('window.demo.training.done || window.demo.training.error !== null', null, { timeout: 600_000 });
    const training = await demo<{ error: string | null; step: number; seconds: number; evals: { step: number; mean: number }[] }>(page, 'training');
    assert.equal(training.error, null);
    assert.equal(training.step, TRAIN.steps);
    const first = training.evals[0]!.mean, last = training.evals.at(-1)!.mean;
    t.diagnostic(`eval return ${first.toFixed(0)} → ${last.toFixed(0)} in ${training.seconds.toFixed(1)} s (${(TRAIN.steps / training.seconds).toFixed(0)} steps/s)`);
    assert.ok(last > TRAIN.beat, `final evaluation return ${last.toFixed(1)} does not pass ${TRAIN.beat}`);
    assert.ok(last > first + TRAIN.improveBy, `evaluation return went from ${first.toFixed(1)} to ${last.toFixed(1)}`);
    assert.ok(Number((await page.textContent('#stat-sps'))!.replace(/,/g, '')) > 0, 'the page shows steps/s');
  });

  it('plays an exported ONNX policy and a run folder in the viewer', async (t) => {
    if (missing !== null) return t.skip(missing);
    const { runDir } = await quickTrain({ env: 'HalfCheetah-v5', algo: 'td3', seed: 2, totalSteps: 300, learningStarts: 100, randomSteps: 100, evalEvery: 1_000_000, evalEpisodes: 1, batchSize: 32, actorHidden: [64, 64], criticHidden: [64, 64] });
    const exported = spawnSync(process.execPath, [CLI, 'export', runDir, '--format', 'onnx'], { encoding: 'utf8' });
    assert.equal(exported.status, 0, exported.stderr);

    await page.selectOption('#view-env', 'HalfCheetah-v5');
    await page.waitForFunction('window.demo.viewer.policy === "random actions"');
    await page.setInputFiles('#load-onnx', join(runDir, 'policy.onnx'));
    await page.waitForFunction('window.demo.viewer.policy.startsWith("ONNX") && window.demo.viewer.step > 30', null, { timeout: 60_000 });
    assert.equal(await page.textContent('#error'), '');
    assert.match(await page.textContent('#view-policy') ?? '', /ONNX policy\.onnx on HalfCheetah-v5/);

    await page.setInputFiles('#load-run', runDir);
    await page.waitForFunction('window.demo.viewer.policy.startsWith("TD3") && window.demo.viewer.step > 30', null, { timeout: 60_000 });
    assert.equal(await page.textContent('#error'), '');
    assert.deepEqual(errors, []);

    // The README's picture: the learning curve of the run above and a policy in the viewer.
    await page.setInputFiles('#load-onnx', join(runDir, 'policy.onnx'));
    await page.waitForFunction('window.demo.viewer.policy.startsWith("ONNX") && window.demo.viewer.step > 60', null, { timeout: 60_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'web-demo.png');
    writeFileSync(shot, await page.screenshot({ fullPage: true }));
    if (process.env.HYPERRL_UPDATE_SCREENSHOTS === '1') copyFileSync(shot, DOCS_SCREENSHOT);
  });
});

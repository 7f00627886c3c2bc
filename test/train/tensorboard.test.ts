/**
 * TensorBoard event files read back by an independent reader (protobufjs with
 * TensorFlow's message definitions, CRC32C recomputed bit by bit): the same scalars
 * under the same names as metrics.jsonl, the hyperparameters as a text summary, and
 * a torn tail or rows past a checkpoint dropped on resume.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsLog } from '../../src/train/metrics.js';
import { crc32c, eventFile, maskedCrc32c, TensorBoardWriter } from '../../src/train/tensorboard.js';
import { crc32cBitwise, readEvents, scalarsByTag } from '../helpers/tfevents.js';
import { quickTrain, tempRuns } from '../helpers/train.js';

it('computes CRC-32C as the standard check value and the independent bitwise version say', () => {
  const check = new TextEncoder().encode('123456789');
  assert.equal(crc32cBitwise(check), 0xe3069283);
  assert.equal(crc32c(check), 0xe3069283);
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
  assert.equal(crc32c(bytes), crc32cBitwise(bytes));
  assert.notEqual(maskedCrc32c(bytes), crc32c(bytes));
});

it('writes every metrics.jsonl value as a TensorBoard scalar and the hyperparameters as text', async () => {
  const r = await quickTrain({
    env: 'Pendulum-v1', totalSteps: 600, learningStarts: 200, randomSteps: 200, logEvery: 100, evalEvery: 300, evalEpisodes: 1,
    actorHidden: [16], criticHidden: [16], batchSize: 32,
  });
  const path = eventFile(r.runDir);
  assert.ok(path !== null && /events\.out\.tfevents\.\d+\..+/.test(path), `an event file in ${r.runDir}`);
  const events = readEvents(path);
  assert.equal(events[0]!.fileVersion, 'brain.Event:2');
  assert.ok(events.every((e) => e.wallTime > 1.6e9), 'wall times are seconds since the epoch');

  const rows = readFileSync(join(r.runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>);
  const expected = new Map<string, [number, number][]>();
  for (const { step, ...values } of rows) for (const [tag, v] of Object.entries(values)) {
    if (!expected.has(tag)) expected.set(tag, []);
    expected.get(tag)!.push([step!, v]);
  }
  const scalars = scalarsByTag(events);
  assert.deepEqual([...scalars.keys()].sort(), [...expected.keys()].sort());
  for (const tag of ['losses/qf_loss', 'losses/qf1_values', 'eval/return_mean', 'charts/episodic_return', 'perf/sps']) assert.ok(scalars.has(tag), tag);
  for (const [tag, points] of expected) {
    const got = scalars.get(tag)!;
    assert.deepEqual(got.map(([s]) => s), points.map(([s]) => s), `steps of ${tag}`);
    got.forEach(([, v], i) => assert.equal(v, Math.fround(points[i]![1]), `${tag} #${i}`));
  }

  const text = events.flatMap((e) => e.summary?.value ?? []).find((v) => v.tag === 'hyperparameters');
  assert.ok(text, 'a hyperparameters summary');
  assert.equal(text.metadata?.pluginData?.pluginName, 'text');
  assert.equal(text.tensor?.dtype, 7, 'DT_STRING');
  const markdown = Buffer.from(text.tensor!.stringVal[0]!).toString('utf8');
  assert.match(markdown, /^\|setting\|value\|/);
  assert.match(markdown, /\|totalSteps\|600\|/);
  assert.match(markdown, /\|actorHidden\|16\|/);
});

it('drops events after the resume step and a torn last record, keeping the file readable', () => {
  const dir = tempRuns('tb');
  const log = new MetricsLog(dir);
  for (let step = 100; step <= 500; step += 100) log.write(step, { 'losses/qf1_loss': step / 100 });
  appendFileSync(log.tensorboard.path, Buffer.from([1, 2, 3, 4, 5])); // a write cut short by a crash
  assert.throws(() => readEvents(log.tensorboard.path), /checksum/);
  new MetricsLog(dir).cutBackToStep(300);
  const after = scalarsByTag(readEvents(log.tensorboard.path)).get('losses/qf1_loss');
  assert.deepEqual(after, [[100, 1], [200, 2], [300, 3]]);
  // A resumed writer appends to the same file.
  const resumed = new TensorBoardWriter(dir);
  assert.equal(resumed.path, log.tensorboard.path);
  resumed.scalars(400, { 'losses/qf1_loss': 40 });
  assert.deepEqual(scalarsByTag(readEvents(resumed.path)).get('losses/qf1_loss')!.at(-1), [400, 40]);
});

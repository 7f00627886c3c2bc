// When does PEARL's inferred context start to tell Navigation2D goals apart? Trains PEARL
// (posterior context) and every `--every` iterations prints, as one JSON line, the held-out
// R² of the goal from the posterior mean (src/diagnostics/pearl-inference.ts) and the
// meta-test returns with the posterior and with the prior. Runs the compiled library:
//   npx tsc -p . && node scripts/pearl-inference.mjs [--iterations 150] [--every 5] [--gamma 0.99] [--train-tasks 40] [--seed 1] [--config '{"numStepsPrior": 400}']
// The networks and batches are the small ones of test/algos/pearl-learning.test.ts; --config
// overrides any PEARL setting (JSON, PEARL_SCHEMA's keys).
import { parseArgs } from 'node:util';
import { Engine, PEARL_SCHEMA, Pearl, defaultBackend, defaults, posteriorGoalR2 } from './library.mjs';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '150' }, every: { type: 'string', default: '5' }, gamma: { type: 'string', default: '0.99' },
    'train-tasks': { type: 'string', default: '40' }, seed: { type: 'string', default: '1' }, config: { type: 'string', default: '{}' },
  },
});
const iterations = Number(values.iterations), every = Number(values.every), seed = Number(values.seed);
const config = {
  ...defaults(PEARL_SCHEMA), gamma: Number(values.gamma), rewardScale: 20, netSize: 64, encoderHidden: [64, 64], numTrainTasks: Number(values['train-tasks']),
  numTestTasks: 20, metaBatch: 4, batchSize: 64, embeddingBatchSize: 32, numInitialSteps: 200, numTasksSample: 2, numStepsPrior: 100,
  numExtraRlStepsPosterior: 100, trainStepsPerIteration: 100, numStepsPerEval: 300, numExpTrajEval: 1, taskBufferSize: 5000,
  ...JSON.parse(values.config),
};
const pearl = new Pearl(new Engine(defaultBackend()), 'Navigation2D-v0', config, seed);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const start = performance.now();
const report = (iteration) => {
  const ev = pearl.evaluate();
  console.log(JSON.stringify({
    iteration, gradientSteps: iteration * config.trainStepsPerIteration, goalR2: +posteriorGoalR2(pearl, pearl.trainTasks, pearl.testTasks).toFixed(3),
    posteriorReturn: +mean(ev.returns).toFixed(1), priorReturn: +ev.metrics['eval/prior_return'].toFixed(1), seconds: Math.round((performance.now() - start) / 1000),
  }));
};
try {
  report(0);
  for (let i = 1; i <= iterations; i++) {
    pearl.iterate();
    if (i % every === 0) report(i);
  }
} finally {
  pearl.close();
}

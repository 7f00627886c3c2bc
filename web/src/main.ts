/** The demo page: training in a worker with a live learning curve, and a MuJoCo viewer for policies. */
import { decodeSafetensors } from 'hyperrl/browser';
import { LearningCurve } from './chart.js';
import { agentPolicy, agentWithActor, onnxPolicy, runFolderPolicy, withObservationStatistics } from './policies.js';
import type { TrainEvent, TrainRequest } from './protocol.js';
import { createEngine } from './runtime.js';
import { MujocoViewer, type Policy, type ViewerStatus } from './viewer.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const errorBox = $('error');
const showError = (error: unknown): void => {
  errorBox.textContent = (error as Error).message ?? String(error);
  console.error(error);
};

/** State the browser tests read (test/browser/page.test.ts). */
interface DemoState {
  ready: boolean;
  training: { running: boolean; done: boolean; step: number; stepsPerSecond: number; seconds: number; evals: { step: number; mean: number }[]; error: string | null };
  viewer: ViewerStatus;
}

const engine = await createEngine();
$('backend').textContent = `compute: ${engine.backend.name} backend, ${engine.backend.detail}`;
const isolation = $('isolation');
isolation.textContent = crossOriginIsolated ? 'cross-origin isolated: vector envs on Web Workers' : 'not cross-origin isolated: vector envs on one thread';
if (!crossOriginIsolated) isolation.classList.add('warn');

// ---------------------------------------------------------------- training

const form = $<HTMLFormElement>('train-form');
const curve = new LearningCurve($<HTMLCanvasElement>('curve'), Number(new FormData(form).get('steps')));
const startButton = $<HTMLButtonElement>('start'), stopButton = $<HTMLButtonElement>('stop'), watchTrained = $<HTMLButtonElement>('watch-trained');
const training: DemoState['training'] = { running: false, done: false, step: 0, stepsPerSecond: 0, seconds: 0, evals: [], error: null };
let worker: Worker | null = null;
let trained: Extract<TrainEvent, { type: 'done' }> | null = null;
let startedAt = 0, clock = 0;
/** What the worker said about the run (PPO: where its envs step), kept in the closing note. */
let runNote = '';

function stopTraining(): void {
  worker?.terminate();
  worker = null;
  training.running = false;
  clearInterval(clock);
  startButton.disabled = false;
  stopButton.disabled = true;
}

function onTrainEvent(event: TrainEvent): void {
  switch (event.type) {
    case 'ready':
      $('train-note').textContent = `Training in a Web Worker on the ${event.backend} backend.`;
      break;
    case 'note':
      runNote = ` ${event.message}.`;
      $('train-note').textContent += runNote;
      break;
    case 'progress':
      training.step = event.step;
      training.stepsPerSecond = event.stepsPerSecond;
      $('stat-step').textContent = event.step.toLocaleString('en');
      $('stat-sps').textContent = Math.round(event.stepsPerSecond).toLocaleString('en');
      break;
    case 'episode':
      curve.addEpisode({ step: event.step, mean: event.episodeReturn });
      break;
    case 'eval':
      training.evals.push({ step: event.step, mean: event.mean });
      $('stat-eval').textContent = event.mean.toFixed(1);
      curve.addEval(event);
      break;
    case 'done':
      training.done = true;
      training.seconds = event.seconds;
      trained = event;
      watchTrained.disabled = event.request.env !== 'InvertedPendulum-v5';
      stopTraining();
      $('train-note').textContent = `Done: ${event.step.toLocaleString('en')} steps in ${event.seconds.toFixed(1)} s (${Math.round(event.step / event.seconds)} steps/s on average).${runNote}`;
      break;
    case 'error':
      training.error = event.message;
      showError(new Error(`training: ${event.message}`));
      stopTraining();
      break;
  }
}

// PPO learns from far more steps than TD3/SAC, and its value network is an MLP.
const stepsInput = form.elements.namedItem('steps') as HTMLInputElement, criticSelect = form.elements.namedItem('critic') as HTMLSelectElement;
const SUGGESTED_STEPS: Record<string, number> = { td3: 10_000, sac: 10_000, ppo: 100_000 };
(form.elements.namedItem('algo') as HTMLSelectElement).addEventListener('change', (e) => {
  const algo = (e.target as HTMLSelectElement).value;
  stepsInput.value = String(SUGGESTED_STEPS[algo]);
  criticSelect.disabled = algo === 'ppo';
});

form.addEventListener('submit', (e) => {
  e.preventDefault();
  stopTraining();
  const f = new FormData(form);
  const totalSteps = Number(f.get('steps')), hidden = Number(f.get('hidden'));
  const request: TrainRequest = {
    type: 'start', env: f.get('env') as TrainRequest['env'], algo: f.get('algo') as TrainRequest['algo'], critic: (f.get('critic') ?? 'mlp') as TrainRequest['critic'],
    seed: Number(f.get('seed')), totalSteps, learningStarts: Math.min(1000, totalSteps / 10), hidden: [hidden, hidden], batchSize: 128,
    evalEvery: Math.max(500, totalSteps / 20), evalEpisodes: 5,
  };
  Object.assign(training, { running: true, done: false, step: 0, stepsPerSecond: 0, seconds: 0, evals: [], error: null });
  trained = null;
  runNote = '';
  watchTrained.disabled = true;
  const critic = request.algo === 'ppo' ? 'MLP value network' : request.critic === 'hyper' ? 'hypernetwork critic' : 'MLP critic';
  curve.reset(totalSteps, `${request.env} · ${request.algo.toUpperCase()} · ${critic} · seed ${request.seed}`);
  for (const id of ['stat-step', 'stat-sps', 'stat-eval']) $(id).textContent = '–';
  worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' });
  worker.addEventListener('message', (m: MessageEvent<TrainEvent>) => onTrainEvent(m.data));
  worker.addEventListener('error', (m) => onTrainEvent({ type: 'error', message: m.message || 'the training worker failed to start' }));
  worker.postMessage(request);
  startButton.disabled = true;
  stopButton.disabled = false;
  startedAt = performance.now();
  clock = window.setInterval(() => ($('stat-time').textContent = `${((performance.now() - startedAt) / 1000).toFixed(0)} s`), 250);
});
stopButton.addEventListener('click', stopTraining);

// ---------------------------------------------------------------- viewer

const viewer = new MujocoViewer($<HTMLCanvasElement>('viewer'));
const viewEnv = $<HTMLSelectElement>('view-env');
const playButton = $<HTMLButtonElement>('play');
viewer.onStatus = (s) => {
  $('view-policy').textContent = `${s.policy} on ${s.envId}`;
  $('view-episode').textContent = String(s.episode + 1);
  $('view-step').textContent = String(s.step);
  $('view-return').textContent = s.episodeReturn.toFixed(1);
  $('view-last').textContent = s.lastReturn === null ? '–' : s.lastReturn.toFixed(1);
  playButton.textContent = s.playing ? 'Pause' : 'Play';
};

async function show(envId: string, policy: Policy | null): Promise<void> {
  errorBox.textContent = '';
  viewEnv.value = envId;
  await viewer.show(envId, policy);
  viewer.onStatus(viewer.status);
}

viewEnv.addEventListener('change', () => show(viewEnv.value, null).catch(showError));
$('random-policy').addEventListener('click', () => show(viewEnv.value, null).catch(showError));
playButton.addEventListener('click', () => viewer.setPlaying(!viewer.status.playing));
$('reset').addEventListener('click', () => viewer.resetEpisode());
// Each picker is cleared once read, so choosing the same file again loads it again.
$<HTMLInputElement>('load-run').addEventListener('change', (e) => {
  const input = e.target as HTMLInputElement;
  const files = [...(input.files ?? [])];
  input.value = '';
  runFolderPolicy(engine, files).then(({ envId, policy }) => show(envId, policy)).catch(showError);
});
$<HTMLInputElement>('load-onnx').addEventListener('change', (e) => {
  const input = e.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = '';
  if (file !== undefined) onnxPolicy(file, viewEnv.value).then((policy) => show(viewEnv.value, policy)).catch(showError);
});
watchTrained.addEventListener('click', () => {
  if (trained === null) return;
  const { request, actor, obsDim, actionLow, actionHigh } = trained;
  const agentConfig = { actorHidden: request.hidden, criticHidden: request.hidden, ...(request.algo === 'ppo' ? {} : { critic: request.critic }) };
  const agent = agentWithActor(engine, request.algo, agentConfig, { obsDim, actionLow, actionHigh }, decodeSafetensors(actor).tensors, 'trained actor');
  show(request.env, agentPolicy(withObservationStatistics(agent, trained.obsStatistics), `${request.algo.toUpperCase()} trained in this tab`)).catch(showError);
});

await show('HalfCheetah-v5', null).catch(showError);
(window as unknown as { demo: DemoState }).demo = { ready: true, training, viewer: viewer.status };

/**
 * AsyncVectorEnv worker: owns envs [first, end), creates them, reports their
 * spaces, then serves lock-step commands from shared memory until Close.
 * The same module runs as a Node worker thread and as a browser module worker
 * (`hyperrl/vector-env-worker`).
 */
import { platform } from '#platform';
import { NonFiniteError } from '../../core/non-finite.js';
import type { Env } from '../core.js';
import { prepare } from '../index.js';
import { Box, Discrete } from '../spaces.js';
import { COMMAND, Command, CONTROL_STRIDE, DONE, readText, ResetOptions, SEQUENCE, STATUS, Status, TEXT_BYTES, writeText, type SharedSlabs, type WorkerReady, type WorkerSetup } from './protocol.js';
import { describeFailure, EnvSlot } from './slots.js';
import { makeVectorMember } from './sync.js';

const port = await platform.threadPort();
const setup = port.data as WorkerSetup;

for (const url of setup.setupModules) {
  try {
    await import(url);
  } catch (e) {
    throw new Error(`AsyncVectorEnv(${setup.envId}) worker: env module ${url} failed to load: ${(e as Error).message}`, { cause: e });
  }
}
await prepare(setup.envId);
const envs: Env[] = [];
for (let i = setup.first; i < setup.end; i++) envs.push(makeVectorMember(setup.envId, setup.members));
const first = envs[0]!;
const action = first.actionSpace;
const ready: WorkerReady = {
  type: 'ready',
  obsSize: first.observationSpace.size,
  obsDtype: first.observationSpace.dtype,
  actionLow: action instanceof Box ? [...action.low] : undefined,
  actionHigh: action instanceof Box ? [...action.high] : undefined,
  discreteN: action instanceof Discrete ? action.n : undefined,
  discreteStart: action instanceof Discrete ? action.start : undefined,
};
port.onceMessage((slabs) => serve(slabs as SharedSlabs));
port.postMessage(ready);

function serve(shared: SharedSlabs): void {
  const control = new Int32Array(shared.control);
  const base = shared.workerIndex * CONTROL_STRIDE;
  const text = new Uint8Array(shared.text, shared.workerIndex * TEXT_BYTES, TEXT_BYTES);
  const resetArgs = new Float64Array(shared.resetArgs);
  const obsSize = ready.obsSize;
  const actionSize = ready.actionLow?.length ?? 1;
  const slabs = {
    obs: ready.obsDtype === 'float64' ? new Float64Array(shared.obs) : new Float32Array(shared.obs),
    actions: new Float64Array(shared.actions),
    rewards: new Float64Array(shared.rewards),
    terminations: new Uint8Array(shared.terminations),
    truncations: new Uint8Array(shared.truncations),
  };
  const slots = envs.map((env, k) => new EnvSlot(env, setup.first + k, slabs, obsSize, actionSize));

  // Tell a waiting main thread if this thread goes away (e.g. process.exit in env code).
  port.onExit(() => {
    Atomics.store(control, base + STATUS, Status.Exited);
    Atomics.notify(control, base + DONE);
  });

  let seen = 0;
  for (;;) {
    Atomics.wait(control, base + SEQUENCE, seen);
    seen = Atomics.load(control, base + SEQUENCE);
    const command = control[base + COMMAND] as Command;
    let status = Status.Ok;
    let current: EnvSlot | undefined;
    try {
      if (command === Command.Step) {
        for (current of slots) current.step();
      } else if (command === Command.Reset) {
        const seed = resetArgs[0] === 1 ? resetArgs[1] : undefined;
        const kind = resetArgs[2] as ResetOptions;
        const options = kind === ResetOptions.None ? undefined : (JSON.parse(readText(text)) as unknown);
        slots.forEach((slot, k) => {
          current = slot;
          const own = kind === ResetOptions.PerEnv ? (options as Record<string, unknown>[])[k] : (options as Record<string, unknown> | undefined);
          slot.reset(seed, own);
        });
      } else if (command === Command.Close) {
        for (const env of envs) env.close();
      }
    } catch (error) {
      const phase = command === Command.Step ? `step ${current?.steps ?? 0}` : 'reset';
      writeText(text, describeFailure(setup.envId, current?.index ?? setup.first, phase, error));
      status = error instanceof NonFiniteError ? Status.NonFinite : Status.Failed;
    }
    Atomics.store(control, base + STATUS, status);
    Atomics.store(control, base + DONE, seen);
    Atomics.notify(control, base + DONE);
    if (command === Command.Close) break;
  }
  port.close();
}

/** The README's library example, as written there (through the package entry point). */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Adam, Engine, HyperCritic, Xoshiro128Rng, defaultBackend, sum } from '../src/index.js';

it('runs the README example: one HyperCritic update changes the parameters', () => {
  const states = Array.from({ length: 256 * 17 }, (_, i) => Math.sin(i));
  const actions = Array.from({ length: 256 * 6 }, (_, i) => Math.cos(i));
  const engine = new Engine(defaultBackend());
  const critic = new HyperCritic(engine, new Xoshiro128Rng(0), { stateDim: 17, actionDim: 6, preset: 'compact' });
  const opt = new Adam(engine, critic.parameters(), { lr: 3e-4 });
  const before = critic.parameters()[0]!.toArray();
  engine.scope(() => {
    const s = engine.tensor(states, [256, 17]), a = engine.tensor(actions, [256, 6]);
    const [q1] = critic.forward(s, a);
    const loss = sum(q1!);
    engine.backward(loss, critic.parameters(), false);
    opt.step();
  });
  assert.notDeepEqual(critic.parameters()[0]!.toArray(), before);
});

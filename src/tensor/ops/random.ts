/** Random tensors drawn from the caller's seeded generator, written straight into the arena. */
import type { Engine } from '../engine.js';
import type { Shape, Tensor } from '../tensor.js';

export interface NormalSource {
  normal(): number;
}

/** std·N(0, 1) entries in a new scoped tensor. */
export function randomNormal(engine: Engine, shape: Shape, rng: NormalSource, std = 1): Tensor {
  const t = engine.empty(shape);
  const d = engine.backend.arena.data;
  for (let i = 0; i < t.size; i++) d[t.offset + i] = std * rng.normal();
  return t;
}

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

/**
 * One class index per row of logits [B, K], drawn from softmax(logits) by inverting the
 * cumulative distribution at one uniform per row; a new scoped [B, 1] tensor (no gradient).
 */
export function randomCategorical(logits: Tensor, rng: { uniform(): number }): Tensor {
  if (logits.rank !== 2) throw new RangeError(`randomCategorical: logits must be [batch, classes], got shape [${logits.shape.join(', ')}]`);
  const [rows, k] = logits.shape as [number, number];
  const e = logits.engine;
  const out = e.empty([rows, 1]);
  const d = e.backend.arena.data;
  for (let r = 0; r < rows; r++) {
    const at = logits.offset + r * k;
    let top = -Infinity;
    for (let c = 0; c < k; c++) top = Math.max(top, d[at + c]!);
    let total = 0;
    for (let c = 0; c < k; c++) total += Math.exp(d[at + c]! - top);
    if (!Number.isFinite(total)) throw new RangeError(`randomCategorical: row ${r} has non-finite logits`);
    let u = rng.uniform() * total, pick = k - 1;
    for (let c = 0; c < k; c++) {
      u -= Math.exp(d[at + c]! - top);
      if (u < 0) { pick = c; break; }
    }
    d[out.offset + r] = pick;
  }
  return out;
}

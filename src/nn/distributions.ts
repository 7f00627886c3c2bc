/**
 * Policy distributions as compositions of differentiable ops (no kernels of their own):
 * a diagonal Gaussian, the tanh-squashed Gaussian of SAC, and a categorical over logits.
 */
import { add, addScalar, exp, log, max, mul, neg, scale, softplus, square, stopGradient, sub, sum, tanh } from '../tensor/ops/elementwise.js';
import type { Tensor } from '../tensor/tensor.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log N(x; μ, σ²) summed over the last axis → [B, 1]; logStd broadcasts against mean. */
export function gaussianLogProb(mean: Tensor, logStd: Tensor, x: Tensor): Tensor {
  const z = mul(sub(x, mean), exp(neg(logStd)));
  const perDim = addScalar(neg(add(scale(square(z), 0.5), logStd)), -HALF_LOG_2PI);
  return sum(perDim, -1, true);
}

/** Entropy of a diagonal Gaussian, Σ (½ + ½·log 2π + log σ) over the last axis → [..., 1] (it depends on σ only). */
export function gaussianEntropy(logStd: Tensor): Tensor {
  const dims = logStd.shape[logStd.rank - 1]!;
  return addScalar(sum(logStd, -1, true), dims * (0.5 + HALF_LOG_2PI));
}

/** log softmax over the last axis; the row maximum is subtracted first (held constant: it cancels). */
export function logSoftmax(logits: Tensor): Tensor {
  const shifted = sub(logits, stopGradient(max(logits, -1, true)));
  return sub(shifted, log(sum(exp(shifted), -1, true)));
}

/** log p(a) of categorical distributions over logits [B, K] at one-hot actions [B, K] → [B, 1]. */
export function categoricalLogProb(logits: Tensor, oneHotActions: Tensor): Tensor {
  return sum(mul(logSoftmax(logits), oneHotActions), -1, true);
}

/** Entropy −Σ p·log p of categorical distributions over logits [B, K] → [B, 1]. */
export function categoricalEntropy(logits: Tensor): Tensor {
  const logP = logSoftmax(logits);
  return neg(sum(mul(exp(logP), logP), -1, true));
}

/**
 * KL(p ‖ q) of diagonal Gaussians summed over the last axis → [B, 1]:
 * Σ log σ_q − log σ_p + (σ_p² + (μ_p − μ_q)²) / (2σ_q²) − ½ (TRPO's trust region, MAML's outer step).
 */
export function diagGaussianKl(meanP: Tensor, logStdP: Tensor, meanQ: Tensor, logStdQ: Tensor): Tensor {
  const varRatio = exp(scale(sub(logStdP, logStdQ), 2));
  const meanTerm = square(mul(sub(meanP, meanQ), exp(neg(logStdQ))));
  const perDim = addScalar(add(sub(logStdQ, logStdP), scale(add(varRatio, meanTerm), 0.5)), -0.5);
  return sum(perDim, -1, true);
}

/**
 * Reparameterised sample of a = tanh(u), u = μ + σ·ε, and its log-density with the
 * change-of-variables term log(1 − tanh²u) = 2(log 2 − u − softplus(−2u)), the
 * numerically stable form (no log of values near zero).
 */
export function tanhGaussianSample(mean: Tensor, logStd: Tensor, eps: Tensor): { action: Tensor; logProb: Tensor } {
  const u = add(mean, mul(exp(logStd), eps));
  const action = tanh(u);
  const logDetJacobian = scale(sub(addScalar(neg(u), Math.LN2), softplus(scale(u, -2))), 2);
  const logProb = sub(gaussianLogProb(mean, logStd, u), sum(logDetJacobian, -1, true));
  return { action, logProb };
}

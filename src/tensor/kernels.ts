/**
 * The closed list of compute kernels every backend implements, and the numeric
 * codes that cross the native and WebAssembly ABIs. The codes are part of the
 * ABI: native/kernels.h and wasm/kernels.ts use the same numbers.
 */

/** Activation applied by fused kernels; backward is computed from the output y. */
export const Act = { identity: 0, relu: 1, tanh: 2, elu: 3, sigmoid: 4 } as const;
export type ActName = keyof typeof Act;
export type ActCode = (typeof Act)[ActName];

/** Elementwise unary ops: y = f(x). */
export const Unary = {
  neg: 0, exp: 1, log: 2, tanh: 3, relu: 4, elu: 5, sigmoid: 6, softplus: 7,
  square: 8, sqrt: 9, abs: 10,
} as const;
export type UnaryName = keyof typeof Unary;
export type UnaryCode = (typeof Unary)[UnaryName];

/** Elementwise binary ops with 2-D strided broadcasting: y = f(a, b). */
export const Binary = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, sqdiff: 6 } as const;
export type BinaryName = keyof typeof Binary;
export type BinaryCode = (typeof Binary)[BinaryName];

/** Reductions over the middle axis of an [outer, len, inner] view. */
export const Reduce = { sum: 0, mean: 1, max: 2 } as const;
export type ReduceName = keyof typeof Reduce;
export type ReduceCode = (typeof Reduce)[ReduceName];

/**
 * Gate order along the 3H axis of a GRU's weights (W_ih [3H, in], W_hh [3H, H]), biases and
 * gate pre-activations, as in PyTorch's nn.GRU: reset r, update z, candidate n. The fused
 * cell kernels (Backend.gruForward / gruBackward) read and write blocks in this order.
 */
export const GruGate = { r: 0, z: 1, n: 2 } as const;

/** Offset meaning "no buffer" for optional kernel operands (bias, skipped gradients). */
export const NONE = -1;


// hyperrl WebAssembly kernels: one flat export per Backend method (see
// src/tensor/backend.ts for the semantics), plus the memory layout queries.
// Built twice from this source: plain SIMD128, and relaxed-SIMD (FMA in GEMM).
import { HEAP, SCRATCH } from './common';

export { gemm } from './gemm';
export {
  biasAct, actBackward, colSum, adam, polyak, unary, binary, clamp, axpby, reduce, fill, sumSquares,
} from './elementwise';
export { dynamicForward, dynamicBackward } from './dynamic';
export { gruForward, gruBackward } from './gru';

/** First byte the JS arena may use (64-byte aligned); below it: static data and GEMM scratch. */
export function heapBase(): usize { return HEAP; }

/** Start of the kernels' private scratch region (bytes). */
export function scratchBase(): usize { return SCRATCH; }

/** 1 when built with relaxed SIMD (FMA micro-kernel), else 0. */
export function relaxedSimd(): i32 { return ASC_FEATURE_RELAXED_SIMD ? 1 : 0; }

/** Version of this ABI (bump when a signature or code changes). */
export function abiVersion(): i32 { return 2; }

/**
 * The WebAssembly backend: SIMD128 kernels compiled from AssemblyScript
 * (wasm/assembly/), in two builds: plain SIMD, and relaxed SIMD whose GEMM
 * micro-kernel uses fused multiply-add. Every kernel is one flat export taking
 * element offsets into the module's linear memory, which is also the arena.
 *
 * Node: `createWasmBackend()` reads build/wasm/*.wasm synchronously.
 * Browsers: fetch the bytes and call `instantiateWasmBackend(bytes)` (hyperrl/browser).
 */
import { platform } from '#platform';
import { Arena, type FloatArray } from '../../arena.js';
import type { Backend } from '../../backend.js';
import { NONE } from '../../kernels.js';

export interface WasmBackendOptions {
  /**
   * Use the relaxed-SIMD (FMA) build: true requires it, false never uses it,
   * 'auto' (default) uses it when this engine validates it.
   */
  relaxed?: boolean | 'auto';
  /** Initial arena capacity in float32 elements (default: the Arena's, 2^20). */
  initialElements?: number;
  /** Arena cap in bytes: an allocation beyond it throws OutOfMemoryError (without one, the 4 GB of wasm32 memory). */
  maxArenaBytes?: number;
}

export interface NodeWasmBackendOptions extends WasmBackendOptions {
  /** Directory (a file: URL) holding hyperrl.wasm and hyperrl-relaxed.wasm (default: <package root>/build/wasm). */
  wasmDir?: URL;
}

export interface BrowserWasmBackendOptions extends WasmBackendOptions {
  /** Bytes of hyperrl-relaxed.wasm; with relaxed !== false they are used when the engine validates them. */
  relaxedBytes?: BufferSource;
}

export const WASM_FILES = { simd: 'hyperrl.wasm', relaxed: 'hyperrl-relaxed.wasm' } as const;

/** Floats kept readable past the arena's end: kernels may load (and mask) a partial vector there. */
const SLACK_ELEMENTS = 16;
const PAGE_BYTES = 65536;
const ABI_VERSION = 2;

/** The module's exports (see wasm/assembly/index.ts); booleans cross as 0/1. */
interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  relaxedSimd(): number;
  abiVersion(): number;
  gemm(transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number): void;
  biasAct: Backend['biasAct'];
  actBackward: Backend['actBackward'];
  colSum: Backend['colSum'];
  dynamicForward: Backend['dynamicForward'];
  dynamicBackward: Backend['dynamicBackward'];
  gruForward: Backend['gruForward'];
  gruBackward: Backend['gruBackward'];
  adam(n: number, p: number, g: number, m: number, v: number, lr: number, beta1: number,
    beta2: number, eps: number, weightDecay: number, decoupled: number, step: number): void;
  polyak: Backend['polyak'];
  unary: Backend['unary'];
  binary: Backend['binary'];
  clamp: Backend['clamp'];
  axpby: Backend['axpby'];
  reduce: Backend['reduce'];
  fill: Backend['fill'];
  sumSquares: Backend['sumSquares'];
}

// ---------------------------------------------------------------- Node loading

/** <package root>/build/wasm: walk up from this file (dist/src/... compiled, src/... from source). */
function defaultWasmDir(): URL {
  let dir = new URL('.', import.meta.url);
  for (let i = 0; i < 8; i++) {
    const candidate = new URL('build/wasm/', dir);
    if (platform.fileExists(new URL(WASM_FILES.simd, candidate))) return candidate;
    const parent = new URL('..', dir);
    if (parent.href === dir.href) break;
    dir = parent;
  }
  throw new Error('hyperrl wasm backend: build/wasm/hyperrl.wasm not found above ' +
    `${import.meta.url}; run \`npm run build\` (node scripts/build-wasm.mjs)`);
}

/** Whether this engine accepts the relaxed-SIMD module (Node 20 needs a V8 flag, set on demand). */
export function relaxedSimdSupported(bytes: BufferSource): boolean {
  if (WebAssembly.validate(bytes)) return true;
  return platform.enableRelaxedSimd() && WebAssembly.validate(bytes);
}

/** Compiled modules by file URL: every backend gets its own instance (memory), compiled once. */
const moduleCache = new Map<string, WebAssembly.Module>();

/** Synchronous construction for Node: reads the .wasm files from disk. */
export function createWasmBackend(opts: NodeWasmBackendOptions = {}): Backend {
  if (platform.name !== 'node') {
    throw new Error('createWasmBackend reads build/wasm from disk (Node); in browsers use instantiateWasmBackend(bytes)');
  }
  const dir = opts.wasmDir ?? defaultWasmDir();
  const relaxed = opts.relaxed ?? 'auto';
  let file = new URL(WASM_FILES.simd, dir);
  if (relaxed !== false) {
    const rf = new URL(WASM_FILES.relaxed, dir);
    if (moduleCache.has(rf.href)) file = rf;
    else {
      const rb = platform.fileExists(rf) ? platform.readFileSync(rf) : undefined;
      if (rb !== undefined && relaxedSimdSupported(rb)) {
        moduleCache.set(rf.href, new WebAssembly.Module(rb));
        file = rf;
      } else if (relaxed === true) {
        throw new Error(`hyperrl wasm backend: relaxed SIMD requested but ${rb === undefined ? `${rf.pathname} is missing` : 'this engine rejects it'}`);
      }
    }
  }
  let module = moduleCache.get(file.href);
  if (module === undefined) {
    if (!platform.fileExists(file)) throw new Error(`hyperrl wasm backend: ${file.pathname} is missing; run \`npm run build\``);
    module = new WebAssembly.Module(platform.readFileSync(file));
    moduleCache.set(file.href, module);
  }
  return backendFromInstance(new WebAssembly.Instance(module, {}), opts);
}

/** Asynchronous construction from bytes (browsers, or anywhere without fs). */
export async function instantiateWasmBackend(bytes: BufferSource, opts: BrowserWasmBackendOptions = {}): Promise<Backend> {
  let chosen = bytes;
  const relaxed = opts.relaxed ?? 'auto';
  if (relaxed !== false && opts.relaxedBytes !== undefined) {
    if (relaxedSimdSupported(opts.relaxedBytes)) chosen = opts.relaxedBytes;
    else if (relaxed === true) throw new Error('hyperrl wasm backend: relaxed SIMD requested but this engine rejects it');
  }
  const { instance } = await WebAssembly.instantiate(chosen, {});
  if (relaxed === true && (instance.exports as unknown as KernelExports).relaxedSimd() !== 1) {
    throw new Error('hyperrl wasm backend: relaxed SIMD requested but no relaxed module was given');
  }
  return backendFromInstance(instance, opts);
}

// ---------------------------------------------------------------- the backend

function backendFromInstance(instance: WebAssembly.Instance, opts: WasmBackendOptions): Backend {
  const ex = instance.exports as unknown as KernelExports;
  if (typeof ex.abiVersion !== 'function' || ex.abiVersion() !== ABI_VERSION) {
    throw new Error(`hyperrl wasm backend: module ABI ${typeof ex.abiVersion === 'function' ? ex.abiVersion() : '?'}, expected ${ABI_VERSION}; rebuild with npm run build`);
  }
  const memory = ex.memory;
  const heapBase = ex.heapBase();
  if (heapBase % 64 !== 0) throw new Error(`hyperrl wasm backend: heap base ${heapBase} is not 64-byte aligned`);

  const arena = new Arena({
    base: heapBase / 4,
    bytesPerElement: 4,
    resize(elements: number): FloatArray {
      const need = (elements + SLACK_ELEMENTS) * 4;
      const have = memory.buffer.byteLength;
      if (need > have) memory.grow(Math.ceil((need - have) / PAGE_BYTES));
      // A fresh view: growing the memory detaches the old ones.
      return new Float32Array(memory.buffer, 0, memory.buffer.byteLength / 4 - SLACK_ELEMENTS);
    },
  }, opts.initialElements, opts.maxArenaBytes);

  const relaxed = ex.relaxedSimd() === 1;
  const gemm = ex.gemm;
  const adam = ex.adam;
  return {
    name: 'wasm',
    dtype: 'float32',
    detail: relaxed ? 'relaxed-simd (fma)' : 'simd128',
    arena,
    gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    },
    gemmBiasAct(transA, transB, m, n, k, a, lda, b, ldb, beta, bias, act, c, ldc) {
      gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, 1, a, lda, b, ldb, beta, c, ldc);
      if (ldc === n) ex.biasAct(m, n, c, bias, act, c);
      else for (let i = 0; i < m; i++) ex.biasAct(1, n, c + i * ldc, bias, act, c + i * ldc);
    },
    // Single-threaded: the members one after another.
    gemmBatched(count, transA, transB, m, n, k, a, strideA, lda, b, strideB, ldb, beta, bias, strideBias, act, c, strideC, ldc) {
      for (let e = 0; e < count; e++) {
        this.gemmBiasAct(transA, transB, m, n, k, a + e * strideA, lda, b + e * strideB, ldb, beta,
          bias === NONE ? NONE : bias + e * strideBias, act, c + e * strideC, ldc);
      }
    },
    biasAct: ex.biasAct,
    actBackward: ex.actBackward,
    colSum: ex.colSum,
    dynamicForward: ex.dynamicForward,
    dynamicBackward: ex.dynamicBackward,
    gruForward: ex.gruForward,
    gruBackward: ex.gruBackward,
    adam(n, p, g, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step) {
      adam(n, p, g, m, v, lr, beta1, beta2, eps, weightDecay, decoupled ? 1 : 0, step);
    },
    polyak: ex.polyak,
    unary: ex.unary,
    binary: ex.binary,
    clamp: ex.clamp,
    axpby: ex.axpby,
    reduce: ex.reduce,
    fill: ex.fill,
    sumSquares: ex.sumSquares,
  } satisfies Backend as Backend;
}

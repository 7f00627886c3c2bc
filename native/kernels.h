// hyperrl native kernels: the table every ISA variant fills in.
// Op codes are part of the ABI and must match src/tensor/kernels.ts.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace hyperrl {

enum Act { ACT_IDENTITY = 0, ACT_RELU = 1, ACT_TANH = 2, ACT_ELU = 3, ACT_SIGMOID = 4 };
enum Unary {
  UN_NEG = 0, UN_EXP = 1, UN_LOG = 2, UN_TANH = 3, UN_RELU = 4, UN_ELU = 5, UN_SIGMOID = 6,
  UN_SOFTPLUS = 7, UN_SQUARE = 8, UN_SQRT = 9, UN_ABS = 10
};
enum Binary { BIN_ADD = 0, BIN_SUB = 1, BIN_MUL = 2, BIN_DIV = 3, BIN_MAX = 4, BIN_MIN = 5, BIN_SQDIFF = 6 };
enum Reduce { RED_SUM = 0, RED_MEAN = 1, RED_MAX = 2 };
// Gate blocks along a GRU's 3H axis (PyTorch's nn.GRU order).
enum GruGate { GRU_R = 0, GRU_Z = 1, GRU_N = 2 };

typedef int64_t idx_t;

// Pointers are already resolved from arena offsets; an absent optional operand is nullptr.
struct Kernels {
  const char* name;
  void (*gemm)(int transA, int transB, idx_t m, idx_t n, idx_t k, float alpha,
               const float* a, idx_t lda, const float* b, idx_t ldb, float beta, float* c, idx_t ldc);
  void (*gemmBiasAct)(int transA, int transB, idx_t m, idx_t n, idx_t k, const float* a, idx_t lda,
                      const float* b, idx_t ldb, float beta, const float* bias, int act, float* c, idx_t ldc);
  // count independent gemmBiasAct calls, operand e at a + e·strideA, b + e·strideB, bias + e·strideBias,
  // c + e·strideC (a stride of 0 shares the operand); with threads, whole members go to threads.
  void (*gemmBatched)(idx_t count, int transA, int transB, idx_t m, idx_t n, idx_t k, const float* a, idx_t strideA,
                      idx_t lda, const float* b, idx_t strideB, idx_t ldb, float beta, const float* bias,
                      idx_t strideBias, int act, float* c, idx_t strideC, idx_t ldc);
  void (*biasAct)(idx_t rows, idx_t cols, const float* x, const float* bias, int act, float* y);
  void (*actBackward)(int act, idx_t n, const float* y, const float* dy, float* dx);
  void (*colSum)(idx_t rows, idx_t cols, const float* x, float* out, float beta);
  void (*dynamicForward)(idx_t batch, idx_t out, idx_t inp, const float* x, idx_t ldx, const float* w, idx_t ldw,
                         const float* g, idx_t ldg, const float* c, idx_t ldc, int act, float* y, idx_t ldy);
  void (*dynamicBackward)(idx_t batch, idx_t out, idx_t inp, const float* x, idx_t ldx, const float* w, idx_t ldw,
                          const float* g, idx_t ldg, const float* dy, idx_t lddy, float* dx, idx_t lddx,
                          float* dw, idx_t lddw, float* dg, idx_t lddg, float* dc, idx_t lddc);
  void (*gruForward)(idx_t batch, idx_t hidden, const float* gi, const float* gh, const float* h, float* y,
                     float* gates);
  void (*gruBackward)(idx_t batch, idx_t hidden, const float* gates, const float* gh, const float* h,
                      const float* dy, const float* dhIn, float* dgi, float* dgh, float* dh);
  void (*adam)(idx_t n, float* p, const float* g, float* m, float* v, double lr, double beta1, double beta2,
               double eps, double weightDecay, int decoupled, double step);
  void (*polyak)(idx_t n, float* target, const float* source, float tau);
  void (*unary)(int op, idx_t n, const float* x, float* y);
  void (*binary)(int op, idx_t rows, idx_t cols, const float* a, idx_t aRs, idx_t aCs,
                 const float* b, idx_t bRs, idx_t bCs, float* y);
  void (*clamp)(idx_t n, const float* x, float lo, float hi, float* y);
  void (*axpby)(idx_t n, float alpha, const float* x, float beta, float* y);
  void (*reduce)(int op, idx_t outer, idx_t len, idx_t inner, const float* x, float* y);
  void (*fill)(idx_t n, float* y, float value);
  double (*sumSquares)(idx_t n, const float* x);
  // Single-core fp32 FMA throughput of this variant, GFLOP/s, measured for about `ms` milliseconds.
  double (*fmaPeak)(double ms);
  // FMA flops done in each of nwin windows of `window` seconds from t0 (see fma_windows).
  void (*fmaWindows)(double t0, double window, int nwin, double* flops);
};

// Each returns nullptr when the variant was not compiled for this target architecture.
const Kernels* kernels_avx512();
const Kernels* kernels_avx2();
const Kernels* kernels_generic();

// Monotonic clock in seconds (defined in binding.cc, compiled without ISA flags).
double now_seconds();

// ---------------------------------------------------------------- worker pool (native/pool.cc)
// Kernels split their outputs into tasks; parallel_run runs fn(ctx, t) for every
// t < ntasks on the calling thread and the pool's workers, and returns when all are
// done. Which thread runs which task is not fixed (a task a sleeping worker has not
// claimed is run by the caller), so a kernel is deterministic as long as each task
// computes its outputs exactly as the whole kernel on one thread would: see
// native/README.md ("Threads").
// At most kMaxTasks tasks (a job with more runs on the calling thread alone).
enum { kMaxTasks = 32 };
void parallel_run(int ntasks, void (*fn)(void* ctx, int task), void* ctx);
// Threads the calling thread may use (its Node environment's setting, ≥ 1).
int parallel_budget();

// Minimum work per thread before a kernel is split, in the kernel's own unit. Two
// threads pay off from twice this much work. Defaults: kParallelThresholds in
// pool.cc, measured by bench/core/thread-thresholds.ts; overridable at run time
// (setParallelThresholds) for that measurement and for tests.
struct ParallelThresholds {
  double gemmFlops;        // packed SGEMM: 2·m·n·k
  double gemvMacs;         // GEMV, few-column dot products, rank-1 update: m·n·k
  double streamElements;   // memory-bound elementwise ops, column sums, reductions: elements read
  double mathElements;     // transcendental elementwise ops (exp, tanh, log, sigmoid, softplus, elu): elements
  double adamElements;     // Adam: parameters
  double dynamicMacs;      // dynamic (per-sample weight) layers: batch·out·inp
};
const ParallelThresholds& parallel_thresholds();

// ---------------------------------------------------------------- scratch memory (native/pool.cc)
// A kernel whose scratch buffer cannot be allocated (on any thread) records the bytes it
// asked for here and skips its work; the binding turns that into a JS error after the call
// (native/README.md, "Out of memory"): no abort, no null pointer, no exception across a thread.
void note_scratch_failure(size_t bytes);
// The bytes of the largest scratch request that failed since the last call (0: none); clears it.
size_t take_scratch_failure();
// The most bytes one scratch buffer may take (default: no limit beyond malloc's).
size_t scratch_limit();
void set_scratch_limit(size_t bytes);

}  // namespace hyperrl

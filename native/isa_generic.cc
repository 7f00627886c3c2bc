// Portable variant: GCC/Clang vector extensions at the target's baseline ISA
// (SSE2 on x86-64, NEON on arm64). Always compiled, always available.
#include "isa_common.h"

namespace hyperrl {
namespace {

#define HR_ISA_NAME "generic"
#define HR_HAVE_AVX 0

enum { VL = 4 };
typedef float vf __attribute__((vector_size(16)));
typedef int32_t vi __attribute__((vector_size(16)));
typedef vi vm;

static inline vf vzero() { vf z = {0, 0, 0, 0}; return z; }
static inline vf vset1(float x) { vf r = {x, x, x, x}; return r; }
static inline vf vload(const float* p) { vf r; memcpy(&r, p, sizeof r); return r; }
static inline void vstore(float* p, vf v) { memcpy(p, &v, sizeof v); }
static inline vf vloadn(const float* p, idx_t n) { vf r = vzero(); for (idx_t i = 0; i < n; ++i) r[i] = p[i]; return r; }
static inline void vstoren(float* p, vf v, idx_t n) { for (idx_t i = 0; i < n; ++i) p[i] = v[i]; }
static inline vf vadd(vf a, vf b) { return a + b; }
static inline vf vsub(vf a, vf b) { return a - b; }
static inline vf vmul(vf a, vf b) { return a * b; }
static inline vf vdiv(vf a, vf b) { return a / b; }
static inline vf vfma(vf a, vf b, vf c) { return a * b + c; }
static inline vf vsqrt(vf a) { vf r; for (int i = 0; i < VL; ++i) r[i] = sqrtf(a[i]); return r; }
static inline vf vabs(vf a) { vf r; for (int i = 0; i < VL; ++i) r[i] = fabsf(a[i]); return r; }
static inline vf vneg(vf a) { return -a; }
static inline vm vgt(vf a, vf b) { return a > b; }
static inline vm vge(vf a, vf b) { return a >= b; }
static inline vm vlt(vf a, vf b) { return a < b; }
static inline vm vle(vf a, vf b) { return a <= b; }
static inline vm visnan(vf a) { return a != a; }
static inline vm vmor(vm a, vm b) { return a | b; }
static inline vf vsel(vm m, vf a, vf b) { return m ? a : b; }
static inline vf vrelu(vf a) { return vsel(vgt(a, vzero()), a, vzero()); }
// Shift the bit pattern left by 23 (integer view): builds exponent fields.
static inline vf vshl23(vf a) { vi b; memcpy(&b, &a, sizeof b); b = b << 23; memcpy(&a, &b, sizeof a); return a; }
// Biased exponent field (as a float) and the mantissa scaled to [1, 2), for x ≥ 0.
static inline vf vexpfield(vf a) {
  vi b;
  memcpy(&b, &a, sizeof b);
  return __builtin_convertvector((b >> 23) & 0xff, vf);
}
static inline vf vmant12(vf a) {
  vi b;
  memcpy(&b, &a, sizeof b);
  b = (b & 0x7fffff) | 0x3f800000;
  memcpy(&a, &b, sizeof a);
  return a;
}
static inline float vhsum(vf a) { return (a[0] + a[2]) + (a[1] + a[3]); }

static double vsumsq(const float* x, idx_t n) {
  double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  idx_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 += (double)x[i] * x[i]; a1 += (double)x[i + 1] * x[i + 1];
    a2 += (double)x[i + 2] * x[i + 2]; a3 += (double)x[i + 3] * x[i + 3];
  }
  for (; i < n; ++i) a0 += (double)x[i] * x[i];
  return (a0 + a1) + (a2 + a3);
}

// Vector registers the micro-kernel may plan for (16 on x86-64 SSE; more elsewhere).
enum { VREGS = 16 };
enum { GEMM_MR = 4, GEMM_NV = 2, GEMM_KC = 256, GEMM_MC = 128, GEMM_NC = 1024 };

// fma_block(iters): iters × 8 independent 4-lane multiply-adds; returns flops.
static double fma_block(long iters) {
  vf m = vset1(0.999999f), a = vset1(1e-7f);
  vf c0 = vset1(1.0f), c1 = vset1(1.01f), c2 = vset1(1.02f), c3 = vset1(1.03f), c4 = vset1(1.04f), c5 = vset1(1.05f),
     c6 = vset1(1.06f), c7 = vset1(1.07f);
  for (long r = 0; r < iters; ++r) {
#if HR_X86
    __asm__ volatile("" : "+x"(m), "+x"(a));
#elif defined(__aarch64__)
    __asm__ volatile("" : "+w"(m), "+w"(a));
#endif
    c0 = c0 * m + a; c1 = c1 * m + a; c2 = c2 * m + a; c3 = c3 * m + a;
    c4 = c4 * m + a; c5 = c5 * m + a; c6 = c6 * m + a; c7 = c7 * m + a;
  }
  volatile float sink = vhsum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)));
  (void)sink;
  return (double)iters * 8.0 * VL * 2.0;
}

#include "kernels_impl.inc"

}  // namespace

const Kernels* kernels_generic() { return &kTable; }
}  // namespace hyperrl

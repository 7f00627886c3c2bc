// AVX2 + FMA variant: 8-lane float vectors, blend masks for edges.
#include "isa_common.h"

#if HR_X86
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,bmi,bmi2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,bmi,bmi2")
#endif
#include <immintrin.h>

namespace hyperrl {
namespace {

#define HR_ISA_NAME "avx2"
#define HR_HAVE_AVX 1

typedef __m256 vf;
typedef __m256 vm;
enum { VL = 8 };

static inline __m256i tailmask(idx_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline vf vzero() { return _mm256_setzero_ps(); }
static inline vf vset1(float x) { return _mm256_set1_ps(x); }
static inline vf vload(const float* p) { return _mm256_loadu_ps(p); }
static inline void vstore(float* p, vf v) { _mm256_storeu_ps(p, v); }
static inline vf vloadn(const float* p, idx_t n) { return _mm256_maskload_ps(p, tailmask(n)); }
static inline void vstoren(float* p, vf v, idx_t n) { _mm256_maskstore_ps(p, tailmask(n), v); }
static inline vf vadd(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vsub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf vmul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vdiv(vf a, vf b) { return _mm256_div_ps(a, b); }
static inline vf vfma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline vf vsqrt(vf a) { return _mm256_sqrt_ps(a); }
static inline vf vabs(vf a) { return _mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff))); }
static inline vf vneg(vf a) { return _mm256_xor_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u))); }
static inline vf vrelu(vf a) { return _mm256_max_ps(a, _mm256_setzero_ps()); }
static inline vm vgt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
static inline vm vge(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
static inline vm vlt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
static inline vm vle(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
static inline vm visnan(vf a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
static inline vm vmor(vm a, vm b) { return _mm256_or_ps(a, b); }
static inline vf vsel(vm m, vf a, vf b) { return _mm256_blendv_ps(b, a, m); }
// Shift the bit pattern left by 23 (integer view): builds exponent fields.
static inline vf vshl23(vf a) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(a), 23)); }
// Biased exponent field (as a float) and the mantissa scaled to [1, 2), for x ≥ 0.
static inline vf vexpfield(vf a) {
  return _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(_mm256_castps_si256(a), 23), _mm256_set1_epi32(0xff)));
}
static inline vf vmant12(vf a) {
  return _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(_mm256_castps_si256(a), _mm256_set1_epi32(0x7fffff)),
                                             _mm256_set1_epi32(0x3f800000)));
}
// Bit-pattern tests and conversions (integer view: no floating-point op, so subnormal
// lanes cost no microcode assist). Used by Adam's exact path for decaying moments.
static inline vm vmsubnormal(vf a) {
  const __m256i b = _mm256_castps_si256(a), z = _mm256_setzero_si256();
  const __m256i expZero = _mm256_cmpeq_epi32(_mm256_and_si256(b, _mm256_set1_epi32(0x7f800000)), z);
  const __m256i mantZero = _mm256_cmpeq_epi32(_mm256_and_si256(b, _mm256_set1_epi32(0x7fffff)), z);
  return _mm256_castsi256_ps(_mm256_andnot_si256(mantZero, expZero));
}
static inline vm vmiszero(vf a) {
  return _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(_mm256_castps_si256(a), _mm256_set1_epi32(0x7fffffff)), _mm256_setzero_si256()));
}
static inline vm vmand(vm a, vm b) { return _mm256_and_ps(a, b); }
static inline vm vmandnot(vm a, vm b) { return _mm256_andnot_ps(b, a); }
static inline bool vmany(vm a) { return _mm256_movemask_ps(a) != 0; }
// The mantissa field as a float (exact: < 2^23); for a subnormal x, x·2^149.
static inline vf vmantint(vf a) { return _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_castps_si256(a), _mm256_set1_epi32(0x7fffff))); }
// The float whose bit pattern is the integer j (a float holding an integer < 2^24) with the sign of s: j·2^-149 for j < 2^23.
static inline vf vfrombits(vf j, vf s) {
  return _mm256_castsi256_ps(_mm256_or_si256(_mm256_cvtps_epi32(j), _mm256_and_si256(_mm256_castps_si256(s), _mm256_set1_epi32((int)0x80000000u))));
}
static inline float vhsum(vf a) {
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_movehdup_ps(q));
  return _mm_cvtss_f32(q);
}

static double vsumsq(const float* x, idx_t n) {
  __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd(), a2 = _mm256_setzero_pd(), a3 = _mm256_setzero_pd();
  idx_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256d x0 = _mm256_cvtps_pd(_mm_loadu_ps(x + i)), x1 = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4));
    __m256d x2 = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 8)), x3 = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 12));
    a0 = _mm256_fmadd_pd(x0, x0, a0); a1 = _mm256_fmadd_pd(x1, x1, a1);
    a2 = _mm256_fmadd_pd(x2, x2, a2); a3 = _mm256_fmadd_pd(x3, x3, a3);
  }
  __m256d s = _mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3));
  __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  double r = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  for (; i < n; ++i) r += (double)x[i] * (double)x[i];
  return r;
}

// Vector registers the micro-kernel may plan for (16 ymm).
enum { VREGS = 16 };
enum { GEMM_MR = 6, GEMM_NV = 2, GEMM_KC = 256, GEMM_MC = 240, GEMM_NC = 1024 };

// fma_block(iters): iters × 12 independent 8-lane FMAs; returns flops.
static double fma_block(long iters) {
  __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
  // Distinct start values so the compiler cannot merge the chains.
  __m256 c0 = _mm256_set1_ps(1.00f), c1 = _mm256_set1_ps(1.01f), c2 = _mm256_set1_ps(1.02f), c3 = _mm256_set1_ps(1.03f), c4 = _mm256_set1_ps(1.04f), c5 = _mm256_set1_ps(1.05f), c6 = _mm256_set1_ps(1.06f), c7 = _mm256_set1_ps(1.07f), c8 = _mm256_set1_ps(1.08f), c9 = _mm256_set1_ps(1.09f), c10 = _mm256_set1_ps(1.10f), c11 = _mm256_set1_ps(1.11f);
  for (long r = 0; r < iters; ++r) {
    __asm__ volatile("" : "+x"(m), "+x"(a));
#define F(x) x = _mm256_fmadd_ps(x, m, a)
    F(c0); F(c1); F(c2); F(c3); F(c4); F(c5); F(c6); F(c7); F(c8); F(c9); F(c10); F(c11);
#undef F
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)), _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
  volatile float sink = vhsum(s);
  (void)sink;
  return (double)iters * 12.0 * 8.0 * 2.0;
}

#include "kernels_impl.inc"

}  // namespace
}  // namespace hyperrl

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace hyperrl {
const Kernels* kernels_avx2() { return &kTable; }
}
#else
namespace hyperrl {
const Kernels* kernels_avx2() { return nullptr; }
}
#endif

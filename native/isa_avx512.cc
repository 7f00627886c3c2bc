// AVX-512 variant: 16-lane float vectors, mask registers for edges.
#include "isa_common.h"

#if HR_X86
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,f16c,bmi,bmi2"))), apply_to = function)
#else
#pragma GCC push_options
#if __GNUC__ >= 9
#pragma GCC target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,f16c,bmi,bmi2,prefer-vector-width=512")
#else
#pragma GCC target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,f16c,bmi,bmi2")
#endif
#endif
#include <immintrin.h>

#if !defined(__clang__)
// GCC 12 flags its own _mm512_undefined_* helpers.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace hyperrl {
namespace {

#define HR_ISA_NAME "avx512"
#define HR_HAVE_AVX 1
#define HR_AVX512_PERMUTES 1

typedef __m512 vf;
typedef __mmask16 vm;
enum { VL = 16 };

static inline __mmask16 tailmask(idx_t n) { return (__mmask16)((1u << n) - 1u); }
static inline vf vzero() { return _mm512_setzero_ps(); }
static inline vf vset1(float x) { return _mm512_set1_ps(x); }
static inline vf vload(const float* p) { return _mm512_loadu_ps(p); }
static inline void vstore(float* p, vf v) { _mm512_storeu_ps(p, v); }
static inline vf vloadn(const float* p, idx_t n) { return _mm512_maskz_loadu_ps(tailmask(n), p); }
static inline void vstoren(float* p, vf v, idx_t n) { _mm512_mask_storeu_ps(p, tailmask(n), v); }
static inline vf vadd(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vsub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vmul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vdiv(vf a, vf b) { return _mm512_div_ps(a, b); }
static inline vf vfma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline vf vsqrt(vf a) { return _mm512_sqrt_ps(a); }
static inline vf vabs(vf a) { return _mm512_abs_ps(a); }
static inline vf vneg(vf a) { return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_set1_epi32((int)0x80000000u))); }
// relu: max(x, 0) returns the second operand (0) when x is NaN, as the reference's x > 0 ? x : 0 does.
static inline vf vrelu(vf a) { return _mm512_max_ps(a, _mm512_setzero_ps()); }
static inline vm vgt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
static inline vm vge(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
static inline vm vlt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
static inline vm vle(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
static inline vm visnan(vf a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
static inline vm vmor(vm a, vm b) { return (vm)(a | b); }
static inline vf vsel(vm m, vf a, vf b) { return _mm512_mask_blend_ps(m, b, a); }
// Shift the bit pattern left by 23 (integer view): builds exponent fields.
static inline vf vshl23(vf a) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(a), 23)); }
// Biased exponent field (as a float) and the mantissa scaled to [1, 2), for x ≥ 0.
static inline vf vexpfield(vf a) {
  return _mm512_cvtepi32_ps(_mm512_and_si512(_mm512_srli_epi32(_mm512_castps_si512(a), 23), _mm512_set1_epi32(0xff)));
}
static inline vf vmant12(vf a) {
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fffff)),
                                             _mm512_set1_epi32(0x3f800000)));
}
// Bit-pattern tests and conversions (integer view: no floating-point op, so subnormal
// lanes cost no microcode assist). Used by Adam's exact path for decaying moments.
static inline vm vmsubnormal(vf a) {
  const __m512i b = _mm512_castps_si512(a);
  return _mm512_test_epi32_mask(b, _mm512_set1_epi32(0x7fffff)) & _mm512_testn_epi32_mask(b, _mm512_set1_epi32(0x7f800000));
}
static inline vm vmiszero(vf a) { return _mm512_testn_epi32_mask(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fffffff)); }
static inline vm vmand(vm a, vm b) { return (vm)(a & b); }
static inline vm vmandnot(vm a, vm b) { return (vm)(a & ~b); }
static inline bool vmany(vm a) { return a != 0; }
// The mantissa field as a float (exact: < 2^23); for a subnormal x, x·2^149.
static inline vf vmantint(vf a) { return _mm512_cvtepi32_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fffff))); }
// The float whose bit pattern is the integer j (a float holding an integer < 2^24) with the sign of s: j·2^-149 for j < 2^23.
static inline vf vfrombits(vf j, vf s) {
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_cvtps_epi32(j), _mm512_and_si512(_mm512_castps_si512(s), _mm512_set1_epi32((int)0x80000000u))));
}
static inline float vhsum(vf a) {
  __m256 h = _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1));
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_movehdup_ps(q));
  return _mm_cvtss_f32(q);
}

static double vsumsq(const float* x, idx_t n) {
  __m512d a0 = _mm512_setzero_pd(), a1 = _mm512_setzero_pd(), a2 = _mm512_setzero_pd(), a3 = _mm512_setzero_pd();
  idx_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m512d x0 = _mm512_cvtps_pd(_mm256_loadu_ps(x + i)), x1 = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 8));
    __m512d x2 = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 16)), x3 = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 24));
    a0 = _mm512_fmadd_pd(x0, x0, a0); a1 = _mm512_fmadd_pd(x1, x1, a1);
    a2 = _mm512_fmadd_pd(x2, x2, a2); a3 = _mm512_fmadd_pd(x3, x3, a3);
  }
  for (; i + 8 <= n; i += 8) {
    __m512d x0 = _mm512_cvtps_pd(_mm256_loadu_ps(x + i));
    a0 = _mm512_fmadd_pd(x0, x0, a0);
  }
  if (i < n) {
    __m512d x0 = _mm512_cvtps_pd(_mm256_maskz_loadu_ps((__mmask8)((1u << (n - i)) - 1u), x + i));
    a0 = _mm512_fmadd_pd(x0, x0, a0);
  }
  return _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(a0, a1), _mm512_add_pd(a2, a3)));
}

// Register tile of the SGEMM micro-kernel: MR rows × NV vectors (NR = NV·VL columns).
// Vector registers the micro-kernel may plan for (32 zmm).
enum { VREGS = 32 };
enum { GEMM_MR = HR_AVX512_MR, GEMM_NV = HR_AVX512_NV, GEMM_KC = HR_AVX512_KC, GEMM_MC = HR_AVX512_MC, GEMM_NC = HR_AVX512_NC };

// fma_block(iters): iters × 24 independent 16-lane FMAs (FMA latency 4 × 2 pipes needs ≥ 8 chains); returns flops.
static double fma_block(long iters) {
  __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
  // Distinct start values so the compiler cannot merge the chains.
  __m512 c0 = _mm512_set1_ps(1.00f), c1 = _mm512_set1_ps(1.01f), c2 = _mm512_set1_ps(1.02f), c3 = _mm512_set1_ps(1.03f), c4 = _mm512_set1_ps(1.04f), c5 = _mm512_set1_ps(1.05f), c6 = _mm512_set1_ps(1.06f), c7 = _mm512_set1_ps(1.07f), c8 = _mm512_set1_ps(1.08f), c9 = _mm512_set1_ps(1.09f), c10 = _mm512_set1_ps(1.10f), c11 = _mm512_set1_ps(1.11f);
  __m512 d0 = _mm512_set1_ps(1.12f), d1 = _mm512_set1_ps(1.13f), d2 = _mm512_set1_ps(1.14f), d3 = _mm512_set1_ps(1.15f), d4 = _mm512_set1_ps(1.16f), d5 = _mm512_set1_ps(1.17f), d6 = _mm512_set1_ps(1.18f), d7 = _mm512_set1_ps(1.19f), d8 = _mm512_set1_ps(1.20f), d9 = _mm512_set1_ps(1.21f), d10 = _mm512_set1_ps(1.22f), d11 = _mm512_set1_ps(1.23f);
  for (long r = 0; r < iters; ++r) {
    __asm__ volatile("" : "+v"(m), "+v"(a));
#define F(x) x = _mm512_fmadd_ps(x, m, a)
    F(c0); F(c1); F(c2); F(c3); F(c4); F(c5); F(c6); F(c7); F(c8); F(c9); F(c10); F(c11);
    F(d0); F(d1); F(d2); F(d3); F(d4); F(d5); F(d6); F(d7); F(d8); F(d9); F(d10); F(d11);
#undef F
  }
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)), _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
  s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)), _mm512_add_ps(_mm512_add_ps(d0, d1), _mm512_add_ps(d2, d3))));
  s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(d4, d5), _mm512_add_ps(d6, d7)), _mm512_add_ps(_mm512_add_ps(d8, d9), _mm512_add_ps(d10, d11))));
  volatile float sink = vhsum(s);
  (void)sink;
  return (double)iters * 24.0 * 16.0 * 2.0;
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
const Kernels* kernels_avx512() { return &kTable; }
}
#else
namespace hyperrl {
const Kernels* kernels_avx512() { return nullptr; }
}
#endif

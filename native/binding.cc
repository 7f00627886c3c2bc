// N-API entry points of hyperrl_native. Every kernel takes plain numbers: element
// offsets into the arena (one ArrayBuffer owned by JS, registered with setArena),
// sizes, leading dimensions, scalars and op codes, in the order of the Backend
// methods in src/tensor/backend.ts. NONE (-1) marks an absent optional operand.
//
// This file is compiled for the baseline ISA; the kernels live in isa_*.cc and
// the best variant this CPU supports is picked at load time.
#include <node_api.h>

#include <chrono>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "kernels.h"
#include "pool.h"

namespace hyperrl {

double now_seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

namespace {

struct Variant {
  const char* name;
  const Kernels* (*get)();
  bool (*supported)();
};

bool has_avx512() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}
bool has_avx2() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}
bool has_generic() { return true; }

// Best first.
const Variant kVariants[] = {
  {"avx512", kernels_avx512, has_avx512},
  {"avx2", kernels_avx2, has_avx2},
  {"generic", kernels_generic, has_generic},
};

const Kernels* variant_if_usable(const Variant& v) { return v.supported() ? v.get() : nullptr; }

const Kernels* best_variant() {
  for (const Variant& v : kVariants)
    if (const Kernels* k = variant_if_usable(v)) return k;
  return kernels_generic();
}

// Per-environment state (main thread and each worker have their own).
struct State {
  const Kernels* k = nullptr;
  float* base = nullptr;
  size_t length = 0;  // elements
  napi_ref buffer = nullptr;
  napi_ref oomHandler = nullptr;  // (kernel, bytes) => the Error to throw when scratch memory ran out
};

void finalize_state(napi_env env, void* data, void*) {
  State* s = static_cast<State*>(data);
  if (s->buffer) napi_delete_reference(env, s->buffer);
  if (s->oomHandler) napi_delete_reference(env, s->oomHandler);
  delete s;
}

enum { MAX_ARGS = 20 };

struct Args {
  napi_env env;
  State* s;
  size_t argc;
  napi_value argv[MAX_ARGS];
  bool failed = false;

  Args(napi_env e, napi_callback_info info) : env(e), s(nullptr), argc(MAX_ARGS) {
    void* data = nullptr;
    napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
    s = static_cast<State*>(data);
  }

  bool need(size_t n) {
    if (argc < n) {
      char msg[96];
      snprintf(msg, sizeof msg, "expected %zu arguments, got %zu", n, argc);
      fail(msg);
      return false;
    }
    return true;
  }

  void fail(const char* msg) {
    if (!failed) napi_throw_range_error(env, nullptr, msg);
    failed = true;
  }

  double num(size_t i) {
    double v = 0;
    if (napi_get_value_double(env, argv[i], &v) != napi_ok) fail("expected a number argument");
    return v;
  }
  int64_t i64(size_t i) {
    double v = num(i);
    return (int64_t)v;
  }
  float f32(size_t i) { return (float)num(i); }
  int flag(size_t i) {
    bool b;
    if (napi_get_value_bool(env, argv[i], &b) == napi_ok) return b ? 1 : 0;
    return num(i) != 0.0 ? 1 : 0;
  }

  // Resolve an operand covering `rows` rows of `cols` elements, `ld` apart.
  float* region(size_t i, int64_t rows, int64_t cols, int64_t ld, bool optional, const char* name) {
    double d = num(i);
    if (failed) return nullptr;
    if (optional && d == -1.0) return nullptr;
    if (s->base == nullptr) { fail("setArena has not been called"); return nullptr; }
    int64_t off = (int64_t)d;
    if (!(d >= 0.0) || (double)off != d) {
      char msg[160];
      snprintf(msg, sizeof msg, "operand '%s': offset %g is not a non-negative integer", name, d);
      fail(msg);
      return nullptr;
    }
    if (rows > 0 && cols > 0) {
      int64_t end = off + (rows - 1) * ld + cols;
      if (ld < 0 || end > (int64_t)s->length) {
        char msg[200];
        snprintf(msg, sizeof msg, "operand '%s': region [%lld, %lld) exceeds the arena (%zu elements)", name,
                 (long long)off, (long long)end, s->length);
        fail(msg);
        return nullptr;
      }
    }
    return s->base + off;
  }
};

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// After a kernel that uses scratch buffers: if one could not be allocated (on this thread or a
// worker), the kernel skipped its work; throw the JS handler's error (or a RangeError without one).
napi_value scratch_checked(Args& a, const char* kernel) {
  const size_t bytes = take_scratch_failure();
  if (bytes == 0) return nullptr;
  napi_env env = a.env;
  napi_value handler = nullptr, error = nullptr;
  if (a.s->oomHandler != nullptr) napi_get_reference_value(env, a.s->oomHandler, &handler);
  if (handler != nullptr) {
    napi_value args[2], global;
    napi_create_string_utf8(env, kernel, NAPI_AUTO_LENGTH, &args[0]);
    napi_create_double(env, (double)bytes, &args[1]);
    napi_get_global(env, &global);
    if (napi_call_function(env, global, handler, 2, args, &error) != napi_ok) return nullptr;  // its exception stands
    napi_throw(env, error);
    return nullptr;
  }
  char msg[160];
  snprintf(msg, sizeof msg, "native %s: out of memory allocating %zu bytes of scratch", kernel, bytes);
  napi_throw_range_error(env, nullptr, msg);
  return nullptr;
}

napi_value make_string(napi_env env, const char* str) {
  napi_value v;
  napi_create_string_utf8(env, str, NAPI_AUTO_LENGTH, &v);
  return v;
}

// ------------------------------------------------------------------ arena and ISA

napi_value SetArena(napi_env env, napi_callback_info info) {
  Args a(env, info);
  if (!a.need(1)) return nullptr;
  void* data = nullptr;
  size_t bytes = 0;
  bool isAb = false, isTa = false;
  napi_is_arraybuffer(env, a.argv[0], &isAb);
  if (isAb) {
    napi_get_arraybuffer_info(env, a.argv[0], &data, &bytes);
  } else if (napi_is_typedarray(env, a.argv[0], &isTa) == napi_ok && isTa) {
    napi_typedarray_type type;
    size_t length, offset;
    napi_value ab;
    napi_get_typedarray_info(env, a.argv[0], &type, &length, &data, &ab, &offset);
    if (type != napi_float32_array) { napi_throw_type_error(env, nullptr, "setArena: expected a Float32Array"); return nullptr; }
    bytes = length * sizeof(float);
  } else {
    napi_throw_type_error(env, nullptr, "setArena: expected an ArrayBuffer");
    return nullptr;
  }
  State* s = a.s;
  if (s->buffer) napi_delete_reference(env, s->buffer);
  s->buffer = nullptr;
  napi_create_reference(env, a.argv[0], 1, &s->buffer);  // keeps the buffer alive while registered
  s->base = static_cast<float*>(data);
  s->length = bytes / sizeof(float);
  return undefined(env);
}

void free_aligned(napi_env env, void* data, void* hint) {
  free(data);
  // Tell V8 the memory is gone (it was told about it at allocation, so that it
  // collects dropped arenas promptly after a grow).
  int64_t ignored;
  napi_adjust_external_memory(env, -(int64_t)(uintptr_t)hint, &ignored);
}

// allocArena(bytes): a zeroed ArrayBuffer whose data is 64-byte aligned (so arena blocks are cache-line aligned).
napi_value AllocArena(napi_env env, napi_callback_info info) {
  Args a(env, info);
  if (!a.need(1)) return nullptr;
  double d = a.num(0);
  if (a.failed) return nullptr;
  if (!(d >= 0) || d > 1e15) { a.fail("allocArena: bad size"); return nullptr; }
  size_t bytes = ((size_t)d + 63) & ~(size_t)63;
  if (bytes == 0) bytes = 64;
  // A large arena (a hypernetwork's parameters, gradients and Adam moments: hundreds of MB that
  // Adam, Polyak and B packing stream through) goes on 2 MB pages where the kernel offers them
  // on request (Linux transparent huge pages in "madvise" mode): with 4 KB pages every 4 KB of
  // a stream is a TLB miss. Whole huge pages: the size rounded up to 2 MB, 2 MB aligned.
  const size_t kHuge = (size_t)2 << 20;
  const bool huge = bytes >= 4 * kHuge;
  if (huge) bytes = (bytes + kHuge - 1) & ~(kHuge - 1);
  void* p = aligned_alloc(huge ? kHuge : 64, bytes);
  if (p == nullptr) {
    char msg[120];
    snprintf(msg, sizeof msg, "aligned_alloc of %zu bytes failed", bytes);
    napi_throw_range_error(env, nullptr, msg);  // RangeError: what typed arrays throw, turned into OutOfMemoryError by the arena
    return nullptr;
  }
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (huge) madvise(p, bytes, MADV_HUGEPAGE);  // advice only: ignored where huge pages are off
#endif
  memset(p, 0, bytes);
  napi_value ab;
  if (napi_create_external_arraybuffer(env, p, (size_t)d, free_aligned, (void*)(uintptr_t)bytes, &ab) != napi_ok) {
    free(p);
    // Leave any pending exception in place; the JS side falls back to a plain ArrayBuffer.
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) napi_throw_error(env, nullptr, "allocArena: external ArrayBuffers are not supported");
    return nullptr;
  }
  int64_t ignored;
  napi_adjust_external_memory(env, (int64_t)bytes, &ignored);
  return ab;
}

napi_value Isa(napi_env env, napi_callback_info info) {
  Args a(env, info);
  return make_string(env, a.s->k->name);
}

napi_value SetIsa(napi_env env, napi_callback_info info) {
  Args a(env, info);
  if (!a.need(1)) return nullptr;
  char name[32] = {0};
  size_t len = 0;
  if (napi_get_value_string_utf8(env, a.argv[0], name, sizeof name, &len) != napi_ok) {
    napi_throw_type_error(env, nullptr, "setIsa: expected a string");
    return nullptr;
  }
  for (const Variant& v : kVariants) {
    if (strcmp(v.name, name) != 0) continue;
    const Kernels* k = variant_if_usable(v);
    if (k == nullptr) {
      char msg[96];
      snprintf(msg, sizeof msg, "setIsa: this CPU does not support '%s'", name);
      napi_throw_error(env, nullptr, msg);
      return nullptr;
    }
    a.s->k = k;
    return make_string(env, k->name);
  }
  char msg[96];
  snprintf(msg, sizeof msg, "setIsa: unknown ISA '%s' (avx512, avx2 or generic)", name);
  napi_throw_error(env, nullptr, msg);
  return nullptr;
}

napi_value Isas(napi_env env, napi_callback_info) {
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t n = 0;
  for (const Variant& v : kVariants)
    if (variant_if_usable(v)) napi_set_element(env, arr, n++, make_string(env, v.name));
  return arr;
}

napi_value CpuFeatures(napi_env env, napi_callback_info) {
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t n = 0;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
#define FEATURE(f) if (__builtin_cpu_supports(f)) napi_set_element(env, arr, n++, make_string(env, f));
  FEATURE("sse2") FEATURE("sse4.2") FEATURE("avx") FEATURE("avx2") FEATURE("fma")
  FEATURE("avx512f") FEATURE("avx512vl") FEATURE("avx512bw") FEATURE("avx512dq") FEATURE("avx512cd")
  FEATURE("avx512vnni") FEATURE("avx512bf16")
#undef FEATURE
#elif defined(__aarch64__)
  napi_set_element(env, arr, n++, make_string(env, "neon"));
#endif
  return arr;
}

// Several cores' FMA peak: each thread counts its flops in the same 1 ms windows.
struct FmaWindowsJob {
  const Kernels* k;
  double t0, window;
  int nwin;
  double* flops;  // [thread][window]
};
void fma_windows_task(void* ctx, int t) {
  FmaWindowsJob* job = static_cast<FmaWindowsJob*>(ctx);
  job->k->fmaWindows(job->t0, job->window, job->nwin, job->flops + (size_t)t * job->nwin);
}

// The best window's total over threads (windows where some thread did nothing are skipped).
double fma_peak_of_threads(const Kernels* k, double ms, int threads) {
  FmaWindowsJob job;
  job.k = k;
  job.window = 1e-3;
  job.nwin = ms < 20 ? 20 : (int)ms;
  job.t0 = now_seconds() + (ms * 0.1 < 20.0 ? ms * 0.1 : 20.0) * 1e-3;
  job.flops = static_cast<double*>(calloc((size_t)threads * job.nwin, sizeof(double)));
  if (job.flops == nullptr) return 0.0;
  const int ran = parallel_run_each(threads, fma_windows_task, &job);
  double best = 0.0;
  for (int w = 0; w < job.nwin; ++w) {
    double sum = 0.0;
    bool all = true;
    for (int t = 0; t < ran; ++t) {
      const double f = job.flops[(size_t)t * job.nwin + w];
      all = all && f > 0.0;
      sum += f;
    }
    if (all && sum > best) best = sum;
  }
  free(job.flops);
  return best / job.window / 1e9;
}

// fmaPeak(ms = 200, isa = best available, threads = 1): measured fp32 FMA throughput in
// GFLOP/s of one core (best ~1 ms slice), or of `threads` cores working at the same time (the
// best 1 ms window of their total; threads is capped at the calling thread's budget).
napi_value FmaPeak(napi_env env, napi_callback_info info) {
  Args a(env, info);
  double ms = a.argc >= 1 ? a.num(0) : 200.0;
  if (a.failed) return nullptr;
  if (!(ms > 0)) ms = 200.0;
  if (ms > 10000) ms = 10000;
  int threads = 1;
  if (a.argc >= 3) {
    threads = (int)a.i64(2);
    if (a.failed) return nullptr;
    if (threads < 1) threads = 1;
  }
  const Kernels* k = best_variant();
  if (a.argc >= 2) {
    char name[32] = {0};
    size_t len = 0;
    napi_valuetype t;
    napi_typeof(env, a.argv[1], &t);
    if (t == napi_string && napi_get_value_string_utf8(env, a.argv[1], name, sizeof name, &len) == napi_ok) {
      k = nullptr;
      for (const Variant& v : kVariants)
        if (strcmp(v.name, name) == 0) k = variant_if_usable(v);
      if (k == nullptr) { napi_throw_error(env, nullptr, "fmaPeak: ISA not available"); return nullptr; }
    }
  }
  napi_value r;
  napi_create_double(env, threads > 1 ? fma_peak_of_threads(k, ms, threads) : k->fmaPeak(ms), &r);
  return r;
}

// ------------------------------------------------------------------ threads

// setThreads(n): threads the kernels called from this Node thread may use (1 = no splitting; 0 = default).
napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a(env, info);
  if (!a.need(1)) return nullptr;
  const double n = a.num(0);
  if (a.failed) return nullptr;
  if (!(n >= 0) || n != (double)(int64_t)n || n > kMaxThreads) {
    char msg[96];
    snprintf(msg, sizeof msg, "setThreads: expected an integer from 1 to %d (0: default), got %g", (int)kMaxThreads, n);
    napi_throw_range_error(env, nullptr, msg);
    return nullptr;
  }
  set_parallel_budget((int)n);
  napi_value r;
  napi_create_int32(env, parallel_budget(), &r);
  return r;
}

napi_value Threads(napi_env env, napi_callback_info) {
  napi_value r;
  napi_create_int32(env, parallel_budget(), &r);
  return r;
}

napi_value AvailableCores(napi_env env, napi_callback_info) {
  napi_value r;
  napi_create_int32(env, available_cores(), &r);
  return r;
}

struct NamedField {
  const char* name;
  double* field;
};

// The threshold fields by name (the names cross to JS).
void threshold_fields(ParallelThresholds& t, NamedField (&out)[6]) {
  out[0] = {"gemmFlops", &t.gemmFlops};
  out[1] = {"gemvMacs", &t.gemvMacs};
  out[2] = {"streamElements", &t.streamElements};
  out[3] = {"mathElements", &t.mathElements};
  out[4] = {"adamElements", &t.adamElements};
  out[5] = {"dynamicMacs", &t.dynamicMacs};
}

napi_value thresholds_object(napi_env env, ParallelThresholds t) {
  NamedField f[6];
  threshold_fields(t, f);
  napi_value obj;
  napi_create_object(env, &obj);
  for (const NamedField& nf : f) {
    napi_value v;
    napi_create_double(env, *nf.field, &v);
    napi_set_named_property(env, obj, nf.name, v);
  }
  return obj;
}

// parallelThresholds(defaults = false): the minimum work per thread of each kernel class (in use, or the built-in ones).
napi_value GetParallelThresholds(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const bool defaults = a.argc >= 1 && a.flag(0);
  return thresholds_object(env, defaults ? default_parallel_thresholds() : parallel_thresholds());
}

// setParallelThresholds({gemmFlops?, ...}): override some thresholds (measurement and tests; process-wide).
napi_value SetParallelThresholds(napi_env env, napi_callback_info info) {
  Args a(env, info);
  if (!a.need(1)) return nullptr;
  ParallelThresholds t = parallel_thresholds();
  NamedField f[6];
  threshold_fields(t, f);
  for (const NamedField& nf : f) {
    bool has = false;
    napi_has_named_property(env, a.argv[0], nf.name, &has);
    if (!has) continue;
    napi_value v;
    double d;
    napi_get_named_property(env, a.argv[0], nf.name, &v);
    if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0)) {
      char msg[128];
      snprintf(msg, sizeof msg, "setParallelThresholds: '%s' must be a number ≥ 0", nf.name);
      napi_throw_range_error(env, nullptr, msg);
      return nullptr;
    }
    *nf.field = d;
  }
  set_parallel_thresholds(t);
  return thresholds_object(env, t);
}

// poolTuning() / setPoolTuning({workerSpinMicros?, callerSpinMicros?}): the idle spin windows.
napi_value tuning_object(napi_env env, PoolTuning t) {
  napi_value obj, w, c;
  napi_create_object(env, &obj);
  napi_create_double(env, t.workerSpinSeconds * 1e6, &w);
  napi_create_double(env, t.callerSpinSeconds * 1e6, &c);
  napi_set_named_property(env, obj, "workerSpinMicros", w);
  napi_set_named_property(env, obj, "callerSpinMicros", c);
  return obj;
}

napi_value GetPoolTuning(napi_env env, napi_callback_info) { return tuning_object(env, pool_tuning()); }

napi_value SetPoolTuning(napi_env env, napi_callback_info info) {
  Args a(env, info);
  if (!a.need(1)) return nullptr;
  PoolTuning t = pool_tuning();
  const char* names[2] = {"workerSpinMicros", "callerSpinMicros"};
  double* fields[2] = {&t.workerSpinSeconds, &t.callerSpinSeconds};
  for (int i = 0; i < 2; ++i) {
    bool has = false;
    napi_has_named_property(env, a.argv[0], names[i], &has);
    if (!has) continue;
    napi_value v;
    double d;
    napi_get_named_property(env, a.argv[0], names[i], &v);
    if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d > 1e6) {
      char msg[128];
      snprintf(msg, sizeof msg, "setPoolTuning: '%s' must be a number from 0 to 1e6", names[i]);
      napi_throw_range_error(env, nullptr, msg);
      return nullptr;
    }
    *fields[i] = d * 1e-6;
  }
  set_pool_tuning(t);
  return tuning_object(env, t);
}

napi_value PoolStatsK(napi_env env, napi_callback_info) {
  const PoolStats st = pool_stats();
  napi_value obj;
  napi_create_object(env, &obj);
  const struct { const char* name; double value; } fields[] = {
    {"parallelJobs", (double)st.parallelJobs}, {"busyFallbacks", (double)st.busyFallbacks},
    {"workerTasks", (double)st.workerTasks}, {"workerSleeps", (double)st.workerSleeps},
    {"callerSleeps", (double)st.callerSleeps}, {"workers", (double)st.workers},
  };
  for (const auto& f : fields) {
    napi_value v;
    napi_create_double(env, f.value, &v);
    napi_set_named_property(env, obj, f.name, v);
  }
  return obj;
}

// ------------------------------------------------------------------ kernels

#define BEGIN(n)        \
  Args a(env, info);    \
  if (!a.need(n)) return nullptr;
#define DONE                          \
  if (a.failed) return nullptr;       \
  return nullptr;

napi_value Gemm(napi_env env, napi_callback_info info) {
  BEGIN(13)
  int ta = a.flag(0), tb = a.flag(1);
  int64_t m = a.i64(2), n = a.i64(3), k = a.i64(4);
  float alpha = a.f32(5);
  int64_t lda = a.i64(7), ldb = a.i64(9), ldc = a.i64(12);
  double beta = a.num(10);
  if (a.failed) return nullptr;
  if (m < 0 || n < 0 || k < 0) { a.fail("gemm: negative size"); return nullptr; }
  const float* A = a.region(6, ta ? k : m, ta ? m : k, lda, false, "a");
  const float* B = a.region(8, tb ? n : k, tb ? k : n, ldb, false, "b");
  float* C = a.region(11, m, n, ldc, false, "c");
  if (a.failed) return nullptr;
  a.s->k->gemm(ta, tb, m, n, k, alpha, A, lda, B, ldb, (float)beta, C, ldc);
  return scratch_checked(a, "gemm");
}

napi_value GemmBiasAct(napi_env env, napi_callback_info info) {
  BEGIN(14)
  int ta = a.flag(0), tb = a.flag(1);
  int64_t m = a.i64(2), n = a.i64(3), k = a.i64(4);
  int64_t lda = a.i64(6), ldb = a.i64(8), ldc = a.i64(13);
  double beta = a.num(9);
  int act = (int)a.i64(11);
  if (a.failed) return nullptr;
  if (m < 0 || n < 0 || k < 0) { a.fail("gemmBiasAct: negative size"); return nullptr; }
  const float* A = a.region(5, ta ? k : m, ta ? m : k, lda, false, "a");
  const float* B = a.region(7, tb ? n : k, tb ? k : n, ldb, false, "b");
  const float* bias = a.region(10, 1, n, n, true, "bias");
  float* C = a.region(12, m, n, ldc, false, "c");
  if (a.failed) return nullptr;
  a.s->k->gemmBiasAct(ta, tb, m, n, k, A, lda, B, ldb, (float)beta, bias, act, C, ldc);
  return scratch_checked(a, "gemmBiasAct");
}

// gemmBatched(count, transA, transB, m, n, k, a, strideA, lda, b, strideB, ldb, beta, bias, strideBias, act,
// c, strideC, ldc): every member's operands are checked (the last member is the farthest).
napi_value GemmBatched(napi_env env, napi_callback_info info) {
  BEGIN(19)
  int64_t count = a.i64(0);
  int ta = a.flag(1), tb = a.flag(2);
  int64_t m = a.i64(3), n = a.i64(4), k = a.i64(5);
  int64_t strideA = a.i64(7), lda = a.i64(8), strideB = a.i64(10), ldb = a.i64(11);
  double beta = a.num(12);
  int64_t strideBias = a.i64(14), strideC = a.i64(17), ldc = a.i64(18);
  int act = (int)a.i64(15);
  if (a.failed) return nullptr;
  if (count < 0 || m < 0 || n < 0 || k < 0) { a.fail("gemmBatched: negative size"); return nullptr; }
  if (strideA < 0 || strideB < 0 || strideBias < 0 || strideC < 0) { a.fail("gemmBatched: negative stride"); return nullptr; }
  if (count == 0) return nullptr;
  const int64_t last = count - 1;
  // Each operand as one region: `count` member blocks `stride` apart ends where the last member ends.
  auto members = [&](size_t i, int64_t rows, int64_t cols, int64_t ld, int64_t stride, bool optional, const char* name) -> float* {
    float* p = a.region(i, rows, cols, ld, optional, name);
    if (p == nullptr || a.failed || rows <= 0 || cols <= 0) return p;
    const int64_t end = (p - a.s->base) + last * stride + (rows - 1) * ld + cols;
    if (end > (int64_t)a.s->length) {
      char msg[200];
      snprintf(msg, sizeof msg, "operand '%s': member %lld ends at %lld, past the arena (%zu elements)", name,
               (long long)last, (long long)end, a.s->length);
      a.fail(msg);
      return nullptr;
    }
    return p;
  };
  const float* A = members(6, ta ? k : m, ta ? m : k, lda, strideA, false, "a");
  const float* B = members(9, tb ? n : k, tb ? k : n, ldb, strideB, false, "b");
  const float* bias = members(13, 1, n, n, strideBias, true, "bias");
  float* C = members(16, m, n, ldc, strideC, false, "c");
  if (a.failed) return nullptr;
  a.s->k->gemmBatched(count, ta, tb, m, n, k, A, strideA, lda, B, strideB, ldb, (float)beta, bias, strideBias, act, C,
                      strideC, ldc);
  return scratch_checked(a, "gemmBatched");
}

napi_value BiasAct(napi_env env, napi_callback_info info) {
  BEGIN(6)
  int64_t rows = a.i64(0), cols = a.i64(1);
  int act = (int)a.i64(4);
  const float* x = a.region(2, rows, cols, cols, false, "x");
  const float* bias = a.region(3, 1, cols, cols, true, "bias");
  float* y = a.region(5, rows, cols, cols, false, "y");
  if (a.failed) return nullptr;
  a.s->k->biasAct(rows, cols, x, bias, act, y);
  return nullptr;
}

napi_value ActBackward(napi_env env, napi_callback_info info) {
  BEGIN(5)
  int act = (int)a.i64(0);
  int64_t n = a.i64(1);
  const float* y = a.region(2, 1, n, n, false, "y");
  const float* dy = a.region(3, 1, n, n, false, "dy");
  float* dx = a.region(4, 1, n, n, false, "dx");
  if (a.failed) return nullptr;
  a.s->k->actBackward(act, n, y, dy, dx);
  return nullptr;
}

napi_value ColSum(napi_env env, napi_callback_info info) {
  BEGIN(5)
  int64_t rows = a.i64(0), cols = a.i64(1);
  const float* x = a.region(2, rows, cols, cols, false, "x");
  float* out = a.region(3, 1, cols, cols, false, "out");
  float beta = a.f32(4);
  if (a.failed) return nullptr;
  a.s->k->colSum(rows, cols, x, out, beta);
  return nullptr;
}

napi_value DynamicForward(napi_env env, napi_callback_info info) {
  BEGIN(14)
  int64_t batch = a.i64(0), out = a.i64(1), inp = a.i64(2);
  int64_t ldx = a.i64(4), ldw = a.i64(6), ldg = a.i64(8), ldc = a.i64(10), ldy = a.i64(13);
  int act = (int)a.i64(11);
  const float* x = a.region(3, batch, inp, ldx, false, "x");
  const float* w = a.region(5, batch, out * inp, ldw, false, "w");
  const float* g = a.region(7, batch, out, ldg, true, "g");
  const float* c = a.region(9, batch, out, ldc, true, "c");
  float* y = a.region(12, batch, out, ldy, false, "y");
  if (a.failed) return nullptr;
  a.s->k->dynamicForward(batch, out, inp, x, ldx, w, ldw, g, ldg, c, ldc, act, y, ldy);
  return scratch_checked(a, "dynamicForward");
}

napi_value DynamicBackward(napi_env env, napi_callback_info info) {
  BEGIN(19)
  int64_t batch = a.i64(0), out = a.i64(1), inp = a.i64(2);
  int64_t ldx = a.i64(4), ldw = a.i64(6), ldg = a.i64(8), lddy = a.i64(10);
  int64_t lddx = a.i64(12), lddw = a.i64(14), lddg = a.i64(16), lddc = a.i64(18);
  const float* x = a.region(3, batch, inp, ldx, false, "x");
  const float* w = a.region(5, batch, out * inp, ldw, false, "w");
  const float* g = a.region(7, batch, out, ldg, true, "g");
  const float* dy = a.region(9, batch, out, lddy, false, "dy");
  float* dx = a.region(11, batch, inp, lddx, true, "dx");
  float* dw = a.region(13, batch, out * inp, lddw, true, "dw");
  float* dg = a.region(15, batch, out, lddg, true, "dg");
  float* dc = a.region(17, batch, out, lddc, true, "dc");
  if (a.failed) return nullptr;
  a.s->k->dynamicBackward(batch, out, inp, x, ldx, w, ldw, g, ldg, dy, lddy, dx, lddx, dw, lddw, dg, lddg, dc, lddc);
  return scratch_checked(a, "dynamicBackward");
}

// A GRU kernel's (batch, hidden) from arguments 0 and 1; false (with the error thrown) when invalid.
bool gru_sizes(Args& a, const char* kernel, int64_t& batch, int64_t& hidden) {
  batch = a.i64(0);
  hidden = a.i64(1);
  if (a.failed) return false;
  if (batch < 0 || hidden < 1) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s: batch must be >= 0 and hidden >= 1", kernel);
    a.fail(msg);
    return false;
  }
  return true;
}

// Operand i of a GRU kernel: batch contiguous rows of `blocks` gate blocks of H floats.
float* gru_rows(Args& a, size_t i, int64_t batch, int64_t hidden, int64_t blocks, bool optional, const char* name) {
  return a.region(i, batch, blocks * hidden, blocks * hidden, optional, name);
}

napi_value GruForward(napi_env env, napi_callback_info info) {
  BEGIN(7)
  int64_t batch, hidden;
  if (!gru_sizes(a, "gruForward", batch, hidden)) return nullptr;
  const float* gi = gru_rows(a, 2, batch, hidden, 3, false, "gi");
  const float* gh = gru_rows(a, 3, batch, hidden, 3, false, "gh");
  const float* h = gru_rows(a, 4, batch, hidden, 1, false, "h");
  float* y = gru_rows(a, 5, batch, hidden, 1, false, "y");
  float* gates = gru_rows(a, 6, batch, hidden, 3, true, "gates");
  if (a.failed) return nullptr;
  a.s->k->gruForward(batch, hidden, gi, gh, h, y, gates);
  return nullptr;
}

napi_value GruBackward(napi_env env, napi_callback_info info) {
  BEGIN(10)
  int64_t batch, hidden;
  if (!gru_sizes(a, "gruBackward", batch, hidden)) return nullptr;
  const float* gates = gru_rows(a, 2, batch, hidden, 3, false, "gates");
  const float* gh = gru_rows(a, 3, batch, hidden, 3, false, "gh");
  const float* h = gru_rows(a, 4, batch, hidden, 1, false, "h");
  const float* dy = gru_rows(a, 5, batch, hidden, 1, false, "dy");
  const float* dhIn = gru_rows(a, 6, batch, hidden, 1, true, "dhIn");
  float* dgi = gru_rows(a, 7, batch, hidden, 3, false, "dgi");
  float* dgh = gru_rows(a, 8, batch, hidden, 3, false, "dgh");
  float* dh = gru_rows(a, 9, batch, hidden, 1, false, "dh");
  if (a.failed) return nullptr;
  a.s->k->gruBackward(batch, hidden, gates, gh, h, dy, dhIn, dgi, dgh, dh);
  return nullptr;
}

napi_value Adam(napi_env env, napi_callback_info info) {
  BEGIN(12)
  int64_t n = a.i64(0);
  float* p = a.region(1, 1, n, n, false, "p");
  const float* g = a.region(2, 1, n, n, false, "g");
  float* m = a.region(3, 1, n, n, false, "m");
  float* v = a.region(4, 1, n, n, false, "v");
  double lr = a.num(5), b1 = a.num(6), b2 = a.num(7), eps = a.num(8), wd = a.num(9);
  int decoupled = a.flag(10);
  double step = a.num(11);
  if (a.failed) return nullptr;
  a.s->k->adam(n, p, g, m, v, lr, b1, b2, eps, wd, decoupled, step);
  return nullptr;
}

napi_value Polyak(napi_env env, napi_callback_info info) {
  BEGIN(4)
  int64_t n = a.i64(0);
  float* t = a.region(1, 1, n, n, false, "target");
  const float* s = a.region(2, 1, n, n, false, "source");
  float tau = a.f32(3);
  if (a.failed) return nullptr;
  a.s->k->polyak(n, t, s, tau);
  return nullptr;
}

napi_value UnaryK(napi_env env, napi_callback_info info) {
  BEGIN(4)
  int op = (int)a.i64(0);
  int64_t n = a.i64(1);
  const float* x = a.region(2, 1, n, n, false, "x");
  float* y = a.region(3, 1, n, n, false, "y");
  if (a.failed) return nullptr;
  a.s->k->unary(op, n, x, y);
  return nullptr;
}

// Extent check for a strided 2-D operand (strides may be 0 for broadcasting).
float* strided(Args& a, size_t i, int64_t rows, int64_t cols, int64_t rs, int64_t cs, const char* name) {
  if (rs < 0 || cs < 0) { a.fail("binary: negative strides are not supported"); return nullptr; }
  int64_t span = (rows > 0 && cols > 0) ? (rows - 1) * rs + (cols - 1) * cs + 1 : 0;
  return a.region(i, span > 0 ? 1 : 0, span, span, false, name);
}

napi_value BinaryK(napi_env env, napi_callback_info info) {
  BEGIN(10)
  int op = (int)a.i64(0);
  int64_t rows = a.i64(1), cols = a.i64(2);
  int64_t aRs = a.i64(4), aCs = a.i64(5), bRs = a.i64(7), bCs = a.i64(8);
  if (a.failed) return nullptr;
  const float* A = strided(a, 3, rows, cols, aRs, aCs, "a");
  const float* B = strided(a, 6, rows, cols, bRs, bCs, "b");
  float* y = a.region(9, rows, cols, cols, false, "y");
  if (a.failed) return nullptr;
  a.s->k->binary(op, rows, cols, A, aRs, aCs, B, bRs, bCs, y);
  return nullptr;
}

napi_value Clamp(napi_env env, napi_callback_info info) {
  BEGIN(5)
  int64_t n = a.i64(0);
  const float* x = a.region(1, 1, n, n, false, "x");
  float lo = a.f32(2), hi = a.f32(3);
  float* y = a.region(4, 1, n, n, false, "y");
  if (a.failed) return nullptr;
  a.s->k->clamp(n, x, lo, hi, y);
  return nullptr;
}

napi_value Axpby(napi_env env, napi_callback_info info) {
  BEGIN(5)
  int64_t n = a.i64(0);
  float alpha = a.f32(1);
  const float* x = a.region(2, 1, n, n, false, "x");
  float beta = a.f32(3);
  float* y = a.region(4, 1, n, n, false, "y");
  if (a.failed) return nullptr;
  a.s->k->axpby(n, alpha, x, beta, y);
  return nullptr;
}

napi_value ReduceK(napi_env env, napi_callback_info info) {
  BEGIN(6)
  int op = (int)a.i64(0);
  int64_t outer = a.i64(1), len = a.i64(2), inner = a.i64(3);
  const float* x = a.region(4, 1, outer * len * inner, 0, false, "x");
  float* y = a.region(5, 1, outer * inner, 0, false, "y");
  if (a.failed) return nullptr;
  a.s->k->reduce(op, outer, len, inner, x, y);
  return nullptr;
}

napi_value Fill(napi_env env, napi_callback_info info) {
  BEGIN(3)
  int64_t n = a.i64(0);
  float* y = a.region(1, 1, n, n, false, "y");
  float value = a.f32(2);
  if (a.failed) return nullptr;
  a.s->k->fill(n, y, value);
  return nullptr;
}

napi_value SumSquares(napi_env env, napi_callback_info info) {
  BEGIN(2)
  int64_t n = a.i64(0);
  const float* x = a.region(1, 1, n, n, false, "x");
  if (a.failed) return nullptr;
  napi_value r;
  napi_create_double(env, a.s->k->sumSquares(n, x), &r);
  return r;
}

// setOutOfMemoryHandler(fn): fn(kernel, bytes) makes the error thrown when a kernel's scratch memory ran out.
napi_value SetOutOfMemoryHandler(napi_env env, napi_callback_info info) {
  Args a(env, info);
  if (!a.need(1)) return nullptr;
  napi_valuetype type;
  napi_typeof(env, a.argv[0], &type);
  if (type != napi_function) { napi_throw_type_error(env, nullptr, "setOutOfMemoryHandler: expected a function"); return nullptr; }
  if (a.s->oomHandler) napi_delete_reference(env, a.s->oomHandler);
  napi_create_reference(env, a.argv[0], 1, &a.s->oomHandler);
  return undefined(env);
}

// setScratchLimit(bytes): the most one scratch buffer may take, process-wide (-1: no limit).
napi_value SetScratchLimit(napi_env env, napi_callback_info info) {
  Args a(env, info);
  if (!a.need(1)) return nullptr;
  double d = a.num(0);
  if (a.failed) return nullptr;
  set_scratch_limit(d < 0 ? SIZE_MAX : (size_t)d);
  return undefined(env);
}

}  // namespace
}  // namespace hyperrl

using namespace hyperrl;

NAPI_MODULE_INIT() {
  State* state = new State();
  state->k = best_variant();
  napi_set_instance_data(env, state, finalize_state, nullptr);
  struct Fn { const char* name; napi_callback cb; };
  const Fn fns[] = {
    {"setArena", SetArena}, {"allocArena", AllocArena}, {"isa", Isa}, {"setIsa", SetIsa}, {"isas", Isas},
    {"cpuFeatures", CpuFeatures}, {"fmaPeak", FmaPeak},
    {"setThreads", SetThreads}, {"threads", Threads}, {"availableCores", AvailableCores},
    {"parallelThresholds", GetParallelThresholds}, {"setParallelThresholds", SetParallelThresholds},
    {"poolTuning", GetPoolTuning}, {"setPoolTuning", SetPoolTuning}, {"poolStats", PoolStatsK},
    {"gemm", Gemm}, {"gemmBiasAct", GemmBiasAct}, {"gemmBatched", GemmBatched}, {"biasAct", BiasAct}, {"actBackward", ActBackward}, {"colSum", ColSum},
    {"dynamicForward", DynamicForward}, {"dynamicBackward", DynamicBackward},
    {"gruForward", GruForward}, {"gruBackward", GruBackward}, {"adam", Adam},
    {"polyak", Polyak}, {"unary", UnaryK}, {"binary", BinaryK}, {"clamp", Clamp}, {"axpby", Axpby},
    {"reduce", ReduceK}, {"fill", Fill}, {"sumSquares", SumSquares},
    {"setOutOfMemoryHandler", SetOutOfMemoryHandler}, {"setScratchLimit", SetScratchLimit},
  };
  for (const Fn& f : fns) {
    napi_value fn;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, state, &fn);
    napi_set_named_property(env, exports, f.name, fn);
  }
  return exports;
}

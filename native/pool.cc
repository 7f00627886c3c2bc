// The worker pool the kernels split their work over. Compiled for the baseline ISA;
// workers run whatever task function the calling kernel hands them.
//
// One pool per process, started lazily (the first split kernel starts the workers it
// needs) and never stopped: its threads are detached and parked when idle, so they
// cost nothing at exit. A job is published under a sequence number (seqlock: odd while
// its fields are written); tasks are claimed in a bit mask tagged with that number, so a
// worker that wakes late can never run a task of a job that has moved on. Each thread
// claims its own task first (the caller task 0, worker w task w + 1), so that call after
// call the same core works on the same part of the data and finds it in its cache; then
// it takes what is left. So the calling thread runs the task of a worker that is asleep
// or descheduled (another process wants the core) instead of waiting for it — outputs
// do not depend on who runs a task (see kernels.h), only on the task split.
//
// Idle threads spin for a bounded time, then sleep on a condition variable (the spin windows
// and the split thresholds: kPoolTuning and kParallelThresholds below, native/README.md "Threads").
#include "pool.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <new>
#include <thread>

#if defined(__linux__)
#include <sched.h>
#endif

namespace hyperrl {
namespace {

// Minimum work per thread before a kernel is split (see ParallelThresholds in kernels.h),
// measured with bench/core/thread-thresholds.ts (it prints this block) on the shared 2-core
// AMD EPYC VM, AVX-512, in a quiet window (its second-core check: a 256×512×512 sgemm 1.89×
// faster on 2 threads); each value is half the work from which 2 threads stayed ≥ 5% faster:
//   gemmFlops      sgemm 256×25×25 (0.32 MFLOP) 1.06×, 256×36×36 1.27×, … 256×421×421 1.57×
//                  (the same break-even in an earlier quiet run);
//   gemvMacs       sgemv 268×268 (72k MACs) 1.25×, 380 1.51×, ≥ 1.76× beyond;
//   streamElements axpby 32k elements 1.16×, 64k 1.31×, 256k 2.1×;
//   mathElements   tanh 4k elements 1.10×, 16k 1.63×, 64k 1.82×.
// adamElements and dynamicMacs are provisional: other processes kept the second core busy
// whenever they were measured (a clean run had Adam faster from 128k parameters, 1.82×, but at
// half speed on 2 threads below that, as were the dynamic layers — the pattern of a task
// switching cores between calls, which the claiming below no longer allows); they are the
// work that takes ~6–7 µs on one core (Adam over 16k parameters, 0.13M dynamic-layer MACs).
// Re-measure them on a quiet machine.
const ParallelThresholds kParallelThresholds = {
  /* gemmFlops      */ 1.6e5,
  /* gemvMacs       */ 3.6e4,
  /* streamElements */ 1.6e4,
  /* mathElements   */ 2.0e3,
  /* adamElements   */ 1.6e4,
  /* dynamicMacs    */ 1.3e5,
};

// Spin windows (bench/core/thread-spin.ts; provisional: the machine was never quiet while
// they were measured). A worker keeps polling this long after its last task: waking a sleeping one costs
// the caller 3–15 µs (a futex wake) and the worker arrives tens of µs later, so it should not
// sleep between the split kernels of one training update (tens of µs apart: the small kernels
// and the autodiff's bookkeeping between them), yet it leaves the core to other threads when a
// longer pause (an environment step, an evaluation) follows. The caller polls briefly for a
// worker's unfinished task, which normally ends within microseconds of its own.
const PoolTuning kPoolTuning = {
  /* workerSpinSeconds */ 100e-6,
  /* callerSpinSeconds */ 20e-6,
};

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

// Blocks one thread until ready() holds. Whoever makes ready() true (with a seq_cst
// store) calls wake(): either it sees the waiter's count and notifies under the mutex,
// or the waiter, incrementing before its own check, sees the store.
struct Sleeper {
  std::mutex m;
  std::condition_variable cv;
  std::atomic<int> waiting{0};

  template <class Ready>
  void sleep_until(Ready ready) {
    std::unique_lock<std::mutex> lock(m);
    waiting.fetch_add(1);
    while (!ready()) cv.wait(lock);
    waiting.fetch_sub(1);
  }
  void wake() {
    if (waiting.load() == 0) return;
    { std::lock_guard<std::mutex> lock(m); }
    cv.notify_all();
  }
};

// Polls ready() (pausing between polls) until it holds or `seconds` have passed since `from`.
template <class Ready>
bool spin_until(Ready ready, double from, double seconds) {
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      cpu_relax();
    }
    if (now_seconds() - from >= seconds) return ready();
  }
}

struct Worker {
  Sleeper sleeper;
  int index;
  uint32_t seen;  // the last job sequence number this worker looked at
};

typedef void (*TaskFn)(void*, int);

struct Pool {
  std::atomic<bool> busy{false};  // a job is being run (one at a time, process-wide)

  // The current job. seq is even when published, odd while the fields below are written.
  std::atomic<uint32_t> seq{0};
  std::atomic<TaskFn> fn{nullptr};
  std::atomic<void*> ctx{nullptr};
  std::atomic<int> ntasks{0};
  std::atomic<int> helpers{0};     // workers 0 .. helpers-1 take part
  std::atomic<bool> pinned{false};  // worker w runs task w + 1 and nothing else
  std::atomic<uint64_t> claim{0};  // (seq << 32) | bit mask of the tasks claimed
  std::atomic<int> done{0};        // tasks finished
  Sleeper caller;

  Worker* workers[kMaxThreads] = {};
  std::atomic<int> nworkers{0};

  std::atomic<double> workerSpin{kPoolTuning.workerSpinSeconds};
  std::atomic<double> callerSpin{kPoolTuning.callerSpinSeconds};

  std::atomic<uint64_t> parallelJobs{0}, busyFallbacks{0}, workerTasks{0}, workerSleeps{0}, callerSleeps{0};
};

// Never destroyed: detached workers may still be parked on its condition variables at exit.
Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

ParallelThresholds g_thresholds = kParallelThresholds;

// 0: not set by this thread's Node environment; use the default.
thread_local int tl_budget = 0;

// Set while this thread runs a task: the kernels a task calls (a member of a batched GEMM)
// see a budget of 1 and run on this thread, since jobs do not nest.
thread_local bool tl_in_task = false;

void run_task(TaskFn fn, void* ctx, int t) {
  const bool outer = tl_in_task;
  tl_in_task = true;
  fn(ctx, t);
  tl_in_task = outer;
}

void finish_task(Pool& P, int ntasks) {
  if (P.done.fetch_add(1) + 1 == ntasks) P.caller.wake();
}

// Claims and runs tasks of job `s` until none is left: task `own` first if it is still free.
void claim_tasks(Pool& P, uint32_t s, TaskFn fn, void* ctx, int ntasks, int own, bool worker) {
  const uint32_t all = ntasks >= kMaxTasks ? ~0u : (1u << ntasks) - 1u;
  uint64_t v = P.claim.load(std::memory_order_relaxed);
  for (;;) {
    if ((uint32_t)(v >> 32) != s) return;
    const uint32_t left = all & ~(uint32_t)v;
    if (left == 0) return;
    const int t = own < ntasks && (left >> own & 1u) ? own : __builtin_ctz(left);
    if (!P.claim.compare_exchange_weak(v, v | (1u << t), std::memory_order_acquire, std::memory_order_relaxed)) continue;
    run_task(fn, ctx, t);
    if (worker) P.workerTasks.fetch_add(1, std::memory_order_relaxed);
    finish_task(P, ntasks);
    v = P.claim.load(std::memory_order_relaxed);
  }
}

void* worker_main(void* arg) {
  Worker& me = *static_cast<Worker*>(arg);
  Pool& P = pool();
  double idleSince = now_seconds();
  for (;;) {
    auto fresh = [&] { return P.seq.load() != me.seen; };
    if (!spin_until(fresh, idleSince, P.workerSpin.load(std::memory_order_relaxed))) {
      P.workerSleeps.fetch_add(1, std::memory_order_relaxed);
      me.sleeper.sleep_until(fresh);
    }
    // Read the job consistently (seqlock), then take part if it wants this worker.
    const uint32_t s = P.seq.load(std::memory_order_acquire);
    if (s & 1) {
      cpu_relax();
      continue;
    }
    const TaskFn fn = P.fn.load(std::memory_order_relaxed);
    void* const ctx = P.ctx.load(std::memory_order_relaxed);
    const int ntasks = P.ntasks.load(std::memory_order_relaxed);
    const int helpers = P.helpers.load(std::memory_order_relaxed);
    const bool pinned = P.pinned.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (P.seq.load(std::memory_order_relaxed) != s) continue;
    me.seen = s;
    if (me.index >= helpers) continue;
    if (pinned) {
      // The caller waits for this task, so the job cannot have moved on.
      run_task(fn, ctx, me.index + 1);
      P.workerTasks.fetch_add(1, std::memory_order_relaxed);
      finish_task(P, ntasks);
    } else {
      claim_tasks(P, s, fn, ctx, ntasks, me.index + 1, true);
    }
    idleSince = now_seconds();
  }
  return nullptr;
}

// Starts workers until there are `n` (or thread creation fails); returns how many there are.
int ensure_workers(Pool& P, int n) {
  int have = P.nworkers.load(std::memory_order_relaxed);
  if (have >= n) return have;
  // Workers take no signals: Node's threads handle them.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  for (; have < n; ++have) {
    Worker* w = new (std::nothrow) Worker();
    if (w == nullptr) break;  // out of memory: run with the workers there are
    w->index = have;
    w->seen = P.seq.load(std::memory_order_relaxed);
    P.workers[have] = w;
    pthread_t t;
    if (pthread_create(&t, nullptr, worker_main, w) != 0) {
      P.workers[have] = nullptr;
      delete w;
      break;
    }
    pthread_detach(t);
  }
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  P.nworkers.store(have, std::memory_order_relaxed);
  return have;
}

void run_serially(int ntasks, TaskFn fn, void* ctx) {
  for (int t = 0; t < ntasks; ++t) run_task(fn, ctx, t);
}

// Publishes a job for `helpers` workers, runs the caller's share, waits for the rest.
void run_job(Pool& P, int ntasks, int helpers, bool pinned, TaskFn fn, void* ctx) {
  const uint32_t s = P.seq.load(std::memory_order_relaxed) + 2;
  P.seq.store(s - 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  P.fn.store(fn, std::memory_order_relaxed);
  P.ctx.store(ctx, std::memory_order_relaxed);
  P.ntasks.store(ntasks, std::memory_order_relaxed);
  P.helpers.store(helpers, std::memory_order_relaxed);
  P.pinned.store(pinned, std::memory_order_relaxed);
  P.done.store(0, std::memory_order_relaxed);
  // A pinned job's tasks are not claimed: they are all marked taken.
  P.claim.store((uint64_t)s << 32 | (pinned ? ~0u : 0u), std::memory_order_relaxed);
  P.seq.store(s);
  for (int w = 0; w < helpers; ++w) P.workers[w]->sleeper.wake();
  P.parallelJobs.fetch_add(1, std::memory_order_relaxed);

  if (pinned) {
    run_task(fn, ctx, 0);
    finish_task(P, ntasks);
  } else {
    claim_tasks(P, s, fn, ctx, ntasks, 0, false);
  }
  auto finished = [&] { return P.done.load() == ntasks; };
  if (!spin_until(finished, now_seconds(), P.callerSpin.load(std::memory_order_relaxed))) {
    P.callerSleeps.fetch_add(1, std::memory_order_relaxed);
    P.caller.sleep_until(finished);
  }
}

// Runs a job on up to `threads` threads; returns how many took part (0: nothing ran,
// because the pool was busy or no worker could be started; the caller runs it serially).
int dispatch(int ntasks, int threads, bool pinned, TaskFn fn, void* ctx) {
  Pool& P = pool();
  // Jobs do not nest and two Node threads do not share the pool: whoever finds it taken runs serially.
  if (P.busy.exchange(true, std::memory_order_acquire)) {
    P.busyFallbacks.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  const int workers = ensure_workers(P, threads - 1);
  const int helpers = threads - 1 < workers ? threads - 1 : workers;
  if (helpers > 0) run_job(P, pinned ? helpers + 1 : ntasks, helpers, pinned, fn, ctx);
  P.busy.store(false, std::memory_order_release);
  return helpers > 0 ? helpers + 1 : 0;
}

}  // namespace

int available_cores() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? (int)n : 1;
}

int parallel_budget() {
  if (tl_in_task) return 1;
  if (tl_budget > 0) return tl_budget;
  static const int cores = available_cores() < kMaxThreads ? available_cores() : kMaxThreads;
  return cores;
}

void set_parallel_budget(int threads) {
  tl_budget = threads <= 0 ? 0 : threads > kMaxThreads ? kMaxThreads : threads;
}

void parallel_run(int ntasks, void (*fn)(void*, int), void* ctx) {
  const int budget = parallel_budget();
  if (ntasks <= 1 || budget <= 1 || ntasks > kMaxTasks || dispatch(ntasks, budget < ntasks ? budget : ntasks, false, fn, ctx) == 0)
    run_serially(ntasks, fn, ctx);
}

int parallel_run_each(int n, void (*fn)(void*, int), void* ctx) {
  const int budget = parallel_budget();
  if (n > budget) n = budget;
  if (n > kMaxTasks) n = kMaxTasks;
  if (n <= 1) {
    fn(ctx, 0);
    return 1;
  }
  const int ran = dispatch(n, n, true, fn, ctx);
  if (ran == 0) {
    fn(ctx, 0);
    return 1;
  }
  return ran;
}

namespace {
std::atomic<size_t> g_scratch_failure{0};
std::atomic<size_t> g_scratch_limit{SIZE_MAX};
}  // namespace

void note_scratch_failure(size_t bytes) {
  size_t seen = g_scratch_failure.load(std::memory_order_relaxed);
  while (seen < bytes && !g_scratch_failure.compare_exchange_weak(seen, bytes, std::memory_order_relaxed)) {
  }
}
size_t take_scratch_failure() { return g_scratch_failure.exchange(0, std::memory_order_relaxed); }
size_t scratch_limit() { return g_scratch_limit.load(std::memory_order_relaxed); }
void set_scratch_limit(size_t bytes) { g_scratch_limit.store(bytes, std::memory_order_relaxed); }

const ParallelThresholds& parallel_thresholds() { return g_thresholds; }
const ParallelThresholds& default_parallel_thresholds() { return kParallelThresholds; }
void set_parallel_thresholds(const ParallelThresholds& t) { g_thresholds = t; }

PoolTuning pool_tuning() {
  Pool& P = pool();
  return {P.workerSpin.load(), P.callerSpin.load()};
}
void set_pool_tuning(const PoolTuning& t) {
  Pool& P = pool();
  P.workerSpin.store(t.workerSpinSeconds);
  P.callerSpin.store(t.callerSpinSeconds);
}

PoolStats pool_stats() {
  Pool& P = pool();
  return {P.parallelJobs.load(), P.busyFallbacks.load(), P.workerTasks.load(), P.workerSleeps.load(),
          P.callerSleeps.load(), P.nworkers.load()};
}

}  // namespace hyperrl

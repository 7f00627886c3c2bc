// The worker pool's controls, used by binding.cc (kernels only need kernels.h).
#pragma once
#include <stdint.h>

#include "kernels.h"

namespace hyperrl {

// Cores this process may run on (its CPU affinity mask; all online CPUs where there is none).
int available_cores();

enum { kMaxThreads = 256 };

// The calling thread's budget (clamped to [1, kMaxThreads]); 0 restores the default, available_cores().
void set_parallel_budget(int threads);

void set_parallel_thresholds(const ParallelThresholds& t);
const ParallelThresholds& default_parallel_thresholds();

// How long an idle thread spins (checking for work) before it sleeps.
struct PoolTuning {
  double workerSpinSeconds;  // a worker after its last task
  double callerSpinSeconds;  // the calling thread waiting for workers to finish their tasks
};
PoolTuning pool_tuning();
void set_pool_tuning(const PoolTuning& t);

// Runs fn(ctx, t) for t < n, each on its own thread at the same time (task 0 on the
// caller): for measuring several cores at once. n is clamped to the calling thread's budget;
// returns the number of tasks run.
int parallel_run_each(int n, void (*fn)(void* ctx, int task), void* ctx);

// Counters since the process started (for the spin measurement and tests).
struct PoolStats {
  uint64_t parallelJobs;    // jobs split over ≥ 2 tasks and dispatched to the pool
  uint64_t busyFallbacks;   // jobs run serially because another thread held the pool
  uint64_t workerTasks;     // tasks run by workers (the rest ran on the calling thread)
  uint64_t workerSleeps;    // times a worker went to sleep after its spin
  uint64_t callerSleeps;    // times a caller slept waiting for a worker's task
  int workers;              // worker threads started
};
PoolStats pool_stats();

}  // namespace hyperrl

// A small pool of persistent worker threads for `ComputeThreads.parallelFor`.
//
// Why not Dispatch: on this project's machines (virtual CPUs) a worker woken through a futex is
// often run on the waker's own CPU, or its idle virtual CPU takes a millisecond or more to
// resume, so two 200 µs halves of a loop took 410 µs — no faster than one thread. A worker that
// keeps polling for new work for a short while after its last chunk is on its CPU when the next
// loop starts, and the same two halves take 200 µs. After `CK_SPIN_NANOSECONDS` without work a
// worker parks on a condition variable, so an idle program does not burn a core. While polling
// it calls `sched_yield` now and then, so other runnable threads are not held up.

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "CKernels.h"

/// How long a worker keeps polling for new work after its last chunk (2 ms: longer than the
/// gaps between the layers of a forward pass).
#define CK_SPIN_NANOSECONDS 2000000L
/// Worker threads the pool will create at most.
#define CK_MAX_WORKERS 63

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static atomic_flag pool_busy = ATOMIC_FLAG_INIT;

// The current job; written under `pool_lock` and only while no chunk of the previous job is
// unclaimed or running.
static ck_parallel_task job_task;
static void *job_context;
static long job_chunks;
static long job_next;
static atomic_long job_done;
static atomic_long job_generation;

static long worker_count;
static long parked_count;

/// Non-zero while this thread runs a chunk of a parallel job (see `ck_parallel_in_chunk`).
static _Thread_local int running_chunk;

int ck_parallel_in_chunk(void) { return running_chunk; }

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static inline long monotonic_nanoseconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long)t.tv_sec * 1000000000L + t.tv_nsec;
}

/// Claims and runs chunks of the current job until none is left. Called with `pool_lock` held;
/// returns with it held.
static void run_chunks(void) {
  while (job_next < job_chunks) {
    long chunk = job_next++;
    ck_parallel_task task = job_task;
    void *context = job_context;
    pthread_mutex_unlock(&pool_lock);
    running_chunk++;
    task(context, chunk);
    running_chunk--;
    atomic_fetch_add_explicit(&job_done, 1, memory_order_release);
    pthread_mutex_lock(&pool_lock);
  }
}

static void *worker_main(void *unused) {
  (void)unused;
  long seen = atomic_load_explicit(&job_generation, memory_order_acquire);
  for (;;) {
    // Poll for a new job, then park.
    long deadline = monotonic_nanoseconds() + CK_SPIN_NANOSECONDS;
    long polls = 0;
    while (atomic_load_explicit(&job_generation, memory_order_acquire) == seen) {
      cpu_relax();
      if (++polls % 256 == 0) {
        if (monotonic_nanoseconds() > deadline) break;
        if (polls % 4096 == 0) sched_yield();
      }
    }
    pthread_mutex_lock(&pool_lock);
    while (atomic_load_explicit(&job_generation, memory_order_acquire) == seen) {
      parked_count++;
      pthread_cond_wait(&pool_wake, &pool_lock);
      parked_count--;
    }
    seen = atomic_load_explicit(&job_generation, memory_order_acquire);
    run_chunks();
    pthread_mutex_unlock(&pool_lock);
  }
  return 0;
}

void ck_parallel_run(long chunks, ck_parallel_task task, void *context) {
  if (chunks <= 1 || atomic_flag_test_and_set_explicit(&pool_busy, memory_order_acquire)) {
    // One chunk, or the pool is busy (a nested or concurrent call): run inline.
    for (long chunk = 0; chunk < chunks; chunk++) task(context, chunk);
    return;
  }
  pthread_mutex_lock(&pool_lock);
  long wanted = chunks - 1 < CK_MAX_WORKERS ? chunks - 1 : CK_MAX_WORKERS;
  while (worker_count < wanted) {
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    int failed = pthread_create(&thread, &attributes, worker_main, 0);
    pthread_attr_destroy(&attributes);
    if (failed) break;  // Fewer workers: the calling thread runs the remaining chunks.
    worker_count++;
  }
  job_task = task;
  job_context = context;
  job_chunks = chunks;
  job_next = 0;
  atomic_store_explicit(&job_done, 0, memory_order_relaxed);
  atomic_fetch_add_explicit(&job_generation, 1, memory_order_release);
  if (parked_count > 0) pthread_cond_broadcast(&pool_wake);
  run_chunks();
  pthread_mutex_unlock(&pool_lock);
  // Wait for the chunks the workers took.
  long polls = 0;
  while (atomic_load_explicit(&job_done, memory_order_acquire) < chunks) {
    cpu_relax();
    if (++polls % 4096 == 0) sched_yield();
  }
  atomic_flag_clear_explicit(&pool_busy, memory_order_release);
}

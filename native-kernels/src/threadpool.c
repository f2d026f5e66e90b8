/*
 * threadpool.c - the persistent worker pool of a context.
 *
 * A run publishes (fn, arg) and bumps a generation counter. Workers that finished the previous run spin on
 * that counter for a short while (a decode step issues many matvecs back to back, and waking a sleeping thread costs
 * tens of microseconds), then go to sleep on a condition variable so an idle context does not burn cores. The caller
 * takes part as thread 0, then waits for the `pending` count of workers to reach zero. Every worker takes part in
 * every run (work functions hand out chunks from an atomic counter, so a thread with nothing left returns at once);
 * that keeps each worker exactly one generation behind the caller at the start of a run.
 *
 * Lost wake-ups are excluded by a Dekker-style handshake on two sequentially consistent atomics: a worker increments
 * `sleepers` and re-reads `generation` (under the mutex) before waiting; the caller bumps `generation` and then reads
 * `sleepers`, broadcasting (under the mutex) when it is non-zero. One of the two always sees the other's write.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

#include "internal.h"

/* How long an idle worker spins before sleeping, and how long the caller spins before yielding its core. */
#define SPIN_NS 100000L
#define CALLER_SPINS_BEFORE_YIELD 4096

typedef struct worker {
    moe_pool *pool;
    int index; /* 1..n_threads-1 */
    pthread_t thread;
} worker;

struct moe_pool {
    int n_threads;
    worker *workers;       /* n_threads - 1 */
    atomic_uint generation; /* bumped once per run (and once at shutdown) */
    atomic_int pending;     /* workers that have not finished the current run */
    atomic_int sleepers;    /* workers blocked (or about to block) on `wake` */
    atomic_int stop;
    moe_pool_fn fn;         /* current run: written by the caller before the generation bump */
    void *arg;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
};

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Waits until the generation differs from `seen`; returns the new generation. */
static unsigned wait_for_run(moe_pool *p, unsigned seen) {
    const int64_t deadline = now_ns() + SPIN_NS;
    for (int i = 0;; i++) {
        unsigned g = atomic_load_explicit(&p->generation, memory_order_acquire);
        if (g != seen) {
            return g;
        }
        cpu_relax();
        if ((i & 63) == 63 && now_ns() > deadline) {
            break;
        }
    }
    pthread_mutex_lock(&p->mutex);
    atomic_fetch_add(&p->sleepers, 1);
    unsigned g;
    while ((g = atomic_load(&p->generation)) == seen) {
        pthread_cond_wait(&p->wake, &p->mutex);
    }
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->mutex);
    return g;
}

static void *worker_main(void *opaque) {
    worker *w = (worker *)opaque;
    moe_pool *p = w->pool;
    unsigned seen = 0; /* the pool starts at generation 0 */
    for (;;) {
        seen = wait_for_run(p, seen);
        if (atomic_load_explicit(&p->stop, memory_order_acquire)) {
            return NULL;
        }
        p->fn(p->arg, w->index);
        atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel);
    }
}

/* Wakes workers that went to sleep; callers bump `generation` first. */
static void wake_sleepers(moe_pool *p) {
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mutex);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mutex);
    }
}

static void stop_workers(moe_pool *p, int n_started) {
    atomic_store(&p->stop, 1);
    atomic_fetch_add(&p->generation, 1);
    pthread_mutex_lock(&p->mutex);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mutex);
    for (int i = 0; i < n_started; i++) {
        pthread_join(p->workers[i].thread, NULL);
    }
}

int moe_pool_create(int n_threads, moe_pool **out) {
    *out = NULL;
    moe_pool *p = (moe_pool *)calloc(1, sizeof(*p));
    if (p == NULL) {
        return MOE_ERR_OUT_OF_MEMORY;
    }
    p->n_threads = n_threads;
    atomic_init(&p->generation, 0);
    atomic_init(&p->pending, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->stop, 0);
    if (n_threads > 1) {
        p->workers = (worker *)calloc((size_t)(n_threads - 1), sizeof(worker));
        if (p->workers == NULL) {
            free(p);
            return MOE_ERR_OUT_OF_MEMORY;
        }
    }
    if (pthread_mutex_init(&p->mutex, NULL) != 0) {
        free(p->workers);
        free(p);
        return MOE_ERR_THREAD;
    }
    if (pthread_cond_init(&p->wake, NULL) != 0) {
        pthread_mutex_destroy(&p->mutex);
        free(p->workers);
        free(p);
        return MOE_ERR_THREAD;
    }
    for (int i = 0; i < n_threads - 1; i++) {
        p->workers[i].pool = p;
        p->workers[i].index = i + 1;
        if (pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]) != 0) {
            stop_workers(p, i);
            pthread_cond_destroy(&p->wake);
            pthread_mutex_destroy(&p->mutex);
            free(p->workers);
            free(p);
            return MOE_ERR_THREAD;
        }
    }
    *out = p;
    return MOE_OK;
}

void moe_pool_destroy(moe_pool *p) {
    if (p == NULL) {
        return;
    }
    stop_workers(p, p->n_threads - 1);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mutex);
    free(p->workers);
    free(p);
}

void moe_pool_run(moe_pool *p, moe_pool_fn fn, void *arg) {
    if (p->n_threads <= 1) {
        fn(arg, 0);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    atomic_store_explicit(&p->pending, p->n_threads - 1, memory_order_relaxed);
    atomic_fetch_add(&p->generation, 1); /* seq_cst: publishes fn/arg/pending, pairs with `sleepers` */
    wake_sleepers(p);
    fn(arg, 0);
    for (int i = 0; atomic_load_explicit(&p->pending, memory_order_acquire) != 0; i++) {
        if (i < CALLER_SPINS_BEFORE_YIELD) {
            cpu_relax();
        } else {
            sched_yield(); /* a worker may be descheduled (more threads than cores) */
        }
    }
}

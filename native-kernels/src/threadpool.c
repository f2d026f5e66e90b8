/*
 * threadpool.c - the persistent worker pool of a context.
 *
 * One 64-bit atomic word describes the current run: its sequence number (high 32 bits), a "closed" bit and the number
 * of workers inside it. A run publishes (fn, arg), then opens a new run word. Idle workers spin on that word for a
 * short while (a decode step issues many products back to back, and waking a sleeping thread costs tens of
 * microseconds), then go to sleep on a condition variable so an idle context does not burn cores. A worker that sees a
 * new open run joins it by incrementing the count (compare-and-swap, so it cannot join a closed or newer run by
 * mistake), runs fn and leaves. The caller runs fn as thread 0, then closes the run and waits only for the workers that
 * joined. Work functions hand out chunks from an atomic counter, so whichever threads take part, the work gets done.
 *
 * Why not wait for every worker: on a shared or oversubscribed machine a worker can be descheduled for milliseconds.
 * If the caller had to wait for each worker to acknowledge each run (as a plain barrier does), every product would
 * stall for the worker's time slice even when the caller had already done all the work; here a late worker simply
 * misses the run.
 *
 * Lost wake-ups are excluded by a Dekker-style handshake on two sequentially consistent atomics: a worker increments
 * `sleepers` and re-reads the run word (under the mutex) before waiting; the caller stores the new run word and then
 * reads `sleepers`, broadcasting (under the mutex) when it is non-zero. One of the two always sees the other's write.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ volatile("yield" ::: "memory")
#else
#define cpu_relax() ((void)0)
#endif

#include "internal.h"

/* How long an idle worker spins before sleeping, and how long the caller spins before yielding its core. */
#define SPIN_NS 100000L
#define CALLER_SPINS_BEFORE_YIELD 4096

/* The run word: sequence number << 32 | RUN_CLOSED | workers inside the run. */
#define RUN_CLOSED ((uint64_t)1 << 31)
#define RUN_INSIDE ((uint64_t)RUN_CLOSED - 1)

typedef struct worker {
    moe_pool *pool;
    int index; /* 1..n_threads-1 */
    pthread_t thread;
} worker;

struct moe_pool {
    int n_threads;
    worker *workers;        /* n_threads - 1 */
    _Atomic uint64_t run;   /* the current run (see the top of this file); closed and empty between runs */
    atomic_int sleepers;    /* workers blocked (or about to block) on `wake` */
    atomic_int stop;
    moe_pool_fn fn;         /* current run: written by the caller while no worker is inside a run */
    void *arg;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
};

static uint32_t seq_of(uint64_t run) {
    return (uint32_t)(run >> 32);
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Waits until the run word carries a sequence number other than `seen`; returns that word. */
static uint64_t wait_for_run(moe_pool *p, uint32_t seen) {
    const int64_t deadline = now_ns() + SPIN_NS;
    for (int i = 0;; i++) {
        uint64_t r = atomic_load_explicit(&p->run, memory_order_acquire);
        if (seq_of(r) != seen) {
            return r;
        }
        cpu_relax();
        if ((i & 63) == 63 && now_ns() > deadline) {
            break;
        }
    }
    pthread_mutex_lock(&p->mutex);
    atomic_fetch_add(&p->sleepers, 1);
    uint64_t r;
    while (seq_of(r = atomic_load(&p->run)) == seen) {
        pthread_cond_wait(&p->wake, &p->mutex);
    }
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->mutex);
    return r;
}

static void *worker_main(void *opaque) {
    worker *w = (worker *)opaque;
    moe_pool *p = w->pool;
    uint32_t seen = 0; /* the pool starts at sequence 0, closed */
    for (;;) {
        uint64_t r = wait_for_run(p, seen);
        if (atomic_load_explicit(&p->stop, memory_order_acquire)) {
            return NULL;
        }
        /* Join the run if it is still open. A failed CAS reloads r: a newer open run may be joined instead. */
        while ((r & RUN_CLOSED) == 0) {
            if (atomic_compare_exchange_weak_explicit(&p->run, &r, r + 1, memory_order_acquire,
                                                      memory_order_acquire)) {
                p->fn(p->arg, w->index);
                atomic_fetch_sub_explicit(&p->run, 1, memory_order_release);
                break;
            }
        }
        seen = seq_of(r);
    }
}

/* Wakes workers that went to sleep; callers store the new run word first. */
static void wake_sleepers(moe_pool *p) {
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mutex);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mutex);
    }
}

static void stop_workers(moe_pool *p, int n_started) {
    atomic_store(&p->stop, 1);
    atomic_fetch_add(&p->run, (uint64_t)1 << 32); /* a new sequence number (still closed) wakes every worker */
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
    atomic_init(&p->run, RUN_CLOSED);
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
    const uint64_t previous = atomic_load_explicit(&p->run, memory_order_relaxed); /* closed, nobody inside */
    /* seq_cst: publishes fn/arg to joiners, and pairs with `sleepers` in wake_sleepers */
    atomic_store(&p->run, (uint64_t)(seq_of(previous) + 1) << 32);
    wake_sleepers(p);
    fn(arg, 0);
    atomic_fetch_or_explicit(&p->run, RUN_CLOSED, memory_order_acq_rel);
    for (int i = 0; (atomic_load_explicit(&p->run, memory_order_acquire) & RUN_INSIDE) != 0; i++) {
        if (i < CALLER_SPINS_BEFORE_YIELD) {
            cpu_relax();
        } else {
            sched_yield(); /* a worker inside the run may be descheduled (more threads than cores) */
        }
    }
}

/*
 * emu_device.h - a CPU emulation of the parts of the CUDA execution model that libmoe4j_cuda's kernels use, so that
 * the very kernel sources (compiled as C++ with MOE_CUDA_EMULATION) run in tests on machines without a GPU.
 *
 * Model: the blocks of a launch run one after another; the threads of a block are fibers (ucontext) on the calling
 * host thread, each running until it waits at a barrier and resumed only once that barrier has opened, so a block
 * runs deterministically and cheaply.
 * __shared__ variables become function statics (one copy, shared by the block's threads, reused by the next block).
 * __syncthreads() is a barrier of the block, __shfl_xor_sync a two-phase exchange among the 32 threads of a warp; a
 * thread that returns drops out of both barriers (the kernels only return whole warps early). A block whose threads
 * all wait at barriers that can no longer complete aborts with a message (a divergent __syncthreads). Arithmetic intrinsics
 * are their IEEE-rounded host equivalents (this code is built with -ffp-contract=off, so _rn operations stay unfused,
 * as on the GPU). Not modelled: the memory model of concurrent blocks, asynchronous streams, real timing.
 *
 * What the emulation shows: the indexing, tiling, synchronization, reductions, plans and argument handling of the
 * kernels and their launchers are right. What it cannot show: anything that depends on the hardware (performance,
 * device libm accuracy, races between blocks, driver behaviour); check-gpu.sh covers those on a real GPU.
 */
#ifndef MOE4J_EMU_DEVICE_H
#define MOE4J_EMU_DEVICE_H

#include <cuda_runtime_api.h> /* the real host header: dim3, uint3, float2/4, error codes */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <ucontext.h>

#include <functional>
#include <memory>
#include <vector>

#undef __shared__
#define __shared__ static
#ifndef __launch_bounds__
#define __launch_bounds__(...)
#endif

inline thread_local uint3 threadIdx;
inline thread_local uint3 blockIdx;
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;

/* A barrier among fibers: `expected` live members; a phase completes when all of them have arrived. */
struct moe_emu_barrier {
    int expected = 0;
    int arrived = 0;
    uint64_t phase = 0;
};

struct moe_emu_fiber {
    ucontext_t ctx; /* the entry context, used once */
    jmp_buf jmp;    /* where the fiber resumes after a yield */
    bool started;
    uint3 tid;
    bool done;
    const moe_emu_barrier *waiting_on; /* resumed only once this barrier has left waiting_phase */
    uint64_t waiting_phase;
};

/* The block being run on this host thread. */
struct moe_emu_block {
    jmp_buf scheduler;
    ucontext_t entry; /* scratch: swapcontext wants somewhere to save the scheduler, which resumes by longjmp */
    std::vector<moe_emu_fiber> fibers;
    moe_emu_barrier block_barrier;
    std::vector<moe_emu_barrier> warp_barriers;
    std::vector<uint64_t> warp_slots; /* 32 per warp */
    std::function<void()> body;
    size_t current = 0;
};

inline thread_local moe_emu_block *moe_emu_this;

/* Switches are _setjmp/_longjmp between the fiber stacks (no signal-mask syscall, unlike swapcontext); only the first
 * entry into a fiber goes through swapcontext. */
inline void moe_emu_yield() {
    if (_setjmp(moe_emu_this->fibers[moe_emu_this->current].jmp) == 0) {
        _longjmp(moe_emu_this->scheduler, 1);
    }
}

inline void moe_emu_wait(moe_emu_barrier &bar) {
    const uint64_t phase = bar.phase;
    if (++bar.arrived == bar.expected) {
        bar.arrived = 0;
        bar.phase++;
        return;
    }
    moe_emu_fiber &self = moe_emu_this->fibers[moe_emu_this->current];
    self.waiting_on = &bar;
    self.waiting_phase = phase;
    while (bar.phase == phase) {
        moe_emu_yield();
    }
    self.waiting_on = nullptr;
}

/* A member leaves for good (its thread returned); the others may now be complete. */
inline void moe_emu_drop(moe_emu_barrier &bar) {
    bar.expected--;
    if (bar.arrived > 0 && bar.arrived == bar.expected) {
        bar.arrived = 0;
        bar.phase++;
    }
}

inline void __syncthreads() {
    moe_emu_wait(moe_emu_this->block_barrier);
}

template <class T> inline T __shfl_xor_sync(unsigned /*mask: always the full warp here*/, T v, int lane_mask) {
    static_assert(sizeof(T) <= 8, "shuffles of up to 64 bits");
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
    uint64_t *slots = moe_emu_this->warp_slots.data() + 32 * warp;
    uint64_t b = 0;
    memcpy(&b, &v, sizeof v);
    slots[lane] = b;
    moe_emu_wait(moe_emu_this->warp_barriers[warp]);
    const uint64_t r = slots[lane ^ (unsigned)lane_mask];
    moe_emu_wait(moe_emu_this->warp_barriers[warp]); /* nobody overwrites a slot before everyone has read it */
    T out;
    memcpy(&out, &r, sizeof out);
    return out;
}

template <class T> inline T __ldg(const T *p) {
    return *p;
}

inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return sqrtf(a); }

inline float __uint_as_float(unsigned u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

struct __half {
    unsigned short x;
};

inline __half __ushort_as_half(unsigned short u) {
    return __half{u};
}

/* Exact binary16 -> binary32 (subnormals normalized; NaN keeps sign and payload, quiet bit set). */
inline float __half2float(__half h) {
    const uint32_t sign = (uint32_t)(h.x & 0x8000u) << 16, exp = (h.x >> 10) & 0x1Fu, man = h.x & 0x3FFu;
    if (exp == 0x1F) {
        return __uint_as_float(sign | 0x7F800000u | (man << 13) | (man ? 0x00400000u : 0));
    }
    if (exp == 0) {
        const float v = (float)man * 0x1p-24f;
        return sign ? -v : v;
    }
    return __uint_as_float(sign | ((exp + 112) << 23) | (man << 13));
}

inline void moe_emu_fiber_main() {
    moe_emu_block *b = moe_emu_this;
    b->body();
    b->fibers[b->current].done = true;
    moe_emu_drop(b->block_barrier);
    moe_emu_drop(b->warp_barriers[b->fibers[b->current].tid.x >> 5]);
    _longjmp(b->scheduler, 1); /* never returns into the ucontext machinery */
}

/* Fiber stacks, kept across launches (64 KiB each: the kernels keep at most a few hundred bytes of locals). */
inline std::vector<std::unique_ptr<char[]>> &moe_emu_stacks() {
    static thread_local std::vector<std::unique_ptr<char[]>> stacks;
    return stacks;
}
constexpr size_t MOE_EMU_STACK = 64 * 1024;

/* Runs every block of the grid in turn; a block's threads are fibers on this host thread, switched at barriers. */
template <class... P, class... A> void moe_emu_launch(void (*kernel)(P...), dim3 grid, dim3 block, A... args) {
    const size_t n = (size_t)block.x * block.y * block.z;
    auto &stacks = moe_emu_stacks();
    while (stacks.size() < n) {
        stacks.emplace_back(new char[MOE_EMU_STACK]);
    }
    for (unsigned bz = 0; bz < grid.z; bz++) {
        for (unsigned by = 0; by < grid.y; by++) {
            for (unsigned bx = 0; bx < grid.x; bx++) {
                moe_emu_block b;
                b.body = [&] { kernel(args...); };
                b.fibers.resize(n);
                b.block_barrier.expected = (int)n;
                b.warp_barriers.resize((n + 31) / 32);
                b.warp_slots.resize(32 * b.warp_barriers.size());
                for (size_t w = 0; w < b.warp_barriers.size(); w++) {
                    b.warp_barriers[w].expected = (int)(n - 32 * w < 32 ? n - 32 * w : 32);
                }
                for (size_t t = 0; t < n; t++) {
                    moe_emu_fiber &f = b.fibers[t];
                    f.tid = uint3{(unsigned)(t % block.x), (unsigned)(t / block.x % block.y),
                                  (unsigned)(t / ((size_t)block.x * block.y))};
                    f.done = false;
                    f.started = false;
                    f.waiting_on = nullptr;
                    getcontext(&f.ctx);
                    f.ctx.uc_stack.ss_sp = stacks[t].get();
                    f.ctx.uc_stack.ss_size = MOE_EMU_STACK;
                    f.ctx.uc_link = nullptr;
                    makecontext(&f.ctx, moe_emu_fiber_main, 0);
                }
                moe_emu_block *outer = moe_emu_this;
                moe_emu_this = &b;
                blockIdx = uint3{bx, by, bz};
                blockDim = block;
                gridDim = grid;
                for (size_t live = n; live > 0;) {
                    size_t resumed = 0;
                    live = 0;
                    for (size_t t = 0; t < n; t++) {
                        moe_emu_fiber &f = b.fibers[t];
                        if (f.done) {
                            continue;
                        }
                        if (f.waiting_on == nullptr || f.waiting_on->phase != f.waiting_phase) {
                            b.current = t;
                            threadIdx = f.tid;
                            if (_setjmp(b.scheduler) == 0) {
                                if (!f.started) {
                                    f.started = true;
                                    swapcontext(&b.entry, &f.ctx);
                                } else {
                                    _longjmp(f.jmp, 1);
                                }
                            }
                            resumed++;
                        }
                        live += !f.done;
                    }
                    if (live > 0 && resumed == 0) {
                        fprintf(stderr, "emulation: block (%u,%u,%u) deadlocked at a barrier\n", bx, by, bz);
                        abort();
                    }
                }
                moe_emu_this = outer;
            }
        }
    }
}

#endif /* MOE4J_EMU_DEVICE_H */

/*
 * cuda_host_test.cpp - what libmoe4j_cuda decides on the host, tested without a GPU (runs in ctest everywhere):
 *   - status names, and the mapping of CUDA runtime errors to statuses (the "use the CPU" answers above all);
 *   - messages: the call, CUDA's description and the error name; per thread;
 *   - every argument check, on fake buffer handles (the checks never touch device memory), including the overflow
 *     and alignment edges;
 *   - the RoPE argument rules agree with libmoe4j's moe_op_rope on a grid of valid and invalid parameter sets.
 */
#include <cuda_runtime_api.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string>
#include <thread>
#include <vector>

#include "cuda_internal.h"

extern "C" {
#include "moe4j.h"
}

static int failures;

#define CHECK(cond, ...)                                                                                               \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            failures++;                                                                                                \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                                       \
            fprintf(stderr, __VA_ARGS__);                                                                              \
            fprintf(stderr, "\n");                                                                                     \
        }                                                                                                              \
    } while (0)

static bool message_has(const char *needle) {
    return strstr(moe_cuda_last_error(), needle) != nullptr;
}

/* A handle on a pretend device range: the checks only look at ptr and bytes. */
static moe_cuda_buf fake(uintptr_t address, int64_t bytes) {
    moe_cuda_buf b;
    b.mem = nullptr;
    b.ptr = reinterpret_cast<char *>(address);
    b.bytes = bytes;
    b.device = 0;
    return b;
}

static void test_statuses() {
    const int all[] = {MOE_CUDA_OK,         MOE_CUDA_ERR_INVALID_ARG, MOE_CUDA_ERR_UNSUPPORTED_TYPE,
                       MOE_CUDA_ERR_OUT_OF_MEMORY, MOE_CUDA_ERR_NO_DEVICE, MOE_CUDA_ERR_NO_DRIVER,
                       MOE_CUDA_ERR_DEVICE};
    for (int a : all) {
        CHECK(strcmp(moe_cuda_status_str(a), "unknown status") != 0, "status %d has a name", a);
        for (int b : all) {
            CHECK(a == b || strcmp(moe_cuda_status_str(a), moe_cuda_status_str(b)) != 0, "names of %d, %d differ", a, b);
        }
    }
    CHECK(strcmp(moe_cuda_status_str(-99), "unknown status") == 0, "unknown status");
    /* the values shared with moe4j.h mean the same */
    CHECK(MOE_CUDA_ERR_INVALID_ARG == MOE_ERR_INVALID_ARG && MOE_CUDA_ERR_UNSUPPORTED_TYPE == MOE_ERR_UNSUPPORTED_TYPE &&
              MOE_CUDA_ERR_OUT_OF_MEMORY == MOE_ERR_OUT_OF_MEMORY,
          "shared status values");
    CHECK(moe_cuda_abi_version() == MOE_CUDA_ABI_VERSION, "abi version");

    struct {
        cudaError_t e;
        int status;
    } map[] = {
        {cudaSuccess, MOE_CUDA_OK},
        {cudaErrorMemoryAllocation, MOE_CUDA_ERR_OUT_OF_MEMORY},
        {cudaErrorNoDevice, MOE_CUDA_ERR_NO_DEVICE},
        {cudaErrorDevicesUnavailable, MOE_CUDA_ERR_NO_DEVICE},
        {cudaErrorInsufficientDriver, MOE_CUDA_ERR_NO_DRIVER},
        {cudaErrorStubLibrary, MOE_CUDA_ERR_NO_DRIVER},
        {cudaErrorSystemDriverMismatch, MOE_CUDA_ERR_NO_DRIVER},
        {cudaErrorInitializationError, MOE_CUDA_ERR_NO_DRIVER},
        {cudaErrorLaunchFailure, MOE_CUDA_ERR_DEVICE},
        {cudaErrorIllegalAddress, MOE_CUDA_ERR_DEVICE},
        {cudaErrorNoKernelImageForDevice, MOE_CUDA_ERR_DEVICE},
        {cudaErrorInvalidValue, MOE_CUDA_ERR_DEVICE},
    };
    for (const auto &m : map) {
        CHECK(moe_cuda_status_of(m.e) == m.status, "%s -> %d, got %d", cudaGetErrorName(m.e), m.status,
              moe_cuda_status_of(m.e));
    }

    CHECK(moe_cuda_check(cudaSuccess, "nothing") == MOE_CUDA_OK, "success passes");
    CHECK(moe_cuda_check(cudaErrorIllegalAddress, "matvec kernel") == MOE_CUDA_ERR_DEVICE, "illegal address");
    CHECK(message_has("matvec kernel: ") && message_has("(cudaErrorIllegalAddress)"), "message: %s",
          moe_cuda_last_error());
    /* the message is per thread: a fresh thread has none, and its failures do not change ours */
    std::string other;
    std::thread t([&other] {
        other = moe_cuda_last_error();
        moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "from another thread");
    });
    t.join();
    CHECK(other.empty(), "a new thread starts without a message, got '%s'", other.c_str());
    CHECK(message_has("cudaErrorIllegalAddress"), "ours is unchanged: %s", moe_cuda_last_error());
}

static void test_floats() {
    moe_cuda_buf b = fake(0x10000, 400);
    CHECK(moe_cuda_check_floats("f", "x", &b, 0, 100) == MOE_CUDA_OK, "exactly fits");
    CHECK(moe_cuda_check_floats("f", "x", &b, 99, 1) == MOE_CUDA_OK, "last float");
    CHECK(moe_cuda_check_floats("f", "x", &b, 0, 101) == MOE_CUDA_ERR_INVALID_ARG, "one too many");
    CHECK(message_has("f: x holds 400 bytes"), "message: %s", moe_cuda_last_error());
    CHECK(moe_cuda_check_floats("f", "x", &b, 100, 1) == MOE_CUDA_ERR_INVALID_ARG, "past the end");
    CHECK(moe_cuda_check_floats("f", "x", &b, 0, 0) == MOE_CUDA_ERR_INVALID_ARG, "empty");
    CHECK(moe_cuda_check_floats("f", "x", &b, -1, 2) == MOE_CUDA_ERR_INVALID_ARG, "negative first");
    CHECK(moe_cuda_check_floats("f", "x", &b, INT64_MAX, 1) == MOE_CUDA_ERR_INVALID_ARG, "overflow");
    CHECK(moe_cuda_check_floats("f", "x", &b, 1, INT64_MAX / 4) == MOE_CUDA_ERR_INVALID_ARG, "byte overflow");
    CHECK(moe_cuda_check_floats("f", "x", nullptr, 0, 1) == MOE_CUDA_ERR_INVALID_ARG && message_has("x is NULL"),
          "NULL");
    moe_cuda_buf odd = fake(0x10002, 400);
    CHECK(moe_cuda_check_floats("f", "x", &odd, 0, 1) == MOE_CUDA_ERR_INVALID_ARG && message_has("aligned"),
          "misaligned");

    CHECK(moe_cuda_check_strided("f", "x", &b, 4, 25, 25, 0) == MOE_CUDA_OK, "4 x 25 in 100");
    CHECK(moe_cuda_check_strided("f", "x", &b, 4, 26, 20, 0) == MOE_CUDA_OK, "padded: 3*26+20 = 98");
    CHECK(moe_cuda_check_strided("f", "x", &b, 4, 27, 20, 0) == MOE_CUDA_ERR_INVALID_ARG, "3*27+20 = 101");
    CHECK(moe_cuda_check_strided("f", "x", &b, 4, 24, 25, 0) == MOE_CUDA_ERR_INVALID_ARG, "overlapping rows");
    CHECK(moe_cuda_check_strided("f", "x", &b, 4, 0, 25, 1) == MOE_CUDA_OK, "broadcast when allowed");
    CHECK(moe_cuda_check_strided("f", "x", &b, 4, -25, 25, 1) == MOE_CUDA_ERR_INVALID_ARG, "negative stride");
    CHECK(moe_cuda_check_strided("f", "x", &b, 1, -5, 25, 0) == MOE_CUDA_OK, "one vector ignores its stride");
    CHECK(moe_cuda_check_strided("f", "x", &b, INT64_MAX, INT64_MAX, 1, 0) == MOE_CUDA_ERR_INVALID_ARG, "overflow");
}

static void test_matrix() {
    int ti = -1;
    /* Q8_0: 34-byte blocks of 32; 3 rows of 64 columns = 68 bytes a row */
    moe_cuda_buf w = fake(0x20000, 3 * 68);
    CHECK(moe_cuda_check_matrix("m", 8, &w, 68, 3, 64, &ti) == MOE_CUDA_OK && ti == MCT_Q8_0, "Q8_0 fits");
    CHECK(moe_cuda_check_matrix("m", 8, &w, 68, 4, 64, &ti) == MOE_CUDA_ERR_INVALID_ARG, "4 rows do not");
    CHECK(moe_cuda_check_matrix("m", 8, &w, 70, 3, 64, &ti) == MOE_CUDA_ERR_INVALID_ARG, "padded rows do not");
    CHECK(moe_cuda_check_matrix("m", 8, &w, 67, 3, 64, &ti) == MOE_CUDA_ERR_INVALID_ARG, "rows too short");
    CHECK(moe_cuda_check_matrix("m", 8, &w, 68, 3, 48, &ti) == MOE_CUDA_ERR_INVALID_ARG && message_has("blocks"),
          "partial block");
    moe_cuda_buf w2 = fake(0x20000, 4 * 69);
    CHECK(moe_cuda_check_matrix("m", 8, &w2, 69, 3, 64, &ti) == MOE_CUDA_ERR_INVALID_ARG && message_has("aligned"),
          "odd row_bytes");
    moe_cuda_buf w3 = fake(0x20001, 3 * 68);
    CHECK(moe_cuda_check_matrix("m", 8, &w3, 68, 3, 64, &ti) == MOE_CUDA_ERR_INVALID_ARG, "odd buffer address");
    moe_cuda_buf f = fake(0x20002, 4 * 10);
    CHECK(moe_cuda_check_matrix("m", 0, &f, 4, 1, 1, &ti) == MOE_CUDA_ERR_INVALID_ARG, "F32 needs 4-byte alignment");
    CHECK(moe_cuda_check_matrix("m", 1, &f, 2, 1, 1, &ti) == MOE_CUDA_OK && ti == MCT_F16, "F16 needs 2");
    CHECK(moe_cuda_check_matrix("m", 30, &f, 6, 3, 3, &ti) == MOE_CUDA_OK && ti == MCT_BF16, "BF16 odd cols");
    /* every type the CPU has but CUDA lacks is refused as unsupported, not invalid */
    const int missing[] = {3, 6, 7, 10, 11, 13, 20, 23};
    for (int id : missing) {
        CHECK(moe_cuda_check_matrix("m", id, &w, 68, 3, 64, &ti) == MOE_CUDA_ERR_UNSUPPORTED_TYPE, "type %d", id);
    }
    CHECK(moe_cuda_check_matrix("m", 99, &w, 68, 3, 64, &ti) == MOE_CUDA_ERR_UNSUPPORTED_TYPE, "type 99");
    CHECK(message_has("weight type 99"), "message: %s", moe_cuda_last_error());
    const int present[][2] = {{0, MCT_F32},      {1, MCT_F16},     {30, MCT_BF16},    {2, MCT_Q4_0},
                              {8, MCT_Q8_0},     {12, MCT_Q4_K},   {14, MCT_Q6_K},    {19, MCT_IQ1_S},
                              {29, MCT_IQ1_M},   {16, MCT_IQ2_XXS}, {17, MCT_IQ2_XS}, {22, MCT_IQ2_S},
                              {18, MCT_IQ3_XXS}, {21, MCT_IQ3_S},  {34, MCT_TQ1_0},   {35, MCT_TQ2_0},
                              {39, MCT_MXFP4}};
    for (const auto &p : present) {
        CHECK(moe_cuda_type_of(p[0]) == p[1], "type %d", p[0]);
    }
    CHECK(sizeof present / sizeof present[0] == MCT_COUNT, "every format listed");
    /* ggml's geometry of the new formats (ggml-common.h) */
    const int64_t geometry[][3] = {{MCT_IQ1_S, 256, 50},   {MCT_IQ1_M, 256, 56},  {MCT_IQ2_XXS, 256, 66},
                                   {MCT_IQ2_XS, 256, 74},  {MCT_IQ2_S, 256, 82},  {MCT_IQ3_XXS, 256, 98},
                                   {MCT_IQ3_S, 256, 110},  {MCT_TQ1_0, 256, 54},  {MCT_TQ2_0, 256, 66},
                                   {MCT_MXFP4, 32, 17}};
    for (const auto &g : geometry) {
        const moe_cuda_type_info &t = moe_cuda_types[g[0]];
        CHECK(t.block_elems == g[1] && t.block_bytes == g[2], "%s geometry", t.name);
    }
    /* MXFP4's 17-byte blocks are read bytewise: any address and row size; the 2-byte formats refuse odd ones */
    moe_cuda_buf m = fake(0x30001, 3 * 35);
    CHECK(moe_cuda_check_matrix("m", 39, &m, 35, 3, 64, &ti) == MOE_CUDA_OK && ti == MCT_MXFP4, "MXFP4 at odd");
    CHECK(moe_cuda_check_matrix("m", 39, &m, 34, 3, 64, &ti) == MOE_CUDA_OK, "MXFP4 packed");
    CHECK(moe_cuda_check_matrix("m", 39, &m, 33, 3, 64, &ti) == MOE_CUDA_ERR_INVALID_ARG, "MXFP4 rows too short");
    moe_cuda_buf q = fake(0x30000, 3 * 67);
    CHECK(moe_cuda_check_matrix("m", 16, &q, 66, 3, 256, &ti) == MOE_CUDA_OK && ti == MCT_IQ2_XXS, "IQ2_XXS fits");
    CHECK(moe_cuda_check_matrix("m", 16, &q, 67, 3, 256, &ti) == MOE_CUDA_ERR_INVALID_ARG, "IQ2_XXS odd rows");
    moe_cuda_buf q1 = fake(0x30001, 3 * 66);
    CHECK(moe_cuda_check_matrix("m", 16, &q1, 66, 3, 256, &ti) == MOE_CUDA_ERR_INVALID_ARG, "IQ2_XXS odd address");
    moe_cuda_buf big = fake(0x40000, INT64_MAX);
    CHECK(moe_cuda_check_matrix("m", 12, &big, 144, (int64_t)1 << 31, 256, &ti) == MOE_CUDA_ERR_INVALID_ARG,
          "rows beyond int32");
    CHECK(moe_cuda_check_matrix("m", 12, &big, INT64_MAX / 2 + 1, 3, 256, &ti) == MOE_CUDA_ERR_INVALID_ARG,
          "extent overflow");
    CHECK(moe_cuda_check_matrix("m", 12, nullptr, 144, 1, 256, &ti) == MOE_CUDA_ERR_INVALID_ARG, "NULL weight");
    CHECK(moe_cuda_check_matrix("m", 12, &big, 144, 0, 256, &ti) == MOE_CUDA_ERR_INVALID_ARG, "0 rows");
}

static void test_layout_alias_ids() {
    CHECK(moe_cuda_layout_disjoint(4, 10, 3, 40, 10) == 1, "heads inside tokens");
    CHECK(moe_cuda_layout_disjoint(4, 10, 3, 39, 10) == 0, "the last head of a token overlaps the next token");
    CHECK(moe_cuda_layout_disjoint(4, 30, 3, 10, 10) == 1, "tokens inside heads");
    CHECK(moe_cuda_layout_disjoint(4, 9, 1, 0, 10) == 0, "rows overlap");
    CHECK(moe_cuda_layout_disjoint(1, -7, 1, 3, 10) == 1, "single spans ignore strides");
    CHECK(moe_cuda_layout_disjoint(2, 0, 2, 0, 1) == 0, "zero strides");
    CHECK(moe_cuda_layout_disjoint(2, INT64_MAX / 2, 2, 10, 10) == 0, "overflow");

    moe_cuda_buf a = fake(0x1000, 400), same = fake(0x1000, 400), inside = fake(0x1004, 100),
                 after = fake(0x1000 + 400, 100);
    CHECK(moe_cuda_check_alias("f", "x", &a, 400, "out", &same, 400, 1) == MOE_CUDA_OK, "in place allowed");
    CHECK(moe_cuda_check_alias("f", "x", &a, 400, "out", &same, 400, 0) == MOE_CUDA_ERR_INVALID_ARG, "in place refused");
    CHECK(moe_cuda_check_alias("f", "x", &a, 400, "out", &inside, 100, 1) == MOE_CUDA_ERR_INVALID_ARG &&
              message_has("out overlaps x"),
          "shifted overlap");
    CHECK(moe_cuda_check_alias("f", "x", &a, 400, "out", &after, 100, 0) == MOE_CUDA_OK, "adjacent");

    const int32_t ids[] = {0, 4, 2, 5};
    CHECK(moe_cuda_check_ids("f", "ids", ids, 4, 6) == MOE_CUDA_OK, "ids in range");
    CHECK(moe_cuda_check_ids("f", "ids", ids, 4, 5) == MOE_CUDA_ERR_INVALID_ARG && message_has("ids[3] = 5"),
          "id out of range: %s", moe_cuda_last_error());
    const int32_t neg[] = {1, -1};
    CHECK(moe_cuda_check_ids("f", "ids", neg, 2, 6) == MOE_CUDA_ERR_INVALID_ARG, "negative id");
    CHECK(moe_cuda_check_ids("f", "ids", nullptr, 2, 6) == MOE_CUDA_ERR_INVALID_ARG, "NULL ids");
}

/* The CUDA RoPE check accepts exactly what moe_op_rope accepts (given a buffer large enough for the layout). */
static void test_rope_rules_match_cpu() {
    moe_ctx *cpu = nullptr;
    CHECK(moe_ctx_create(MOE_CPU_SCALAR, 1, &cpu) == MOE_OK, "cpu context");
    std::vector<float> x(1 << 16, 0.5f);
    const int32_t pos[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    moe_cuda_buf b = fake(reinterpret_cast<uintptr_t>(x.data()), (int64_t)x.size() * 4);
    struct P {
        int64_t nt, ts, nh, hs, nrot;
        int mode;
        float base, fscale, ext, attn, bf, bs;
        int32_t nctx;
    };
    const P cases[] = {
        {2, 64, 4, 16, 16, 0, 10000, 1, 0, 1, 32, 1, 0},    /* plain */
        {2, 64, 4, 16, 16, 2, 10000, 0.25f, 1, 1, 32, 1, 4096}, /* YaRN NEOX */
        {2, 64, 4, 16, 15, 0, 10000, 1, 0, 1, 32, 1, 0},    /* odd n_rot */
        {2, 64, 4, 16, 0, 0, 10000, 1, 0, 1, 32, 1, 0},     /* no rotation */
        {2, 64, 4, 16, 16, 1, 10000, 1, 0, 1, 32, 1, 0},    /* bad mode */
        {2, 64, 4, 15, 16, 0, 10000, 1, 0, 1, 32, 1, 0},    /* heads overlap */
        {2, 60, 4, 16, 16, 0, 10000, 1, 0, 1, 32, 1, 0},    /* tokens overlap */
        {4, 16, 2, 64, 16, 0, 10000, 1, 0, 1, 32, 1, 0},    /* tokens inside heads */
        {2, 64, 4, 16, 16, 0, -1, 1, 0, 1, 32, 1, 0},       /* negative base */
        {2, 64, 4, 16, 16, 0, 10000, 0, 0, 1, 32, 1, 0},    /* zero freq_scale */
        {2, 64, 4, 16, 16, 0, 10000, 1, NAN, 1, 32, 1, 0},  /* NaN ext */
        {2, 64, 4, 16, 16, 0, 10000, 1, 0, INFINITY, 32, 1, 0}, /* inf attn */
        {2, 64, 4, 16, 16, 0, 1, 1, 1, 1, 32, 1, 4096},     /* YaRN with base 1 */
        {2, 64, 4, 16, 16, 0, 10000, 1, 1, 1, 32, 1, 0},    /* YaRN without n_ctx_orig */
        {2, 64, 4, 16, 16, 0, 10000, 1, 1, 1, 0, 1, 4096},  /* YaRN beta_fast 0 */
        {2, 64, 4, 16, 16, 0, 10000, 1, 0, 1, 0, 0, 0},     /* betas unused without YaRN */
        {0, 64, 4, 16, 16, 0, 10000, 1, 0, 1, 32, 1, 0},    /* no tokens */
        {1, -3, 1, -3, 16, 0, 10000, 1, 0, 1, 32, 1, 0},    /* single span: strides ignored */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const P &c = cases[i];
        std::vector<float> scratch(x); /* the CPU op writes; give it a copy */
        const int st_cpu = moe_op_rope(cpu, scratch.data(), c.nt, c.ts, c.nh, c.hs, c.nrot, pos, c.mode, c.base,
                                       c.fscale, c.ext, c.attn, c.bf, c.bs, c.nctx);
        const int st_cuda = moe_cuda_check_rope("r", &b, c.nt, c.ts, c.nh, c.hs, c.nrot, pos, c.mode, c.base, c.fscale,
                                                c.ext, c.attn, c.bf, c.bs, c.nctx);
        CHECK(st_cpu == st_cuda, "rope case %zu: cpu %d, cuda %d (%s)", i, st_cpu, st_cuda, moe_cuda_last_error());
    }
    moe_cuda_buf small = fake(reinterpret_cast<uintptr_t>(x.data()), (2 * 64) * 4 - 4);
    CHECK(moe_cuda_check_rope("r", &small, 2, 64, 4, 16, 16, pos, 0, 10000, 1, 0, 1, 32, 1, 0) ==
              MOE_CUDA_ERR_INVALID_ARG,
          "the layout must fit the buffer");
    CHECK(moe_cuda_check_rope("r", &b, 2, 64, 4, 16, 16, nullptr, 0, 10000, 1, 0, 1, 32, 1, 0) ==
              MOE_CUDA_ERR_INVALID_ARG,
          "NULL positions");
    moe_ctx_destroy(cpu);
}

int main() {
    test_statuses();
    test_floats();
    test_matrix();
    test_layout_alias_ids();
    test_rope_rules_match_cpu();
    if (failures) {
        fprintf(stderr, "cuda_host_test: %d failure(s)\n", failures);
        return 1;
    }
    printf("cuda_host_test: ok\n");
    return 0;
}

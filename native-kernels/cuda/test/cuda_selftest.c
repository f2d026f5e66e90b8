/*
 * cuda_selftest.c - every CUDA op against libmoe4j (the CPU kernels) on fresh random inputs, through the public ABIs
 * of both libraries. Runs in ctest everywhere:
 *
 * Without a usable device (no driver, or no GPU) it checks the "no device" answers: moe_cuda_device_count and
 * moe_cuda_ctx_create report MOE_CUDA_ERR_NO_DRIVER / _NO_DEVICE with a message, nothing crashes, and every entry point
 * refuses a NULL context or handle with MOE_CUDA_ERR_INVALID_ARG. Then it exits 0, unless MOE_CUDA_REQUIRE_DEVICE=1
 * (check-gpu.sh sets it, so a GPU run cannot pass by skipping).
 *
 * With a device, per format (every row of ../src/cuda_formats.def: F32 F16 BF16 Q4_0 Q8_0 Q4_K Q6_K, the i-quants
 * IQ1_S IQ1_M IQ2_XXS IQ2_XS IQ2_S IQ3_XXS IQ3_S, TQ1_0 TQ2_0 and MXFP4), on odd and even sizes, padded rows, strides:
 *   - dequantize and get_rows: bit-identical to moe_tensor_dequantize / moe_tensor_get_rows, on blocks with scales over
 *     their whole finite range and, for the i-quants, enough of them that every grid and sign-table entry is used
 *     (counted); byte-aligned formats (MXFP4) also at odd addresses and with odd row sizes;
 *   - matvec, matmul (the matvec path for 1-2 tokens, the tiled path with partial tiles beyond) and matmul_id (experts;
 *     broadcast and per-slot inputs): against an f64 dot product of the CPU-dequantized weights,
 *     |y - ref| <= 4e-7 * sqrt(cols) * sum|w*x| + 1e-6 (f32 accumulation in another order than the CPU's, which meets
 *     1e-7 * sqrt(n) in its own test), and the gaps of strided outputs untouched;
 *   - RoPE (NORM/NEOX, with and without YaRN, partial rotation, large positions), add, scale, axpy, top-k: identical to
 *     the CPU's scalar level, bit for bit (same angle table code, same roundings);
 *   - RMSNorm, softmax (with and without sinks), SwiGLU (plain and gpt-oss's clamped one): |gpu - cpu| <= 1e-6 * |cpu|
 *     + 1e-30 (reduction order, and CUDA's expf within 2 ulp where glibc's is within 1; every other operation is the
 *     scalar level's, rounded alike); special rows (masked, fully masked, NaN, NaN/+inf/-inf sinks) exactly as the CPU;
 *   - MLA attention (decode and prefill, DeepSeek's 576/512 shape and odd ones): against an f64 reference,
 *     |o - ref| <= 1e-5 * sum_s p_s |c_s| + 1e-6 (moe4j's CPU path computes it from matmul + softmax, see MlaAttention);
 *   - buffers: round trips, views (offsets, views of views, a view outliving its parent), and the argument checks with
 *     real buffers: out of range, misaligned, unsupported type, overlapping output; a refused call writes nothing.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moe4j.h"
#include "moe4j_cuda.h"

static int failures;

#define CHECK(cond, ...)                                                                                               \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            failures++;                                                                                                \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                                       \
            fprintf(stderr, __VA_ARGS__);                                                                              \
            fprintf(stderr, "\n");                                                                                     \
            if (failures > 60) {                                                                                       \
                exit(1);                                                                                               \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

#define OK(call)                                                                                                       \
    do {                                                                                                               \
        const int st_ = (call);                                                                                        \
        CHECK(st_ == 0, "%s -> %d (%s)", #call, st_, moe_cuda_last_error());                                           \
    } while (0)

/* ---- random inputs ------------------------------------------------------------------------------------------------ */

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

/* xorshift64* : the plain xorshift's consecutive outputs are linked bit by bit (bit 0 of one is bits 0 ^ 7 of the one
 * before), which showed as half of IQ2_XS's 9-bit grid indices never occurring; the multiplied high bits are not. */
static uint64_t rnd(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint8_t rnd_byte(void) {
    return (uint8_t)(rnd() >> 56);
}

static float rnd_float(void) { /* uniform in [-1, 1) */
    return (float)((double)(rnd() >> 11) * 0x1p-53 * 2.0 - 1.0);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "out of host memory\n");
        exit(2);
    }
    return p;
}

static float *rnd_floats(int64_t n) {
    float *p = (float *)xmalloc((size_t)n * 4);
    for (int64_t i = 0; i < n; i++) {
        p[i] = rnd_float();
    }
    return p;
}

/* The formats under test: every row of the library's cuda_formats.def (so a format added there is tested here). */
typedef struct fmt {
    int id;
    const char *name;
    int64_t be, bb, align;
} fmt;

static const fmt formats[] = {
#define MOE_CUDA_FORMAT(NAME, ID, ELEMS, BYTES, ALIGN) {ID, #NAME, ELEMS, BYTES, ALIGN},
#include "../src/cuda_formats.def"
#undef MOE_CUDA_FORMAT
};
#define N_FORMATS (int)(sizeof formats / sizeof formats[0])

static const fmt *format_of(int id) {
    for (int i = 0; i < N_FORMATS; i++) {
        if (formats[i].id == id) {
            return &formats[i];
        }
    }
    fprintf(stderr, "FAIL: format %d is not in cuda_formats.def\n", id);
    exit(1);
}

/* ---- what the test knows of each format: where its scales are, and its lattice indices ----------------------------
 * Random bytes are a valid block of every format once the scales are finite and moderate (products must not overflow
 * or vanish); a rule says where those scales are. For the i-quants it also lists a block's grid and sign-table
 * indices, so the dequantize test can check that its blocks used every entry of every table. */

enum scale_kind { SCALE_NONE, SCALE_F16, SCALE_IQ1M, SCALE_E8M0 };

#define MAX_TABLES 2
typedef struct rule {
    int id;
    int kind;
    int scale_at[2];                                /* SCALE_F16: byte offsets of the f16 scales, -1 if none */
    int table_size[MAX_TABLES];                     /* entries of the grid and of the sign table (0: none) */
    void (*indices)(const uint8_t *blk, void (*use)(int table, int index));
} rule;

static uint32_t rd16(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t rd32(const uint8_t *p) {
    return rd16(p) | rd16(p + 2) << 16;
}

/* The layouts below are ggml's block_iq* (ggml-common.h); each lists its points' grid indices (table 0) and, where
 * signs are looked up, the sign indices into ksigns_iq2xs (table 1). */
static void idx_iq2_xxs(const uint8_t *b, void (*use)(int, int)) {
    for (int ib = 0; ib < 8; ib++) {
        const uint32_t aux = rd32(b + 2 + 8 * ib + 4);
        for (int l = 0; l < 4; l++) {
            use(0, b[2 + 8 * ib + l]);
            use(1, (int)((aux >> (7 * l)) & 127));
        }
    }
}

static void idx_iq2_xs(const uint8_t *b, void (*use)(int, int)) {
    for (int k = 0; k < 32; k++) {
        const uint32_t v = rd16(b + 2 + 2 * k);
        use(0, (int)(v & 511));
        use(1, (int)(v >> 9));
    }
}

static void idx_iq2_s(const uint8_t *b, void (*use)(int, int)) {
    for (int k = 0; k < 32; k++) {
        use(0, (int)(b[2 + k] | ((b[66 + k / 4] >> (2 * (k % 4))) & 3) << 8));
    }
}

static void idx_iq3_xxs(const uint8_t *b, void (*use)(int, int)) {
    for (int j = 0; j < 64; j++) {
        use(0, b[2 + j]);
    }
    for (int ib = 0; ib < 8; ib++) {
        for (int l = 0; l < 4; l++) {
            use(1, (int)((rd32(b + 66 + 4 * ib) >> (7 * l)) & 127));
        }
    }
}

static void idx_iq3_s(const uint8_t *b, void (*use)(int, int)) {
    for (int j = 0; j < 64; j++) {
        use(0, (int)(b[2 + j] | ((b[66 + j / 8] >> (j % 8)) & 1) << 8));
    }
}

static void idx_iq1_s(const uint8_t *b, void (*use)(int, int)) {
    for (int k = 0; k < 32; k++) {
        use(0, (int)(b[2 + k] | ((rd16(b + 34 + 2 * (k / 4)) >> (3 * (k % 4))) & 7) << 8));
    }
}

static void idx_iq1_m(const uint8_t *b, void (*use)(int, int)) {
    for (int k = 0; k < 32; k++) {
        use(0, (int)(b[k] | ((b[32 + k / 2] >> (4 * (k % 2))) & 7) << 8));
    }
}

static const rule rules[] = {
    {0, SCALE_NONE, {-1, -1}, {0, 0}, NULL},
    {1, SCALE_NONE, {-1, -1}, {0, 0}, NULL},
    {30, SCALE_NONE, {-1, -1}, {0, 0}, NULL},
    {2, SCALE_F16, {0, -1}, {0, 0}, NULL},      /* Q4_0 */
    {8, SCALE_F16, {0, -1}, {0, 0}, NULL},      /* Q8_0 */
    {12, SCALE_F16, {0, 2}, {0, 0}, NULL},      /* Q4_K: d, dmin */
    {14, SCALE_F16, {208, -1}, {0, 0}, NULL},   /* Q6_K */
    {19, SCALE_F16, {0, -1}, {2048, 0}, idx_iq1_s},
    {29, SCALE_IQ1M, {-1, -1}, {2048, 0}, idx_iq1_m},
    {16, SCALE_F16, {0, -1}, {256, 128}, idx_iq2_xxs},
    {17, SCALE_F16, {0, -1}, {512, 128}, idx_iq2_xs},
    {22, SCALE_F16, {0, -1}, {1024, 0}, idx_iq2_s},
    {18, SCALE_F16, {0, -1}, {256, 128}, idx_iq3_xxs},
    {21, SCALE_F16, {0, -1}, {512, 0}, idx_iq3_s},
    {34, SCALE_F16, {52, -1}, {0, 0}, NULL},    /* TQ1_0 */
    {35, SCALE_F16, {64, -1}, {0, 0}, NULL},    /* TQ2_0 */
    {39, SCALE_E8M0, {-1, -1}, {0, 0}, NULL},   /* MXFP4 */
};

static const rule *rule_of(const fmt *f) {
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        if (rules[i].id == f->id) {
            return &rules[i];
        }
    }
    fprintf(stderr, "FAIL: cuda_selftest has no rule for format %s (id %d): add one to `rules`\n", f->name, f->id);
    exit(1);
}

/* A finite f16 of magnitude in [2^-9, 2^-3), random sign: a block scale. With wide, any finite f16 (subnormals too). */
static uint16_t rnd_f16_scale(int wide) {
    const uint32_t exp = wide ? (uint32_t)(rnd() % 31) : (uint32_t)(6 + rnd() % 6);
    return (uint16_t)(((rnd() & 1) << 15) | (exp << 10) | (rnd() & 0x3FF));
}

/* n_blocks random blocks of f: random bytes, finite moderate scales; element types get finite moderate values.
 * wide (for the bit-exact dequantize test only): scales over their whole finite range, and block b's E8M0 scale is
 * b mod 256, so every exponent (both subnormal ones included) occurs in 256 blocks. */
static void fill_blocks_ex(const fmt *f, uint8_t *p, int64_t n_blocks, int wide) {
    const rule *r = rule_of(f);
    for (int64_t b = 0; b < n_blocks; b++) {
        uint8_t *blk = p + b * f->bb;
        if (f->id == 0) {
            const float v = rnd_float() * 2.0f;
            memcpy(blk, &v, 4);
        } else if (f->id == 1) { /* f16, exponent 10..20: magnitudes 2^-5 .. 2^6 */
            const uint16_t h = (uint16_t)(((rnd() & 1) << 15) | ((10 + rnd() % 11) << 10) | (rnd() & 0x3FF));
            memcpy(blk, &h, 2);
        } else if (f->id == 30) { /* bf16, exponent 120..134 */
            const uint16_t h = (uint16_t)(((rnd() & 1) << 15) | ((120 + rnd() % 15) << 7) | (rnd() & 0x7F));
            memcpy(blk, &h, 2);
        } else {
            for (int64_t i = 0; i < f->bb; i++) {
                blk[i] = rnd_byte();
            }
            if (r->kind == SCALE_F16) {
                for (int s = 0; s < 2; s++) {
                    if (r->scale_at[s] >= 0) {
                        const uint16_t h = rnd_f16_scale(wide);
                        memcpy(blk + r->scale_at[s], &h, 2);
                    }
                }
            } else if (r->kind == SCALE_IQ1M) {
                /* the f16 is the top nibbles of the 4 scale words at byte 48 (word 0's lowest) */
                const uint16_t h = rnd_f16_scale(wide);
                for (int k = 0; k < 4; k++) {
                    blk[49 + 2 * k] = (uint8_t)((blk[49 + 2 * k] & 0x0F) | ((h >> (4 * k)) & 0x0F) << 4);
                }
            } else if (r->kind == SCALE_E8M0) { /* half-scale 2^(e-128): 2^-10 .. 2^5 unless wide */
                blk[0] = wide ? (uint8_t)b : (uint8_t)(118 + rnd() % 16);
            }
        }
    }
}

static void fill_blocks(const fmt *f, uint8_t *p, int64_t n_blocks) {
    fill_blocks_ex(f, p, n_blocks, 0);
}

/* Table use of the blocks being checked (coverage of the i-quants' grids and sign tables). */
static uint8_t *table_seen[MAX_TABLES];
static int table_limit[MAX_TABLES];
static int table_range_errors;

static void note_index(int table, int index) {
    if (index < 0 || index >= table_limit[table]) {
        table_range_errors++;
        return;
    }
    table_seen[table][index] = 1;
}

/* Checks that n_blocks blocks of f at p use every entry of each of f's tables. */
static void check_coverage(const fmt *f, const uint8_t *p, int64_t n_blocks) {
    const rule *r = rule_of(f);
    if (r->indices == NULL) {
        return;
    }
    for (int t = 0; t < MAX_TABLES; t++) {
        table_limit[t] = r->table_size[t];
        table_seen[t] = (uint8_t *)calloc((size_t)r->table_size[t] + 1, 1);
    }
    table_range_errors = 0;
    for (int64_t b = 0; b < n_blocks; b++) {
        r->indices(p + b * f->bb, note_index);
    }
    CHECK(table_range_errors == 0, "%s: %d indices outside their tables", f->name, table_range_errors);
    for (int t = 0; t < MAX_TABLES; t++) {
        int seen = 0;
        for (int i = 0; i < r->table_size[t]; i++) {
            seen += table_seen[t][i];
        }
        CHECK(seen == r->table_size[t], "%s: %lld blocks use %d of the %d entries of table %d", f->name,
              (long long)n_blocks, seen, r->table_size[t], t);
        free(table_seen[t]);
    }
}

/* A weight of rows x cols with row_bytes = the packed size + pad (pad keeps the type's alignment). */
static uint8_t *rnd_matrix(const fmt *f, int64_t rows, int64_t cols, int64_t row_bytes) {
    uint8_t *w = (uint8_t *)xmalloc((size_t)(rows * row_bytes));
    memset(w, 0xA5, (size_t)(rows * row_bytes)); /* padding: garbage that must not be read as weights */
    for (int64_t r = 0; r < rows; r++) {
        fill_blocks(f, w + r * row_bytes, cols / f->be);
    }
    return w;
}

/* ---- devices and buffers ------------------------------------------------------------------------------------------ */

static moe_cuda_ctx *gpu;
static moe_ctx *cpu; /* scalar level: the reference the bit-exact ops are compared with */

static moe_cuda_buf *dev_alloc(int64_t bytes) {
    moe_cuda_buf *b = NULL;
    const int st = moe_cuda_buf_alloc(gpu, bytes, &b);
    if (st != 0) {
        fprintf(stderr, "moe_cuda_buf_alloc(%lld): %s\n", (long long)bytes, moe_cuda_last_error());
        exit(2);
    }
    return b;
}

static moe_cuda_buf *dev_copy(const void *p, int64_t bytes) {
    moe_cuda_buf *b = dev_alloc(bytes);
    OK(moe_cuda_buf_upload(gpu, b, 0, p, bytes));
    return b;
}

/* n floats, all NaN on the device: outputs start poisoned so an unwritten element is caught. */
static moe_cuda_buf *dev_poisoned(int64_t n) {
    float *h = (float *)xmalloc((size_t)n * 4);
    for (int64_t i = 0; i < n; i++) {
        h[i] = NAN;
    }
    moe_cuda_buf *b = dev_copy(h, n * 4);
    free(h);
    return b;
}

static float *dev_floats(const moe_cuda_buf *b, int64_t n) {
    float *h = (float *)xmalloc((size_t)n * 4);
    OK(moe_cuda_buf_download(gpu, b, 0, h, n * 4));
    return h;
}

static uint32_t bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* ---- the no-device path ------------------------------------------------------------------------------------------- */

/* Every entry point refuses NULL handles without touching the device (holds with or without one). */
static void test_null_handles(void) {
    int32_t ids[1] = {0};
    moe_cuda_buf *b = NULL;
    CHECK(moe_cuda_ctx_create(0, NULL) == MOE_CUDA_ERR_INVALID_ARG, "ctx_create(NULL out)");
    CHECK(moe_cuda_ctx_destroy(NULL) == MOE_CUDA_OK, "destroy(NULL) is a no-op");
    CHECK(moe_cuda_ctx_synchronize(NULL) == MOE_CUDA_ERR_INVALID_ARG, "synchronize(NULL)");
    CHECK(strstr(moe_cuda_last_error(), "moe_cuda_ctx_synchronize") != NULL, "message names the call: %s",
          moe_cuda_last_error());
    CHECK(moe_cuda_buf_alloc(NULL, 16, &b) == MOE_CUDA_ERR_INVALID_ARG && b == NULL, "alloc without context");
    CHECK(moe_cuda_buf_free(NULL) == MOE_CUDA_OK, "free(NULL)");
    CHECK(moe_cuda_buf_size(NULL) == MOE_CUDA_ERR_INVALID_ARG, "size(NULL)");
    CHECK(moe_cuda_buf_view(NULL, 0, 1, &b) == MOE_CUDA_ERR_INVALID_ARG, "view(NULL)");
    CHECK(moe_cuda_buf_upload(NULL, NULL, 0, ids, 4) == MOE_CUDA_ERR_INVALID_ARG, "upload");
    CHECK(moe_cuda_buf_download(NULL, NULL, 0, ids, 4) == MOE_CUDA_ERR_INVALID_ARG, "download");
    CHECK(moe_cuda_tensor_dequantize(NULL, 8, NULL, 32, NULL) == MOE_CUDA_ERR_INVALID_ARG, "dequantize");
    CHECK(moe_cuda_tensor_matvec(NULL, 8, NULL, 34, 1, 32, NULL, NULL) == MOE_CUDA_ERR_INVALID_ARG, "matvec");
    CHECK(moe_cuda_tensor_matmul(NULL, 8, NULL, 34, 1, 32, NULL, 32, 1, NULL, 1) == MOE_CUDA_ERR_INVALID_ARG, "matmul");
    CHECK(moe_cuda_tensor_matmul_id(NULL, 8, NULL, 34, 1, 32, 34, 1, ids, 1, 1, NULL, 32, 0, NULL, 1, 1) ==
              MOE_CUDA_ERR_INVALID_ARG,
          "matmul_id");
    CHECK(moe_cuda_tensor_get_rows(NULL, 8, NULL, 34, 1, 32, ids, 1, NULL) == MOE_CUDA_ERR_INVALID_ARG, "get_rows");
    CHECK(moe_cuda_op_rmsnorm(NULL, NULL, NULL, 4, 1, 1e-6f, NULL) == MOE_CUDA_ERR_INVALID_ARG, "rmsnorm");
    CHECK(moe_cuda_op_rope(NULL, NULL, 1, 4, 1, 4, 4, ids, 0, 10000, 1, 0, 1, 32, 1, 0) == MOE_CUDA_ERR_INVALID_ARG,
          "rope");
    CHECK(moe_cuda_op_softmax(NULL, NULL, 4, 1, 1) == MOE_CUDA_ERR_INVALID_ARG, "softmax");
    CHECK(moe_cuda_op_softmax_sinks(NULL, NULL, 4, 1, 1, NULL) == MOE_CUDA_ERR_INVALID_ARG, "softmax_sinks");
    CHECK(moe_cuda_op_swiglu(NULL, NULL, NULL, 4, NULL) == MOE_CUDA_ERR_INVALID_ARG, "swiglu");
    CHECK(moe_cuda_op_swiglu_oai(NULL, NULL, NULL, 4, 1.702f, 7, NULL) == MOE_CUDA_ERR_INVALID_ARG, "swiglu_oai");
    CHECK(moe_cuda_op_topk(NULL, NULL, 4, 1, 1, NULL, NULL) == MOE_CUDA_ERR_INVALID_ARG, "topk");
    CHECK(moe_cuda_op_add(NULL, NULL, NULL, 4, NULL) == MOE_CUDA_ERR_INVALID_ARG, "add");
    CHECK(moe_cuda_op_scale(NULL, NULL, 4, 2, NULL) == MOE_CUDA_ERR_INVALID_ARG, "scale");
    CHECK(moe_cuda_op_axpy(NULL, 2, NULL, 4, NULL) == MOE_CUDA_ERR_INVALID_ARG, "axpy");
    CHECK(moe_cuda_op_mla_attend(NULL, NULL, 8, 4, 0, 1, 1, NULL, 1, NULL) == MOE_CUDA_ERR_INVALID_ARG, "mla");
    CHECK(moe_cuda_device_count(NULL) == MOE_CUDA_ERR_INVALID_ARG, "device_count(NULL)");
}

/* Without a usable device: the probe's answers. Returns 1 when there is a device to test on. */
static int probe(void) {
    int count = -1;
    const int st = moe_cuda_device_count(&count);
    if (st == MOE_CUDA_OK) {
        CHECK(count >= 1, "a successful count is >= 1, got %d", count);
        return 1;
    }
    CHECK(st == MOE_CUDA_ERR_NO_DRIVER || st == MOE_CUDA_ERR_NO_DEVICE, "no device: status %d (%s)", st,
          moe_cuda_last_error());
    CHECK(count == 0, "count is 0 without a device, got %d", count);
    CHECK(strstr(moe_cuda_last_error(), "moe_cuda_device_count") != NULL, "message: %s", moe_cuda_last_error());
    const char *why = moe_cuda_status_str(st);

    moe_cuda_ctx *ctx = (moe_cuda_ctx *)&count; /* must be overwritten with NULL */
    const int cst = moe_cuda_ctx_create(0, &ctx);
    CHECK(cst == st && ctx == NULL, "ctx_create without a device: %d, ctx %p", cst, (void *)ctx);
    char name[64];
    int ma, mi, sm;
    int64_t mem;
    CHECK(moe_cuda_device_info(0, name, sizeof name, &ma, &mi, &sm, &mem) == st, "device_info without a device");
    printf("cuda_selftest: no CUDA device (%s: %s); GPU comparisons skipped\n", why, moe_cuda_last_error());
    return 0;
}

/* ---- buffers ------------------------------------------------------------------------------------------------------ */

static void test_buffers(void) {
    uint8_t h[1000], back[1000];
    for (int i = 0; i < 1000; i++) {
        h[i] = (uint8_t)rnd();
    }
    moe_cuda_buf *b = dev_copy(h, 1000);
    CHECK(moe_cuda_buf_size(b) == 1000, "size");
    OK(moe_cuda_buf_download(gpu, b, 0, back, 1000));
    CHECK(memcmp(h, back, 1000) == 0, "round trip");

    moe_cuda_buf *v = NULL, *vv = NULL;
    OK(moe_cuda_buf_view(b, 100, 500, &v));
    OK(moe_cuda_buf_view(v, 7, 13, &vv));
    CHECK(moe_cuda_buf_size(vv) == 13, "view size");
    memset(back, 0, sizeof back);
    OK(moe_cuda_buf_download(gpu, vv, 0, back, 13));
    CHECK(memcmp(h + 107, back, 13) == 0, "view of a view reads its bytes");
    const uint8_t patch[3] = {1, 2, 3};
    OK(moe_cuda_buf_upload(gpu, vv, 10, patch, 3));
    OK(moe_cuda_buf_download(gpu, b, 117, back, 3));
    CHECK(memcmp(back, patch, 3) == 0, "writes through a view land in the parent");

    /* refused ranges write nothing */
    moe_cuda_buf *refused = (moe_cuda_buf *)&h; /* must come back NULL */
    CHECK(moe_cuda_buf_view(b, 900, 101, &refused) == MOE_CUDA_ERR_INVALID_ARG && refused == NULL, "view past the end");
    CHECK(moe_cuda_buf_view(b, -1, 1, &refused) == MOE_CUDA_ERR_INVALID_ARG, "negative offset");
    CHECK(moe_cuda_buf_upload(gpu, vv, 11, patch, 3) == MOE_CUDA_ERR_INVALID_ARG, "upload past a view's end");
    CHECK(moe_cuda_buf_download(gpu, b, 999, back, 2) == MOE_CUDA_ERR_INVALID_ARG, "download past the end");
    OK(moe_cuda_buf_download(gpu, b, 117, back, 4));
    CHECK(memcmp(back, patch, 3) == 0 && back[3] == h[120], "nothing written by refused calls");

    /* the memory outlives the parent handle while a view is alive */
    OK(moe_cuda_buf_free(b));
    OK(moe_cuda_buf_download(gpu, vv, 0, back, 13));
    CHECK(back[10] == 1 && back[0] == h[107], "view outlives its parent");
    OK(moe_cuda_buf_free(vv));
    moe_cuda_buf *v2 = NULL;
    CHECK(moe_cuda_buf_alloc(gpu, 0, &v2) == MOE_CUDA_ERR_INVALID_ARG && v2 == NULL, "zero-byte alloc");
    OK(moe_cuda_buf_free(v)); /* v: the first view, still holding the memory */
    moe_cuda_buf *huge = NULL;
    const int st = moe_cuda_buf_alloc(gpu, (int64_t)1 << 50, &huge);
    CHECK(st == MOE_CUDA_ERR_OUT_OF_MEMORY && huge == NULL, "1 PiB: %d (%s)", st, moe_cuda_last_error());
    /* and the failed allocation leaves the context usable */
    moe_cuda_buf *small = dev_copy(h, 8);
    OK(moe_cuda_ctx_synchronize(gpu));
    OK(moe_cuda_buf_free(small));
}

/* ---- weight kernels ------------------------------------------------------------------------------------------------ */

/* CPU dequantization of a (possibly padded) matrix into rows*cols floats. */
static float *cpu_dequant(const fmt *f, const uint8_t *w, int64_t rows, int64_t cols, int64_t row_bytes) {
    float *out = (float *)xmalloc((size_t)(rows * cols) * 4);
    for (int64_t r = 0; r < rows; r++) {
        const int st = moe_tensor_dequantize(cpu, f->id, w + r * row_bytes, cols, out + r * cols);
        CHECK(st == 0, "cpu dequantize %s", f->name);
    }
    return out;
}

static void test_dequantize(const fmt *f) {
    /* the last count: scales over their whole range, and enough blocks that every table entry occurs (checked) */
    const int64_t counts[] = {1, 3, 8, 3000};
    for (int c = 0; c < 4; c++) {
        const int64_t blocks = f->be == 1 ? 37 * counts[c] : counts[c];
        const int64_t n = blocks * f->be;
        uint8_t *h = (uint8_t *)xmalloc((size_t)(blocks * f->bb));
        fill_blocks_ex(f, h, blocks, c == 3);
        if (c == 3) {
            check_coverage(f, h, blocks);
        }
        float *want = (float *)xmalloc((size_t)n * 4);
        CHECK(moe_tensor_dequantize(cpu, f->id, h, n, want) == 0, "cpu dequantize");
        moe_cuda_buf *src = dev_copy(h, blocks * f->bb), *dst = dev_poisoned(n);
        OK(moe_cuda_tensor_dequantize(gpu, f->id, src, n, dst));
        float *got = dev_floats(dst, n);
        int64_t bad = 0;
        for (int64_t i = 0; i < n; i++) {
            bad += bits(got[i]) != bits(want[i]);
        }
        CHECK(bad == 0, "%s dequantize of %lld elements: %lld differ (first: %g vs %g)", f->name, (long long)n,
              (long long)bad, got[0], want[0]);
        if (f->be > 1) {
            CHECK(moe_cuda_tensor_dequantize(gpu, f->id, src, n - 1, dst) == MOE_CUDA_ERR_INVALID_ARG,
                  "%s: partial block", f->name);
        }
        CHECK(moe_cuda_tensor_dequantize(gpu, f->id, src, n + f->be, dst) == MOE_CUDA_ERR_INVALID_ARG,
              "%s: more blocks than src holds", f->name);
        if (f->align == 1 && c < 3) { /* byte-aligned blocks: the same from an odd device address */
            uint8_t *shifted = (uint8_t *)xmalloc((size_t)(blocks * f->bb + 1));
            shifted[0] = 0x5A;
            memcpy(shifted + 1, h, (size_t)(blocks * f->bb));
            moe_cuda_buf *whole = dev_copy(shifted, blocks * f->bb + 1), *view = NULL, *dst2 = dev_poisoned(n);
            OK(moe_cuda_buf_view(whole, 1, blocks * f->bb, &view));
            OK(moe_cuda_tensor_dequantize(gpu, f->id, view, n, dst2));
            float *got2 = dev_floats(dst2, n);
            CHECK(memcmp(got2, want, (size_t)n * 4) == 0, "%s dequantize at an odd address", f->name);
            free(got2);
            free(shifted);
            moe_cuda_buf_free(view);
            moe_cuda_buf_free(whole);
            moe_cuda_buf_free(dst2);
        }
        free(got);
        free(want);
        free(h);
        moe_cuda_buf_free(src);
        moe_cuda_buf_free(dst);
    }
}

static void test_get_rows(const fmt *f) {
    const int64_t cols = f->be == 1 ? 45 : 2 * f->be, n_rows = 9;
    const int64_t row_bytes = cols / f->be * f->bb + 3 * f->align; /* padded (odd for byte-aligned formats) */
    uint8_t *table = rnd_matrix(f, n_rows, cols, row_bytes);
    const int32_t ids[] = {3, 0, 8, 3, 5};
    const int64_t n_ids = 5;
    float *want = (float *)xmalloc((size_t)(n_ids * cols) * 4);
    CHECK(moe_tensor_get_rows(cpu, f->id, table, row_bytes, n_rows, cols, ids, n_ids, want) == 0, "cpu get_rows");
    moe_cuda_buf *t = dev_copy(table, n_rows * row_bytes), *out = dev_poisoned(n_ids * cols);
    OK(moe_cuda_tensor_get_rows(gpu, f->id, t, row_bytes, n_rows, cols, ids, n_ids, out));
    float *got = dev_floats(out, n_ids * cols);
    CHECK(memcmp(got, want, (size_t)(n_ids * cols) * 4) == 0, "%s get_rows bit-identical", f->name);
    const int32_t bad_ids[] = {1, 9};
    CHECK(moe_cuda_tensor_get_rows(gpu, f->id, t, row_bytes, n_rows, cols, bad_ids, 2, out) ==
              MOE_CUDA_ERR_INVALID_ARG,
          "%s: id 9 of 9 rows", f->name);
    free(got);
    free(want);
    free(table);
    moe_cuda_buf_free(t);
    moe_cuda_buf_free(out);
}

/* Checks n_vec output vectors y (each rows floats, y_at(v) apart) against f64 dots of W_e(v) with x(v). */
typedef struct product {
    const fmt *f;
    const float *wf;       /* dequantized weights of all experts: [expert][rows][cols] */
    int64_t rows, cols;
    const float *x;        /* host copy of the whole x buffer */
    const float *y;        /* host copy of the whole y buffer */
} product;

static int check_dot(const product *p, int64_t expert, int64_t x_at, int64_t y_at, const char *what) {
    int bad = 0;
    const float *w = p->wf + expert * p->rows * p->cols;
    for (int64_t r = 0; r < p->rows; r++) {
        double ref = 0.0, mag = 0.0;
        for (int64_t c = 0; c < p->cols; c++) {
            const double t = (double)w[r * p->cols + c] * (double)p->x[x_at + c];
            ref += t;
            mag += fabs(t);
        }
        const double got = p->y[y_at + r];
        const double tol = 4e-7 * sqrt((double)p->cols) * mag + 1e-6;
        if (!(fabs(got - ref) <= tol)) {
            if (bad++ == 0) {
                CHECK(0, "%s %s %lldx%lld row %lld: %.9g vs %.9g (tol %.3g)", p->f->name, what, (long long)p->rows,
                      (long long)p->cols, (long long)r, got, ref, tol);
            }
        }
    }
    return bad;
}

static void test_matvec_matmul(const fmt *f, int64_t rows, int64_t cols, int pad) {
    const int64_t row_bytes = cols / f->be * f->bb + (pad ? 3 * f->align : 0);
    uint8_t *w = rnd_matrix(f, rows, cols, row_bytes);
    float *wf = cpu_dequant(f, w, rows, cols, row_bytes);
    moe_cuda_buf *dw = dev_copy(w, rows * row_bytes);

    /* matvec */
    float *x = rnd_floats(cols);
    moe_cuda_buf *dx = dev_copy(x, cols * 4), *dy = dev_poisoned(rows);
    OK(moe_cuda_tensor_matvec(gpu, f->id, dw, row_bytes, rows, cols, dx, dy));
    float *y = dev_floats(dy, rows);
    product p = {f, wf, rows, cols, x, y};
    check_dot(&p, 0, 0, 0, "matvec");
    free(y);
    moe_cuda_buf_free(dx);
    moe_cuda_buf_free(dy);
    free(x);

    /* matmul: 1-2 tokens take the matvec path, more the tiles (33 and 70: partial tiles of 32) */
    const int64_t tokens[] = {1, 2, 3, 33, 70};
    for (int i = 0; i < 5; i++) {
        const int64_t nt = tokens[i], xs = cols + 3, ys = rows + 5;
        const int64_t xn = (nt - 1) * xs + cols, yn = (nt - 1) * ys + rows;
        float *xm = rnd_floats(xn);
        moe_cuda_buf *dxm = dev_copy(xm, xn * 4), *dym = dev_poisoned(yn);
        OK(moe_cuda_tensor_matmul(gpu, f->id, dw, row_bytes, rows, cols, dxm, xs, nt, dym, ys));
        float *ym = dev_floats(dym, yn);
        product q = {f, wf, rows, cols, xm, ym};
        char what[32];
        snprintf(what, sizeof what, "matmul[%lld tokens]", (long long)nt);
        int bad = 0;
        for (int64_t t = 0; t < nt; t++) {
            bad += check_dot(&q, 0, t * xs, t * ys, what);
        }
        int64_t touched = 0;
        for (int64_t t = 0; t + 1 < nt; t++) {
            for (int64_t g = rows; g < ys; g++) {
                touched += !isnan(ym[t * ys + g]);
            }
        }
        CHECK(touched == 0, "%s %s wrote %lld floats of the stride gaps", f->name, what, (long long)touched);
        (void)bad;
        free(xm);
        free(ym);
        moe_cuda_buf_free(dxm);
        moe_cuda_buf_free(dym);
    }
    moe_cuda_buf_free(dw);
    free(wf);
    free(w);
}

/* Experts: n_experts matrices expert_bytes apart; slots with broadcast (gate/up) or per-slot (down) inputs. */
static void test_matmul_id(const fmt *f, int64_t rows, int64_t cols) {
    const int64_t n_experts = 6, n_used = 3;
    const int64_t row_bytes = cols / f->be * f->bb;
    const int64_t expert_bytes = rows * row_bytes + 5 * f->align; /* padded between experts */
    uint8_t *w = (uint8_t *)xmalloc((size_t)(n_experts * expert_bytes));
    float *wf = (float *)xmalloc((size_t)(n_experts * rows * cols) * 4);
    for (int64_t e = 0; e < n_experts; e++) {
        uint8_t *m = rnd_matrix(f, rows, cols, row_bytes);
        memcpy(w + e * expert_bytes, m, (size_t)(rows * row_bytes));
        float *mf = cpu_dequant(f, m, rows, cols, row_bytes);
        memcpy(wf + e * rows * cols, mf, (size_t)(rows * cols) * 4);
        free(mf);
        free(m);
    }
    moe_cuda_buf *dw = dev_copy(w, n_experts * expert_bytes);
    const int64_t tokens[] = {1, 2, 5, 40};
    for (int i = 0; i < 4; i++) {
        for (int per_slot = 0; per_slot < 2; per_slot++) {
            const int64_t nt = tokens[i];
            int32_t *ids = (int32_t *)xmalloc((size_t)(nt * n_used) * 4);
            for (int64_t t = 0; t < nt; t++) { /* distinct experts per token; skewed so some experts get many */
                for (int64_t s = 0; s < n_used; s++) {
                    int32_t e;
                    int dup;
                    do {
                        e = (int32_t)(rnd() % 8 < 5 ? rnd() % 3 : rnd() % n_experts);
                        dup = 0;
                        for (int64_t k = 0; k < s; k++) {
                            dup |= ids[t * n_used + k] == e;
                        }
                    } while (dup);
                    ids[t * n_used + s] = e;
                }
            }
            const int64_t xss = per_slot ? cols + 1 : 0, xs = per_slot ? n_used * xss + 2 : cols + 2;
            const int64_t yss = rows + 1, ys = n_used * yss + 3;
            const int64_t xn = (nt - 1) * xs + (n_used - 1) * xss + cols, yn = (nt - 1) * ys + (n_used - 1) * yss + rows;
            float *x = rnd_floats(xn);
            moe_cuda_buf *dx = dev_copy(x, xn * 4), *dy = dev_poisoned(yn);
            OK(moe_cuda_tensor_matmul_id(gpu, f->id, dw, row_bytes, rows, cols, expert_bytes, n_experts, ids, nt,
                                         n_used, dx, xs, xss, dy, ys, yss));
            float *y = dev_floats(dy, yn);
            product p = {f, wf, rows, cols, x, y};
            char what[48];
            snprintf(what, sizeof what, "matmul_id[%lld tokens, %s]", (long long)nt, per_slot ? "per slot" : "broadcast");
            for (int64_t t = 0; t < nt; t++) {
                for (int64_t s = 0; s < n_used; s++) {
                    check_dot(&p, ids[t * n_used + s], t * xs + s * xss, t * ys + s * yss, what);
                }
            }
            /* a bad id is refused before anything runs */
            ids[nt * n_used - 1] = (int32_t)n_experts;
            CHECK(moe_cuda_tensor_matmul_id(gpu, f->id, dw, row_bytes, rows, cols, expert_bytes, n_experts, ids, nt,
                                            n_used, dx, xs, xss, dy, ys, yss) == MOE_CUDA_ERR_INVALID_ARG,
                  "%s: expert id out of range", f->name);
            /* outputs that overlap are refused */
            CHECK(moe_cuda_tensor_matmul_id(gpu, f->id, dw, row_bytes, rows, cols, expert_bytes, n_experts, ids, nt,
                                            n_used, dx, xs, xss, dy, ys, rows - 1) == MOE_CUDA_ERR_INVALID_ARG,
                  "%s: overlapping slots", f->name);
            free(ids);
            free(x);
            free(y);
            moe_cuda_buf_free(dx);
            moe_cuda_buf_free(dy);
        }
    }
    CHECK(moe_cuda_tensor_matmul_id(gpu, f->id, dw, row_bytes, rows, cols, expert_bytes, n_experts + 1,
                                    (const int32_t[]){0}, 1, 1, dw, 0, 0, dw, 0, 0) == MOE_CUDA_ERR_INVALID_ARG,
          "%s: more experts than the buffer holds", f->name);
    moe_cuda_buf_free(dw);
    free(wf);
    free(w);
}

static void test_weight_errors(void) {
    /* Q8_0 weight of 4 x 64 */
    const fmt *f = format_of(8);
    uint8_t *w = rnd_matrix(f, 4, 64, 68);
    moe_cuda_buf *dw = dev_copy(w, 4 * 68), *dx = dev_poisoned(64), *dy = dev_poisoned(8);
    CHECK(moe_cuda_tensor_matvec(gpu, 13, dw, 68, 4, 64, dx, dy) == MOE_CUDA_ERR_UNSUPPORTED_TYPE, "Q5_K");
    CHECK(strstr(moe_cuda_last_error(), "moe_cuda_tensor_matvec") != NULL, "message: %s", moe_cuda_last_error());
    CHECK(moe_cuda_tensor_matvec(gpu, 8, dw, 68, 5, 64, dx, dy) == MOE_CUDA_ERR_INVALID_ARG, "5 rows in 4");
    CHECK(moe_cuda_tensor_matvec(gpu, 8, dw, 68, 4, 96, dx, dy) == MOE_CUDA_ERR_INVALID_ARG, "x too short");
    moe_cuda_buf *odd = NULL;
    OK(moe_cuda_buf_view(dy, 2, 16, &odd));
    CHECK(moe_cuda_tensor_matvec(gpu, 8, dw, 68, 4, 64, dx, odd) == MOE_CUDA_ERR_INVALID_ARG, "misaligned y");
    moe_cuda_buf *wodd = NULL;
    OK(moe_cuda_buf_view(dw, 1, 3 * 68, &wodd));
    CHECK(moe_cuda_tensor_matvec(gpu, 8, wodd, 68, 3, 64, dx, dy) == MOE_CUDA_ERR_INVALID_ARG, "odd weight address");
    CHECK(moe_cuda_tensor_matvec(gpu, 8, dw, 68, 4, 64, dx, dx) == MOE_CUDA_ERR_INVALID_ARG, "y overlaps x");
    CHECK(moe_cuda_tensor_matmul(gpu, 8, dw, 68, 4, 64, dx, 64, 2, dy, 4) == MOE_CUDA_ERR_INVALID_ARG,
          "x holds 1 token, not 2");
    float *y = dev_floats(dy, 8);
    int untouched = 1;
    for (int i = 0; i < 8; i++) {
        untouched &= isnan(y[i]);
    }
    CHECK(untouched, "refused calls wrote nothing");
    free(y);
    moe_cuda_buf_free(odd);
    moe_cuda_buf_free(wodd);
    moe_cuda_buf_free(dw);
    moe_cuda_buf_free(dx);
    moe_cuda_buf_free(dy);
    free(w);
}

/* ---- row and element-wise ops ------------------------------------------------------------------------------------- */

static int close_rel(float got, float want, double rel) {
    if (isnan(want) || isnan(got)) {
        return isnan(want) && isnan(got);
    }
    return fabs((double)got - (double)want) <= rel * fabs((double)want) + 1e-30;
}

static void test_rmsnorm(void) {
    const int64_t sizes[] = {1, 7, 64, 4099};
    for (int i = 0; i < 4; i++) {
        const int64_t n = sizes[i], rows = 3;
        float *x = rnd_floats(n * rows), *wt = rnd_floats(n);
        for (int with_weight = 0; with_weight < 2; with_weight++) {
            for (int in_place = 0; in_place < 2; in_place++) {
                float *want = (float *)xmalloc((size_t)(n * rows) * 4);
                CHECK(moe_op_rmsnorm(cpu, x, with_weight ? wt : NULL, n, rows, 1e-6f, want) == 0, "cpu rmsnorm");
                moe_cuda_buf *dx = dev_copy(x, n * rows * 4), *dw = dev_copy(wt, n * 4);
                moe_cuda_buf *dout = in_place ? dx : dev_poisoned(n * rows);
                OK(moe_cuda_op_rmsnorm(gpu, dx, with_weight ? dw : NULL, n, rows, 1e-6f, dout));
                float *got = dev_floats(dout, n * rows);
                int bad = 0;
                for (int64_t k = 0; k < n * rows; k++) {
                    bad += !close_rel(got[k], want[k], 1e-6);
                }
                CHECK(bad == 0, "rmsnorm n=%lld weight=%d in_place=%d: %d differ", (long long)n, with_weight, in_place,
                      bad);
                free(got);
                free(want);
                if (!in_place) {
                    moe_cuda_buf_free(dout);
                }
                moe_cuda_buf_free(dx);
                moe_cuda_buf_free(dw);
            }
        }
        free(x);
        free(wt);
    }
}

static void test_rope(void) {
    struct {
        int mode;
        int64_t n_rot, head, heads, tokens;
        float freq_scale, ext;
    } cases[] = {
        {0, 64, 64, 4, 5, 1.0f, 0.0f},   /* NORM, whole head */
        {2, 64, 64, 4, 5, 1.0f, 0.0f},   /* NEOX */
        {0, 64, 192, 3, 7, 0.025f, 1.0f}, /* NORM + YaRN, partial rotation (DeepSeek's rope part) */
        {2, 2, 6, 1, 1, 0.5f, 1.0f},     /* the smallest rotation */
        {2, 130, 130, 2, 3, 0.25f, 1.0f}, /* odd pair count > 64 */
    };
    for (int c = 0; c < 5; c++) {
        const int64_t hs = cases[c].head + 1, ts = cases[c].heads * hs + 2;
        const int64_t n = (cases[c].tokens - 1) * ts + (cases[c].heads - 1) * hs + cases[c].head;
        float *x = rnd_floats(n);
        int32_t pos[8];
        for (int t = 0; t < 8; t++) {
            pos[t] = (int32_t)(rnd() % 200000);
        }
        moe_cuda_buf *dx = dev_copy(x, n * 4);
        OK(moe_cuda_op_rope(gpu, dx, cases[c].tokens, ts, cases[c].heads, hs, cases[c].n_rot, pos, cases[c].mode,
                            10000.0f, cases[c].freq_scale, cases[c].ext, 1.0f, 32.0f, 1.0f, 4096));
        CHECK(moe_op_rope(cpu, x, cases[c].tokens, ts, cases[c].heads, hs, cases[c].n_rot, pos, cases[c].mode,
                          10000.0f, cases[c].freq_scale, cases[c].ext, 1.0f, 32.0f, 1.0f, 4096) == 0,
              "cpu rope");
        float *got = dev_floats(dx, n);
        int64_t bad = 0;
        for (int64_t i = 0; i < n; i++) {
            bad += bits(got[i]) != bits(x[i]);
        }
        CHECK(bad == 0, "rope case %d: %lld floats differ from the CPU's scalar level", c, (long long)bad);
        free(got);
        free(x);
        moe_cuda_buf_free(dx);
    }
    moe_cuda_buf *dx = dev_poisoned(100);
    const int32_t pos[2] = {1, 2};
    CHECK(moe_cuda_op_rope(gpu, dx, 2, 50, 1, 0, 64, pos, 0, 10000, 1, 0, 1, 32, 1, 0) == MOE_CUDA_ERR_INVALID_ARG,
          "rope span beyond the buffer");
    moe_cuda_buf_free(dx);
}

static void test_softmax(void) {
    const int64_t sizes[] = {1, 5, 256, 1000};
    for (int i = 0; i < 4; i++) {
        const int64_t n = sizes[i], rows = 4;
        float *x = rnd_floats(n * rows);
        for (int64_t k = 0; k < n * rows; k++) {
            x[k] *= 20.0f;
        }
        if (n > 1) {
            x[1] = -INFINITY;             /* row 0: one masked entry */
            for (int64_t k = 0; k < n; k++) {
                x[n + k] = -INFINITY;     /* row 1: fully masked */
            }
            x[2 * n + n / 2] = NAN;       /* row 2: a NaN spreads */
            for (int64_t k = 0; k < n; k++) {
                x[3 * n + k] = k == n - 1 ? NAN : -INFINITY; /* row 3: masked but for a NaN, which stays */
            }
        }
        float *want = (float *)xmalloc((size_t)(n * rows) * 4);
        memcpy(want, x, (size_t)(n * rows) * 4);
        CHECK(moe_op_softmax(cpu, want, n, rows, 0.7f) == 0, "cpu softmax");
        moe_cuda_buf *dx = dev_copy(x, n * rows * 4);
        OK(moe_cuda_op_softmax(gpu, dx, n, rows, 0.7f));
        float *got = dev_floats(dx, n * rows);
        int bad = 0;
        for (int64_t k = 0; k < n * rows; k++) {
            bad += !close_rel(got[k], want[k], 1e-6);
        }
        CHECK(bad == 0, "softmax n=%lld: %d differ", (long long)n, bad);
        CHECK(moe_cuda_op_softmax(gpu, dx, n, rows, 0.0f) == MOE_CUDA_ERR_INVALID_ARG, "scale 0");
        free(got);
        free(want);
        free(x);
        moe_cuda_buf_free(dx);
    }
}

/* Sinks of every kind against the CPU's scalar level: among the scores, above them all, far below, -inf, NaN, +inf;
 * rows fully masked with a finite and with a -inf sink; a masked entry and a NaN score. */
static void test_softmax_sinks(void) {
    const int64_t sizes[] = {1, 5, 256, 1000};
    enum { ROWS = 9 };
    for (int i = 0; i < 4; i++) {
        const int64_t n = sizes[i];
        float *x = rnd_floats(n * ROWS);
        float sinks[ROWS];
        for (int64_t k = 0; k < n * ROWS; k++) {
            x[k] *= 20.0f;
        }
        const float among = 14.0f * rnd_float(), above = 20.0f * 0.7f + 3.0f + 40.0f * (rnd_float() + 1.0f);
        const float row_sinks[ROWS] = {among, above, -2e4f, -INFINITY, NAN, INFINITY, 1.5f, -INFINITY, among};
        memcpy(sinks, row_sinks, sizeof sinks);
        for (int64_t k = 0; k < n; k++) {
            x[6 * n + k] = -INFINITY; /* row 6: fully masked, finite sink: zeros */
            x[7 * n + k] = -INFINITY; /* row 7: fully masked, -inf sink: zeros */
        }
        if (n > 1) {
            x[1] = -INFINITY;         /* row 0: a masked entry */
            x[8 * n + n / 2] = NAN;   /* row 8: a NaN score spreads */
        }
        float *want = (float *)xmalloc((size_t)(n * ROWS) * 4);
        memcpy(want, x, (size_t)(n * ROWS) * 4);
        CHECK(moe_op_softmax_sinks(cpu, want, n, ROWS, 0.7f, sinks) == 0, "cpu softmax_sinks");
        moe_cuda_buf *dx = dev_copy(x, n * ROWS * 4), *ds = dev_copy(sinks, ROWS * 4);
        OK(moe_cuda_op_softmax_sinks(gpu, dx, n, ROWS, 0.7f, ds));
        float *got = dev_floats(dx, n * ROWS);
        int bad = 0;
        for (int64_t k = 0; k < n * ROWS; k++) {
            bad += !close_rel(got[k], want[k], 1e-6);
        }
        CHECK(bad == 0, "softmax_sinks n=%lld: %d differ", (long long)n, bad);
        CHECK(moe_cuda_op_softmax_sinks(gpu, dx, n, ROWS, 0.0f, ds) == MOE_CUDA_ERR_INVALID_ARG, "sinks: scale 0");
        CHECK(moe_cuda_op_softmax_sinks(gpu, dx, n, ROWS + 1, 0.7f, ds) == MOE_CUDA_ERR_INVALID_ARG,
              "sinks: too few sinks (and rows beyond x)");
        moe_cuda_buf *inside = NULL;
        OK(moe_cuda_buf_view(dx, (n * ROWS - ROWS) * 4, ROWS * 4, &inside));
        CHECK(moe_cuda_op_softmax_sinks(gpu, dx, n, ROWS, 0.7f, inside) == MOE_CUDA_ERR_INVALID_ARG,
              "sinks inside x");
        moe_cuda_buf_free(inside);
        free(got);
        free(want);
        free(x);
        moe_cuda_buf_free(dx);
        moe_cuda_buf_free(ds);
    }
}

static void test_elementwise(void) {
    const int64_t n = 100003;
    float *g = rnd_floats(n), *u = rnd_floats(n);
    for (int64_t i = 0; i < n; i++) {
        g[i] *= 30.0f;
    }
    moe_cuda_buf *dg = dev_copy(g, n * 4), *du = dev_copy(u, n * 4), *dout = dev_poisoned(n);
    float *want = (float *)xmalloc((size_t)n * 4);

    CHECK(moe_op_swiglu(cpu, g, u, n, want) == 0, "cpu swiglu");
    OK(moe_cuda_op_swiglu(gpu, dg, du, n, dout));
    float *got = dev_floats(dout, n);
    int bad = 0;
    for (int64_t i = 0; i < n; i++) {
        bad += !close_rel(got[i], want[i], 1e-6);
    }
    CHECK(bad == 0, "swiglu: %d differ", bad);
    free(got);

    /* clamped SwiGLU: gate spans +-30 (beyond the limit, and far enough down that exp(alpha * -g) overflows), up spans
     * +-1 scaled to +-10 (beyond +-limit); gpt-oss's constants, then an odd pair */
    float *u10 = (float *)xmalloc((size_t)n * 4);
    for (int64_t i = 0; i < n; i++) {
        u10[i] = 10.0f * u[i];
    }
    moe_cuda_buf *du10 = dev_copy(u10, n * 4);
    const float oai[2][2] = {{1.702f, 7.0f}, {-0.6f, 2.5f}};
    for (int c = 0; c < 2; c++) {
        CHECK(moe_op_swiglu_oai(cpu, g, u10, n, oai[c][0], oai[c][1], want) == 0, "cpu swiglu_oai");
        OK(moe_cuda_op_swiglu_oai(gpu, dg, du10, n, oai[c][0], oai[c][1], dout));
        got = dev_floats(dout, n);
        bad = 0;
        for (int64_t i = 0; i < n; i++) {
            bad += !close_rel(got[i], want[i], 1e-6);
        }
        CHECK(bad == 0, "swiglu_oai alpha %g limit %g: %d differ", oai[c][0], oai[c][1], bad);
        free(got);
    }
    CHECK(moe_cuda_op_swiglu_oai(gpu, dg, du10, n, 1.702f, -1.0f, dout) == MOE_CUDA_ERR_INVALID_ARG, "limit < 0");
    CHECK(moe_cuda_op_swiglu_oai(gpu, dg, du10, n, NAN, 7.0f, dout) == MOE_CUDA_ERR_INVALID_ARG, "alpha NaN");
    OK(moe_cuda_op_swiglu_oai(gpu, dg, du10, n, 1.702f, 7.0f, du10)); /* in place over up */
    CHECK(moe_op_swiglu_oai(cpu, g, u10, n, 1.702f, 7.0f, want) == 0, "cpu swiglu_oai");
    got = dev_floats(du10, n);
    bad = 0;
    for (int64_t i = 0; i < n; i++) {
        bad += !close_rel(got[i], want[i], 1e-6);
    }
    CHECK(bad == 0, "swiglu_oai in place: %d differ", bad);
    free(got);
    free(u10);
    moe_cuda_buf_free(du10);

    CHECK(moe_op_add(cpu, g, u, n, want) == 0, "cpu add");
    OK(moe_cuda_op_add(gpu, dg, du, n, dout));
    got = dev_floats(dout, n);
    CHECK(memcmp(got, want, (size_t)n * 4) == 0, "add bit-identical");
    free(got);

    CHECK(moe_op_scale(cpu, g, n, 0.3f, want) == 0, "cpu scale");
    OK(moe_cuda_op_scale(gpu, dg, n, 0.3f, dout));
    got = dev_floats(dout, n);
    CHECK(memcmp(got, want, (size_t)n * 4) == 0, "scale bit-identical");
    free(got);

    memcpy(want, u, (size_t)n * 4);
    CHECK(moe_op_axpy(cpu, -1.7f, g, n, want) == 0, "cpu axpy");
    OK(moe_cuda_op_axpy(gpu, -1.7f, dg, n, du)); /* du becomes u + a*g */
    got = dev_floats(du, n);
    CHECK(memcmp(got, want, (size_t)n * 4) == 0, "axpy bit-identical");
    free(got);

    moe_cuda_buf *shifted = NULL;
    OK(moe_cuda_buf_view(dg, 4, (n - 1) * 4, &shifted));
    CHECK(moe_cuda_op_add(gpu, dg, du, n - 1, shifted) == MOE_CUDA_ERR_INVALID_ARG, "output shifted over an input");
    moe_cuda_buf_free(shifted);
    free(want);
    free(g);
    free(u);
    moe_cuda_buf_free(dg);
    moe_cuda_buf_free(du);
    moe_cuda_buf_free(dout);
}

static void test_topk(void) {
    struct {
        int64_t n, k, rows;
    } cases[] = {{256, 8, 5}, {37, 37, 3}, {1000, 5, 2}, {1, 1, 1}, {64, 6, 33}};
    for (int c = 0; c < 5; c++) {
        const int64_t n = cases[c].n, k = cases[c].k, rows = cases[c].rows;
        float *x = rnd_floats(n * rows);
        for (int64_t i = 0; i < n * rows; i++) {
            x[i] = floorf(x[i] * 8.0f) / 8.0f; /* 16 values: many ties, decided by the index */
        }
        if (n > 5) { /* NaN ranks after every number, and among NaNs the lower index first */
            x[2] = NAN;
            x[5] = NAN;
            x[n + 1] = NAN;
            x[n + 3] = -NAN;
            x[n + 4] = NAN;
        }
        moe_cuda_buf *dx = dev_copy(x, n * rows * 4), *di = dev_alloc(k * rows * 4), *dv = dev_poisoned(k * rows);
        OK(moe_cuda_op_topk(gpu, dx, n, rows, k, di, dv));
        int32_t *gi = (int32_t *)xmalloc((size_t)(k * rows) * 4);
        OK(moe_cuda_buf_download(gpu, di, 0, gi, k * rows * 4));
        float *gv = dev_floats(dv, k * rows);
        int32_t *wi = (int32_t *)xmalloc((size_t)k * 4);
        float *wv = (float *)xmalloc((size_t)k * 4);
        for (int64_t r = 0; r < rows; r++) {
            CHECK(moe_op_topk(cpu, x + r * n, n, k, wi, wv) == 0, "cpu topk");
            CHECK(memcmp(wi, gi + r * k, (size_t)k * 4) == 0, "topk n=%lld k=%lld row %lld: indices differ", (long long)n,
                  (long long)k, (long long)r);
            CHECK(memcmp(wv, gv + r * k, (size_t)k * 4) == 0, "topk values differ");
        }
        OK(moe_cuda_op_topk(gpu, dx, n, rows, k, di, NULL)); /* values optional */
        CHECK(moe_cuda_op_topk(gpu, dx, n, rows, n + 1, di, dv) == MOE_CUDA_ERR_INVALID_ARG, "k > n");
        free(gi);
        free(gv);
        free(wi);
        free(wv);
        free(x);
        moe_cuda_buf_free(dx);
        moe_cuda_buf_free(di);
        moe_cuda_buf_free(dv);
    }
}

/* MLA attention against an f64 reference of the same formula: |o - ref| <= 1e-5 * sum_s p_s |c_s| + 1e-6 (an online
 * softmax in f32, exps within 2 ulp; the bound is relative to the size of what is summed). */
static void test_mla(void) {
    struct {
        int64_t width, r, pos0, tokens, heads;
    } cases[] = {
        {576, 512, 300, 1, 3},  /* DeepSeek's shape, decode, a long prefix */
        {576, 512, 37, 5, 2},   /* prefill: every token its own causal length */
        {40, 33, 0, 9, 4},      /* odd sizes, the first token sees one row (fewer rows than warps) */
        {1024, 1, 6, 2, 1},     /* widest query, a one-float latent */
    };
    for (int c = 0; c < 4; c++) {
        const int64_t w = cases[c].width, r = cases[c].r, pos0 = cases[c].pos0, nt = cases[c].tokens,
                      nh = cases[c].heads, rows = pos0 + nt;
        const float scale = 1.0f / sqrtf((float)w);
        float *cache = rnd_floats(rows * w), *q = rnd_floats(nt * nh * w);
        moe_cuda_buf *dc = dev_copy(cache, rows * w * 4), *dq = dev_copy(q, nt * nh * w * 4),
                     *dout = dev_poisoned(nt * nh * r);
        OK(moe_cuda_op_mla_attend(gpu, dc, w, r, pos0, nt, nh, dq, scale, dout));
        float *got = dev_floats(dout, nt * nh * r);
        double *p = (double *)xmalloc((size_t)rows * 8);
        int bad = 0;
        for (int64_t t = 0; t < nt; t++) {
            for (int64_t h = 0; h < nh; h++) {
                const float *qv = q + (t * nh + h) * w;
                const int64_t len = pos0 + t + 1;
                double mx = -INFINITY, sum = 0.0;
                for (int64_t s = 0; s < len; s++) {
                    double d = 0.0;
                    for (int64_t k = 0; k < w; k++) {
                        d += (double)qv[k] * (double)cache[s * w + k];
                    }
                    p[s] = d * scale;
                    mx = p[s] > mx ? p[s] : mx;
                }
                for (int64_t s = 0; s < len; s++) {
                    p[s] = exp(p[s] - mx);
                    sum += p[s];
                }
                for (int64_t k = 0; k < r; k++) {
                    double ref = 0.0, mag = 0.0;
                    for (int64_t s = 0; s < len; s++) {
                        ref += p[s] / sum * cache[s * w + k];
                        mag += p[s] / sum * fabs(cache[s * w + k]);
                    }
                    const double o = got[(t * nh + h) * r + k];
                    if (!(fabs(o - ref) <= 1e-5 * mag + 1e-6)) {
                        if (bad++ == 0) {
                            CHECK(0, "mla case %d token %lld head %lld latent %lld: %.9g vs %.9g", c, (long long)t,
                                  (long long)h, (long long)k, o, ref);
                        }
                    }
                }
            }
        }
        CHECK(moe_cuda_op_mla_attend(gpu, dc, w, r, pos0 + 1, nt, nh, dq, scale, dout) == MOE_CUDA_ERR_INVALID_ARG,
              "mla: a cache without the last row is refused");
        CHECK(moe_cuda_op_mla_attend(gpu, dc, w, w + 1, pos0, nt, nh, dq, scale, dout) == MOE_CUDA_ERR_INVALID_ARG,
              "mla: latent wider than the row");
        CHECK(moe_cuda_op_mla_attend(gpu, dc, w, r, pos0, nt, nh, dq, scale, dq) == MOE_CUDA_ERR_INVALID_ARG,
              "mla: output over the queries");
        free(p);
        free(got);
        free(cache);
        free(q);
        moe_cuda_buf_free(dc);
        moe_cuda_buf_free(dq);
        moe_cuda_buf_free(dout);
    }
}

int main(void) {
    CHECK(moe_cuda_abi_version() == MOE_CUDA_ABI_VERSION, "ABI version %d", moe_cuda_abi_version());
    test_null_handles();
    const int have_device = probe();
    const char *require = getenv("MOE_CUDA_REQUIRE_DEVICE");
    if (!have_device) {
        if (require != NULL && strcmp(require, "1") == 0) {
            fprintf(stderr, "FAIL: MOE_CUDA_REQUIRE_DEVICE=1 but there is no usable CUDA device\n");
            return 1;
        }
        return failures ? 1 : 0;
    }

    char name[128];
    int ma = 0, mi = 0, sm = 0;
    int64_t mem = 0;
    OK(moe_cuda_device_info(0, name, sizeof name, &ma, &mi, &sm, &mem));
    printf("cuda_selftest: device 0: %s, sm_%d%d, %d SMs, %.1f GiB\n", name, ma, mi, sm, (double)mem / (1 << 30));
    if (moe_cuda_ctx_create(0, &gpu) != 0 || moe_ctx_create(MOE_CPU_SCALAR, 1, &cpu) != 0) {
        fprintf(stderr, "FAIL: contexts: %s\n", moe_cuda_last_error());
        return 1;
    }
    test_buffers();
    for (int i = 0; i < N_FORMATS; i++) {
        const fmt *f = &formats[i];
        const int64_t be = f->be;
        test_dequantize(f);
        test_get_rows(f);
        /* odd and even row counts; column counts of 1, 2, 3 and 9 blocks (element types: odd column counts) */
        test_matvec_matmul(f, 1, be == 1 ? 1 : be, 0);
        test_matvec_matmul(f, 7, be == 1 ? 37 : 3 * be, 1);
        test_matvec_matmul(f, 66, be == 1 ? 300 : 2 * be, 0);
        test_matvec_matmul(f, 129, be == 1 ? 1001 : 9 * be, 1);
        test_matmul_id(f, 70, be == 1 ? 45 : 2 * be);
        printf("cuda_selftest: %s done (%d failures so far)\n", f->name, failures);
    }
    test_weight_errors();
    test_rmsnorm();
    test_rope();
    test_softmax();
    test_softmax_sinks();
    test_elementwise();
    test_topk();
    test_mla();
    OK(moe_cuda_ctx_synchronize(gpu));
    OK(moe_cuda_ctx_destroy(gpu));
    moe_ctx_destroy(cpu);
    if (failures) {
        fprintf(stderr, "cuda_selftest: %d failure(s)\n", failures);
        return 1;
    }
    printf("cuda_selftest: all CUDA ops agree with the CPU kernels\n");
    return 0;
}

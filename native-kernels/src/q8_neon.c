/*
 * q8_neon.c - the AArch64 levels of the 8-bit-activation products: the two quantizers, the 32-element formats (Q4_0,
 * Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, MXFP4), the K-quants (Q2_K .. Q6_K) and IQ4_XS; the i-quant grid and ternary
 * formats come from q8_neon_iq.c. Compiled once per NEON level (neon_level.h); every product is bit-identical to
 * q8_scalar.c.
 *
 * Integer sums. Every weight block is decoded once into int8x16 registers holding the weights' signed values in
 * element order (nibbles with vandq_u8 / vshrq_n_u8, the IQ4_NL / MXFP4 code books with vqtbl1q_s8, high bits with
 * vtstq_u8), then multiplied with every token's activations:
 *   - neon:         vmull_s8 + vmlal_high_s8 (two products per 16-bit lane: |w*x| <= 127 * 128, two fit in int16)
 *                   widened by vpadalq_s16 into 32-bit lanes; Q8_0, whose weights may be -128, widens every product;
 *   - neon_dotprod: vdotq_s32 (SDOT);
 *   - neon_i8mm:    vmmlaq_s32 (SMMLA) on 2 weight rows x 2 tokens at once: both rows' 8-byte chunks in one
 *                   register, both tokens' in another, and the four (row, token) sums come out in one int32x4 (of a
 *                   whole block for the 32-element formats, of a group of 16 for the K-quants, which then multiply it
 *                   by the rows' group scales); an odd last row or token goes through the SDOT code.
 * The integer sums are exact whatever instructions compute them, so only the f32 part decides bit-identity.
 *
 * f32 part. Each block result is q8_blocks.h's per-block formula with the same single-rounding operations in the
 * same order (never fused: -ffp-contract=off), added into lane b % 16, the lanes summed in moe_q8_sum16's tree:
 *   - 32-element formats: 4 consecutive blocks' sums in one int32x4 (a vpaddq_s32 tree), scaled 4 lanes wide, and
 *     added to float32x4 accumulator (b / 4) % 4 of the token; at i8mm the lanes are the 4 (row, token) pairs of one
 *     block and there are 16 accumulators, one per b % 16. Lanes start at +0 and so never become -0: absent blocks of
 *     a partial group (weights 0, scale 0, the activation row's zero padding) add +0 and change nothing.
 *   - K-quants: one super-block at a time through moe_q8_scaled_k itself into scalar lanes (the f32 work is small
 *     next to 256 elements of integer work); at i8mm its operations on the 4 (row, token) lanes of an SMMLA result.
 * Conversions: f16 -> f32 by FCVT is exact (NaNs quieted keeping sign and payload, as moe_f16_to_f32); f32 -> f16 by
 * FCVT rounds to nearest even with IEEE overflow and subnormals (FPCR default), as moe_f32_to_f16. The quantizers
 * round with moe_nearest_int's own add-and-mask on 4 lanes (vcvtnq_s32_f32 rounds the same way in its range, but the
 * add-and-mask also matches the scalar bits for NaN, infinite and out-of-range products).
 */
#include <arm_neon.h>

#include "internal.h"
#include "q8_blocks.h"
#include "q8_neon.h"

#define INLINE static inline __attribute__((always_inline))

/* ---- helpers ----------------------------------------------------------------------------------------------------- */

/* The f16 at p as an f32 (FCVT: exact). */
INLINE float f16s(const uint8_t *p) {
    return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(moe_rd_u16(p)))), 0);
}

/* acc plus 4 lanes whose total is the dot product of the 16 weights w (-127 <= w <= 127) with the 16 activations x
 * (any bytes). */
INLINE int32x4_t dot16_acc(int32x4_t acc, int8x16_t w, int8x16_t x) {
#if defined(__ARM_FEATURE_DOTPROD)
    return vdotq_s32(acc, w, x);
#else
    /* two products per 16-bit lane: at most 2 * 127 * 128 = 32512 */
    const int16x8_t p = vmlal_high_s8(vmull_s8(vget_low_s8(w), vget_low_s8(x)), w, x);
    return vpadalq_s16(acc, p);
#endif
}

/* The same for weights that may be -128 (Q8_0): two products (-128) * (-128) would make 32768, so without SDOT each
 * product is widened on its own. (The quantizers never write an activation -128, but q8_matmul takes the caller's
 * rows.) */
INLINE int32x4_t dot16_acc_full(int32x4_t acc, int8x16_t w, int8x16_t x) {
#if defined(__ARM_FEATURE_DOTPROD)
    return vdotq_s32(acc, w, x);
#else
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(w), vget_low_s8(x)));
    return vpadalq_s16(acc, vmull_high_s8(w, x));
#endif
}

INLINE int32x4_t dot16(int8x16_t w, int8x16_t x) {
    return dot16_acc(vdupq_n_s32(0), w, x);
}

/* The lane totals of a, b, c, d in lanes 0, 1, 2, 3. */
INLINE int32x4_t sums4(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d) {
    return vpaddq_s32(vpaddq_s32(a, b), vpaddq_s32(c, d));
}

/* moe_q8_sum16 of the 16 lanes l[0] (lanes 0-3) .. l[3] (lanes 12-15). */
INLINE float sum16(const float32x4_t l[4]) {
    const float32x4_t s4 = vaddq_f32(vaddq_f32(l[0], l[2]), vaddq_f32(l[1], l[3])); /* s8[i] + s8[i+4] */
    const float32x4_t s2 = vaddq_f32(s4, vextq_f32(s4, s4, 2));                     /* s4[0]+s4[2], s4[1]+s4[3] */
    return vgetq_lane_f32(s2, 0) + vgetq_lane_f32(s2, 1);
}

INLINE int8x16_t s8(uint8x16_t v) {
    return vreinterpretq_s8_u8(v);
}

/* ---- quantizers -------------------------------------------------------------------------------------------------- */

/* fp16(a), fp16(b) back as f32 in lanes 0 and 1 (FCVT both ways: round to nearest even, then exact). */
INLINE float32x2_t f16_round2(float a, float b) {
    const float32x4_t v = vcombine_f32(vset_lane_f32(b, vdup_n_f32(a), 1), vdup_n_f32(0.0f));
    return vget_low_f32(vcvt_f32_f16(vcvt_f16_f32(v)));
}

/* moe_nearest_int on 4 lanes: v + 1.5 * 2^23 leaves round-half-even(v) in the low mantissa bits. */
INLINE int32x4_t nearest_int4(float32x4_t v) {
    const int32x4_t t = vreinterpretq_s32_f32(vaddq_f32(v, vdupq_n_f32(12582912.0f)));
    return vsubq_s32(vandq_s32(t, vdupq_n_s32(0x007FFFFF)), vdupq_n_s32(0x00400000));
}

/* The scalar scan's amax = (a > amax ? a : amax) on 4 lanes: strictly greater replaces, so NaNs (quiet or signaling:
 * FMAXNM would return a NaN for a signaling one) are skipped and a lane never holds a NaN or -0. */
INLINE float32x4_t max_gt(float32x4_t m, float32x4_t a) {
    return vbslq_f32(vcgtq_f32(a, m), a, m);
}

/* 16 int32 narrowed to 16 bytes (the low byte of each, as the scalar (int8_t) cast). */
INLINE int8x16_t narrow16(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d) {
    return vcombine_s8(vmovn_s16(vcombine_s16(vmovn_s32(a), vmovn_s32(b))),
                       vmovn_s16(vcombine_s16(vmovn_s32(c), vmovn_s32(d))));
}

static void quantize_q8s(const float *x, int64_t nb, uint8_t *row) {
    const int64_t np = moe_q8s_padded_blocks(nb);
    int8_t *qs = (int8_t *)row;
    float *d_out = (float *)(row + 32 * np), *s_out = (float *)(row + 36 * np);
    int32_t *sum_out = (int32_t *)(row + 40 * np);
    moe_q8s_zero_padding(row, nb);
    for (int64_t b = 0; b < nb; b++) {
        const float *xb = x + 32 * b;
        float32x4_t v[8], m = vdupq_n_f32(0.0f);
        for (int i = 0; i < 8; i++) {
            v[i] = vld1q_f32(xb + 4 * i);
            m = max_gt(m, vabsq_f32(v[i]));
        }
        const float amax = vmaxvq_f32(m); /* no NaNs among the lanes */
        const float d = amax / 127.0f;
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        int32x4_t sum = vdupq_n_s32(0);
        for (int i = 0; i < 8; i += 4) {
            int32x4_t q[4];
            for (int k = 0; k < 4; k++) {
                q[k] = nearest_int4(vmulq_n_f32(v[i + k], id)); /* x * id, round half to even */
                sum = vaddq_s32(sum, q[k]);
            }
            vst1q_s8(qs + 32 * b + 4 * i, narrow16(q[0], q[1], q[2], q[3]));
        }
        const int32_t s = vaddvq_s32(sum);
        const float32x2_t ds = f16_round2(d, d * (float)s);
        d_out[b] = vget_lane_f32(ds, 0);
        s_out[b] = vget_lane_f32(ds, 1);
        sum_out[b] = s;
    }
}

static void quantize_q8k(const float *x, int64_t nb, uint8_t *row) {
    moe_q8k_zero_padding(row, nb);
    int8_t *qs = (int8_t *)row;
    float *d_out = (float *)(row + 256 * nb);
    int16_t *bsums = (int16_t *)(row + 260 * nb);
    for (int64_t b = 0; b < nb; b++) {
        const float *xb = x + 256 * b;
        float32x4_t m = vdupq_n_f32(0.0f);
        for (int g = 0; g < 64; g++) {
            m = max_gt(m, vabsq_f32(vld1q_f32(xb + 4 * g)));
        }
        const float amax = vmaxvq_f32(m);
        if (amax == 0.0f) {
            memset(qs + 256 * b, 0, 256);
            memset(bsums + 16 * b, 0, 32);
            d_out[b] = 0.0f;
            continue;
        }
        /* the first element of largest magnitude sets the sign, as in the scalar scan */
        int first = 0;
        for (int g = 0; g < 64; g++) {
            const uint32x4_t hit = vceqq_f32(vabsq_f32(vld1q_f32(xb + 4 * g)), vdupq_n_f32(amax));
            if (vmaxvq_u32(hit) != 0) {
                first = 4 * g;
                while (!(xb[first] == amax || xb[first] == -amax)) {
                    first++;
                }
                break;
            }
        }
        const float iscale = -127.0f / xb[first];
        const int32x4_t top = vdupq_n_s32(127);
        for (int g = 0; g < 16; g++) {
            int32x4_t q[4];
            for (int k = 0; k < 4; k++) {
                q[k] = vminq_s32(nearest_int4(vmulq_n_f32(vld1q_f32(xb + 16 * g + 4 * k), iscale)), top);
            }
            const int8x16_t q8 = narrow16(q[0], q[1], q[2], q[3]);
            vst1q_s8(qs + 256 * b + 16 * g, q8);
            bsums[16 * b + g] = vaddlvq_s8(q8); /* the sum of the stored bytes, as the scalar level */
        }
        d_out[b] = 1.0f / iscale;
    }
}

/* ---- 32-element formats ------------------------------------------------------------------------------------------ */

enum { F_Q4_0, F_Q4_1, F_Q5_0, F_Q5_1, F_Q8_0, F_IQ4_NL, F_MXFP4 };

/* One block's 32 weights: elements 0-15 and 16-31. */
typedef struct w32 {
    int8x16_t lo, hi;
} w32;

/* The 32 nibbles of 16 bytes: low nibbles are elements 0-15, high nibbles 16-31 (Q4_0's order). */
INLINE void nibbles(const uint8_t *q, uint8x16_t *lo, uint8x16_t *hi) {
    const uint8x16_t v = vld1q_u8(q);
    *lo = vandq_u8(v, vdupq_n_u8(0x0F));
    *hi = vshrq_n_u8(v, 4);
}

/* Q5's fifth bits: bit j of the 32-bit word at qh as 0x10 in byte j (lo: j < 16, hi: j >= 16). Byte j / 8 of the
 * word is spread over 8 lanes, each tests its own bit. */
INLINE void q5_high(const uint8_t *qh, uint8x16_t *lo, uint8x16_t *hi) {
    const uint8x16_t word = vreinterpretq_u8_u32(vdupq_n_u32(moe_rd_u32(qh)));
    const uint8x16_t idx_lo = vcombine_u8(vcreate_u8(0x0000000000000000ULL), vcreate_u8(0x0101010101010101ULL));
    const uint8x16_t idx_hi = vcombine_u8(vcreate_u8(0x0202020202020202ULL), vcreate_u8(0x0303030303030303ULL));
    const uint8x16_t bit = vcombine_u8(vcreate_u8(0x8040201008040201ULL), vcreate_u8(0x8040201008040201ULL));
    const uint8x16_t h10 = vdupq_n_u8(0x10);
    *lo = vandq_u8(vtstq_u8(vqtbl1q_u8(word, idx_lo), bit), h10);
    *hi = vandq_u8(vtstq_u8(vqtbl1q_u8(word, idx_hi), bit), h10);
}

INLINE int small_bytes(const int f) {
    switch (f) {
    case F_Q4_0: return BYTES_Q4_0;
    case F_Q4_1: return BYTES_Q4_1;
    case F_Q5_0: return BYTES_Q5_0;
    case F_Q5_1: return BYTES_Q5_1;
    case F_Q8_0: return BYTES_Q8_0;
    case F_IQ4_NL: return BYTES_IQ4_NL;
    default: return BYTES_MXFP4;
    }
}

INLINE int small_has_min(const int f) {
    return f == F_Q4_1 || f == F_Q5_1;
}

/* The block's weight scale (fp16(d), or MXFP4's E8M0 half) and min (Q4_1, Q5_1; else 0). */
INLINE float small_dw(const int f, const uint8_t *b) {
    return f == F_MXFP4 ? moe_e8m0_half(b[0]) : f16s(b);
}

INLINE float small_mw(const int f, const uint8_t *b) {
    return small_has_min(f) ? f16s(b + 2) : 0.0f;
}

/* The signed weight values of one block, as quant_blocks.h's decoders define them. */
INLINE w32 small_decode(const int f, const uint8_t *b) {
    w32 r;
    uint8x16_t lo, hi, h0, h1;
    switch (f) {
    case F_Q4_0:
        nibbles(b + 2, &lo, &hi);
        r.lo = vsubq_s8(s8(lo), vdupq_n_s8(8));
        r.hi = vsubq_s8(s8(hi), vdupq_n_s8(8));
        break;
    case F_Q4_1:
        nibbles(b + 4, &lo, &hi);
        r.lo = s8(lo);
        r.hi = s8(hi);
        break;
    case F_Q5_0:
        nibbles(b + 6, &lo, &hi);
        q5_high(b + 2, &h0, &h1);
        r.lo = vsubq_s8(s8(vorrq_u8(lo, h0)), vdupq_n_s8(16));
        r.hi = vsubq_s8(s8(vorrq_u8(hi, h1)), vdupq_n_s8(16));
        break;
    case F_Q5_1:
        nibbles(b + 8, &lo, &hi);
        q5_high(b + 4, &h0, &h1);
        r.lo = s8(vorrq_u8(lo, h0));
        r.hi = s8(vorrq_u8(hi, h1));
        break;
    case F_Q8_0:
        r.lo = vld1q_s8((const int8_t *)(b + 2));
        r.hi = vld1q_s8((const int8_t *)(b + 18));
        break;
    case F_IQ4_NL: {
        const int8x16_t book = vld1q_s8(moe_kvalues_iq4nl);
        nibbles(b + 2, &lo, &hi);
        r.lo = vqtbl1q_s8(book, lo);
        r.hi = vqtbl1q_s8(book, hi);
        break;
    }
    default: { /* MXFP4: doubled E2M1 values, |w| <= 12 */
        const int8x16_t book = vld1q_s8(moe_kvalues_mxfp4);
        nibbles(b + 1, &lo, &hi);
        r.lo = vqtbl1q_s8(book, lo);
        r.hi = vqtbl1q_s8(book, hi);
        break;
    }
    }
    return r;
}

/*
 * Rows one at a time, each row's blocks in groups of 4 decoded once for all tokens: the group's 4 integer sums of a
 * token in one int32x4, scaled with moe_q8_scaled / moe_q8_scaled_min 4 lanes wide (D = dw * dx, D * isum, + mw * s)
 * and added to the token's accumulator (b0 / 4) % 4, which holds lanes b0 % 16 .. b0 % 16 + 3. A partial last group
 * has weights 0 and scales 0 in its absent blocks, whose activations are the row's zero padding: they add +0.
 */
INLINE void small_rows(const int f, const uint8_t *w, int64_t row_bytes, int64_t n_rows, int64_t nb,
                       const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os) {
    const int64_t np = moe_q8s_padded_blocks(nb);
    const int bytes = small_bytes(f), has_min = small_has_min(f);
    for (int64_t r = 0; r < n_rows; r++) {
        const uint8_t *wr = w + r * row_bytes;
        float32x4_t acc[Q8_NEON_DOT_MAX][4];
        for (int t = 0; t < n_tok; t++) {
            for (int i = 0; i < 4; i++) {
                acc[t][i] = vdupq_n_f32(0.0f);
            }
        }
        for (int64_t b0 = 0; b0 < nb; b0 += 4) {
            const int n = nb - b0 < 4 ? (int)(nb - b0) : 4;
            int8x16_t W[8];
            float dw[4], mw[4];
            for (int i = 0; i < 4; i++) {
                if (i < n) {
                    const uint8_t *blk = wr + (b0 + i) * bytes;
                    const w32 d = small_decode(f, blk);
                    W[2 * i] = d.lo;
                    W[2 * i + 1] = d.hi;
                    dw[i] = small_dw(f, blk);
                    mw[i] = small_mw(f, blk);
                } else {
                    W[2 * i] = W[2 * i + 1] = vdupq_n_s8(0);
                    dw[i] = mw[i] = 0.0f;
                }
            }
            const float32x4_t dwv = vld1q_f32(dw), mwv = vld1q_f32(mw);
            const int lane = (int)((b0 >> 2) & 3);
            for (int t = 0; t < n_tok; t++) {
                const uint8_t *xrow = xq + t * xs;
                const int8_t *q = (const int8_t *)xrow + 32 * b0;
                int32x4_t p[4];
                for (int i = 0; i < 4; i++) {
                    const int8x16_t x0 = vld1q_s8(q + 32 * i), x1 = vld1q_s8(q + 32 * i + 16);
                    p[i] = f == F_Q8_0 ? dot16_acc_full(dot16_acc_full(vdupq_n_s32(0), W[2 * i], x0), W[2 * i + 1], x1)
                                       : dot16_acc(dot16(W[2 * i], x0), W[2 * i + 1], x1);
                }
                const int32x4_t isum = sums4(p[0], p[1], p[2], p[3]);
                const float32x4_t D = vmulq_f32(dwv, vld1q_f32((const float *)(xrow + 32 * np) + b0));
                float32x4_t c = vmulq_f32(D, vcvtq_f32_s32(isum));
                if (has_min) {
                    c = vaddq_f32(c, vmulq_f32(mwv, vld1q_f32((const float *)(xrow + 36 * np) + b0)));
                }
                acc[t][lane] = vaddq_f32(acc[t][lane], c);
            }
        }
        for (int t = 0; t < n_tok; t++) {
            out[t * os + r] = sum16(acc[t]);
        }
    }
}

#if defined(__ARM_FEATURE_MATMUL_INT8)
/* [a's bytes 0-7, b's bytes 0-7] and [a's bytes 8-15, b's bytes 8-15]: two rows of an SMMLA operand. */
INLINE int8x16_t zip_lo64(int8x16_t a, int8x16_t b) {
    return vreinterpretq_s8_s64(vzip1q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}

INLINE int8x16_t zip_hi64(int8x16_t a, int8x16_t b) {
    return vreinterpretq_s8_s64(vzip2q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}

/* moe_q8_sum16 lane by lane over the 16 vectors L[0..15] (lane b % 16 of each of 4 (row, token) pairs). */
INLINE float32x4_t sum16_pairs(const float32x4_t *L) {
    float32x4_t s8v[8], s4v[4];
    for (int i = 0; i < 8; i++) {
        s8v[i] = vaddq_f32(L[i], L[i + 8]);
    }
    for (int i = 0; i < 4; i++) {
        s4v[i] = vaddq_f32(s8v[i], s8v[i + 4]);
    }
    return vaddq_f32(vaddq_f32(s4v[0], s4v[2]), vaddq_f32(s4v[1], s4v[3]));
}

/* Rows r, r + 1 of tokens 0 .. T2 - 1 (T2 even): pair t / 2's lanes are (r, t), (r, t + 1), (r + 1, t), (r + 1, t + 1). */
INLINE void store_pair_sums(float32x4_t (*L)[16], int T2, int64_t r, float *out, int64_t os) {
    for (int t = 0; t < T2; t += 2) {
        const float32x4_t v = sum16_pairs(L[t / 2]);
        out[t * os + r] = vgetq_lane_f32(v, 0);
        out[(t + 1) * os + r] = vgetq_lane_f32(v, 1);
        out[t * os + r + 1] = vgetq_lane_f32(v, 2);
        out[(t + 1) * os + r + 1] = vgetq_lane_f32(v, 3);
    }
}

/*
 * i8mm: rows in pairs, tokens in pairs. SMMLA multiplies a 2x8 int8 matrix (the two rows' 8-weight chunks) by the
 * transpose of another (the two tokens' 8-activation chunks) into [r0.t0, r0.t1, r1.t0, r1.t1]; four of them cover a
 * block. Those four lanes are scaled at once (dw = [dw0, dw0, dw1, dw1], dx = [dx0, dx1, dx0, dx1], the scalar
 * formula per lane) and added to accumulator b % 16 of the token pair. The odd last token of the paired rows and the
 * odd last row go through small_rows (SDOT).
 */
INLINE void small_rows_mmla(const int f, const uint8_t *w, int64_t row_bytes, int64_t n_rows, int64_t nb,
                            const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os) {
    if (n_rows < 2 || n_tok < 2) {
        small_rows(f, w, row_bytes, n_rows, nb, xq, xs, n_tok, out, os);
        return;
    }
    const int64_t np = moe_q8s_padded_blocks(nb);
    const int bytes = small_bytes(f), has_min = small_has_min(f);
    const int64_t R2 = n_rows & ~(int64_t)1;
    const int T2 = n_tok & ~1;
    for (int64_t r = 0; r < R2; r += 2) {
        const uint8_t *w0 = w + r * row_bytes, *w1 = w0 + row_bytes;
        float32x4_t L[Q8_NEON_DOT_MAX / 2][16];
        for (int tp = 0; tp < T2 / 2; tp++) {
            for (int i = 0; i < 16; i++) {
                L[tp][i] = vdupq_n_f32(0.0f);
            }
        }
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *b0 = w0 + b * bytes, *b1 = w1 + b * bytes;
            const w32 d0 = small_decode(f, b0), d1 = small_decode(f, b1);
            const int8x16_t a0 = zip_lo64(d0.lo, d1.lo), a1 = zip_hi64(d0.lo, d1.lo);
            const int8x16_t a2 = zip_lo64(d0.hi, d1.hi), a3 = zip_hi64(d0.hi, d1.hi);
            const float32x4_t dwv = vcombine_f32(vdup_n_f32(small_dw(f, b0)), vdup_n_f32(small_dw(f, b1)));
            const float32x4_t mwv = vcombine_f32(vdup_n_f32(small_mw(f, b0)), vdup_n_f32(small_mw(f, b1)));
            for (int t = 0; t < T2; t += 2) {
                const uint8_t *x0 = xq + t * xs, *x1 = x0 + xs;
                const int8_t *q0 = (const int8_t *)x0 + 32 * b, *q1 = (const int8_t *)x1 + 32 * b;
                const int8x16_t x0lo = vld1q_s8(q0), x0hi = vld1q_s8(q0 + 16);
                const int8x16_t x1lo = vld1q_s8(q1), x1hi = vld1q_s8(q1 + 16);
                int32x4_t isum = vmmlaq_s32(vdupq_n_s32(0), a0, zip_lo64(x0lo, x1lo));
                isum = vmmlaq_s32(isum, a1, zip_hi64(x0lo, x1lo));
                isum = vmmlaq_s32(isum, a2, zip_lo64(x0hi, x1hi));
                isum = vmmlaq_s32(isum, a3, zip_hi64(x0hi, x1hi));
                const float32x2_t dx = vset_lane_f32(((const float *)(x1 + 32 * np))[b],
                                                     vdup_n_f32(((const float *)(x0 + 32 * np))[b]), 1);
                const float32x4_t D = vmulq_f32(dwv, vcombine_f32(dx, dx));
                float32x4_t c = vmulq_f32(D, vcvtq_f32_s32(isum));
                if (has_min) {
                    const float32x2_t s = vset_lane_f32(((const float *)(x1 + 36 * np))[b],
                                                        vdup_n_f32(((const float *)(x0 + 36 * np))[b]), 1);
                    c = vaddq_f32(c, vmulq_f32(mwv, vcombine_f32(s, s)));
                }
                L[t / 2][b & 15] = vaddq_f32(L[t / 2][b & 15], c);
            }
        }
        store_pair_sums(L, T2, r, out, os);
    }
    if (T2 < n_tok) { /* the odd last token of the paired rows */
        small_rows(f, w, row_bytes, R2, nb, xq + T2 * xs, xs, 1, out + T2 * os, os);
    }
    if (R2 < n_rows) { /* the odd last row, every token */
        small_rows(f, w + R2 * row_bytes, row_bytes, 1, nb, xq, xs, n_tok, out + R2, os);
    }
}
#define SMALL_ENTRY small_rows_mmla
#else
#define SMALL_ENTRY small_rows
#endif

#define DEFINE_SMALL(suffix, F)                                                                                        \
    static void q8dot_##suffix(const uint8_t *w, int64_t row_bytes, int64_t n_rows, int64_t nb, const uint8_t *xq,     \
                               int64_t xs, int n_tok, float *out, int64_t os) {                                        \
        SMALL_ENTRY(F, w, row_bytes, n_rows, nb, xq, xs, n_tok, out, os);                                              \
    }

DEFINE_SMALL(q4_0, F_Q4_0)
DEFINE_SMALL(q4_1, F_Q4_1)
DEFINE_SMALL(q5_0, F_Q5_0)
DEFINE_SMALL(q5_1, F_Q5_1)
DEFINE_SMALL(q8_0, F_Q8_0)
DEFINE_SMALL(iq4_nl, F_IQ4_NL)
DEFINE_SMALL(mxfp4, F_MXFP4)

/* ---- 256-element formats ----------------------------------------------------------------------------------------- */

enum { F_Q2_K, F_Q3_K, F_Q4_K, F_Q5_K, F_Q6_K, F_IQ4_XS };

/* One decoded super-block: the 256 signed weights in element order, 16 per register (W[g] = elements 16g..16g+15);
 * the sub-block scales as int32 lanes, per 16 elements (sc[k] = groups 4k..4k+3) or per 32 (sc[0], sc[1] = sub-blocks
 * 0-3 and 4-7); the mins per 16 elements against the bsums (mn[0] = groups 0-7, mn[1] = 8-15); the f32 scales. */
typedef struct kq {
    int8x16_t W[16];
    int32x4_t sc[4];
    int16x8_t mn[2];
    float d, dmin;
} kq;

INLINE int k_bytes(const int f) {
    switch (f) {
    case F_Q2_K: return BYTES_Q2_K;
    case F_Q3_K: return BYTES_Q3_K;
    case F_Q4_K: return BYTES_Q4_K;
    case F_Q5_K: return BYTES_Q5_K;
    case F_Q6_K: return BYTES_Q6_K;
    default: return BYTES_IQ4_XS;
    }
}

/* Scales per 16 elements (Q2_K, Q3_K, Q6_K) or per 32 (Q4_K, Q5_K, IQ4_XS); mins (Q2_K, Q4_K, Q5_K). */
INLINE int k_per16(const int f) {
    return f == F_Q2_K || f == F_Q3_K || f == F_Q6_K;
}

INLINE int k_has_min(const int f) {
    return f == F_Q2_K || f == F_Q4_K || f == F_Q5_K;
}

/* 16 unsigned bytes as 4 x 4 int32 lanes. */
INLINE void widen_u8(uint8x16_t v, int32x4_t out[4]) {
    const uint16x8_t lo = vmovl_u8(vget_low_u8(v)), hi = vmovl_u8(vget_high_u8(v));
    out[0] = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(lo)));
    out[1] = vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(lo)));
    out[2] = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(hi)));
    out[3] = vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(hi)));
}

/* Q4_K / Q5_K scales (per 32) and mins (each for two groups of 16), from moe_scale_min_k4_all. */
INLINE void q45_k_scales(const uint8_t *b, kq *k) {
    uint8_t sm[16];
    moe_scale_min_k4_all(b + 4, sm);
    const uint8x16_t v = vld1q_u8(sm);
    int32x4_t w4[4];
    widen_u8(v, w4);
    k->sc[0] = w4[0];
    k->sc[1] = w4[1];
    const uint8x8_t mins = vget_high_u8(v);
    k->mn[0] = vreinterpretq_s16_u16(vmovl_u8(vzip1_u8(mins, mins))); /* m0 m0 m1 m1 m2 m2 m3 m3 */
    k->mn[1] = vreinterpretq_s16_u16(vmovl_u8(vzip2_u8(mins, mins))); /* m4 m4 .. m7 m7 */
    k->d = f16s(b);
    k->dmin = f16s(b + 2);
}

INLINE void k_decode(const int f, const uint8_t *b, kq *k) {
    const uint8x16_t m3 = vdupq_n_u8(3), m4 = vdupq_n_u8(0x0F);
    switch (f) {
    case F_Q2_K: {
        /* sub-block 8n + 2j + h: bits 2j of qs[32n + 16h ..] (moe_isum_q2_k's order), scale & 15, min >> 4 */
        for (int n = 0; n < 2; n++) {
            for (int h = 0; h < 2; h++) {
                const uint8x16_t q = vld1q_u8(b + 16 + 32 * n + 16 * h);
                k->W[8 * n + h] = s8(vandq_u8(q, m3));
                k->W[8 * n + 2 + h] = s8(vandq_u8(vshrq_n_u8(q, 2), m3));
                k->W[8 * n + 4 + h] = s8(vandq_u8(vshrq_n_u8(q, 4), m3));
                k->W[8 * n + 6 + h] = s8(vshrq_n_u8(q, 6));
            }
        }
        const uint8x16_t sc = vld1q_u8(b);
        widen_u8(vandq_u8(sc, m4), k->sc);
        const uint8x16_t mins = vshrq_n_u8(sc, 4);
        k->mn[0] = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(mins)));
        k->mn[1] = vreinterpretq_s16_u16(vmovl_u8(vget_high_u8(mins)));
        k->d = f16s(b + 80);
        k->dmin = f16s(b + 82);
        break;
    }
    case F_Q3_K: {
        /* sub-block 8n + 2j + h: bits 2j of qs[32n + 16h ..] minus 4 where bit 4n + j of hmask[16h ..] is clear */
        const uint8x16_t four = vdupq_n_u8(4);
        for (int n = 0; n < 2; n++) {
            for (int h = 0; h < 2; h++) {
                const uint8x16_t q = vld1q_u8(b + 32 + 32 * n + 16 * h), hm = vld1q_u8(b + 16 * h);
                const uint8x16_t v[4] = {vandq_u8(q, m3), vandq_u8(vshrq_n_u8(q, 2), m3),
                                         vandq_u8(vshrq_n_u8(q, 4), m3), vshrq_n_u8(q, 6)};
                for (int j = 0; j < 4; j++) {
                    const uint8x16_t set = vtstq_u8(hm, vdupq_n_u8((uint8_t)(1u << (4 * n + j))));
                    k->W[8 * n + 2 * j + h] = s8(vsubq_u8(v[j], vbicq_u8(four, set))); /* two's complement bytes */
                }
            }
        }
        uint8_t sb[16];
        moe_q3_k_scale_bytes(b + 96, sb);
        const uint8x16_t v = vld1q_u8(sb);
        const int16x8_t lo = vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(v))), vdupq_n_s16(32));
        const int16x8_t hi = vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(vget_high_u8(v))), vdupq_n_s16(32));
        k->sc[0] = vmovl_s16(vget_low_s16(lo));
        k->sc[1] = vmovl_s16(vget_high_s16(lo));
        k->sc[2] = vmovl_s16(vget_low_s16(hi));
        k->sc[3] = vmovl_s16(vget_high_s16(hi));
        k->d = f16s(b + 108);
        k->dmin = 0.0f;
        break;
    }
    case F_Q4_K:
    case F_Q5_K: {
        /* chunk c of 64 elements: low nibbles of qs[32c ..] then high nibbles; Q5_K adds 16 for bits 2c / 2c+1 of qh */
        const uint8_t *qs = f == F_Q5_K ? b + 48 : b + 16;
        const uint8x16_t qh0 = vld1q_u8(b + 16), qh1 = vld1q_u8(b + 32), h16 = vdupq_n_u8(16);
        for (int c = 0; c < 4; c++) {
            const uint8x16_t v0 = vld1q_u8(qs + 32 * c), v1 = vld1q_u8(qs + 32 * c + 16);
            uint8x16_t w0 = vandq_u8(v0, m4), w1 = vandq_u8(v1, m4), w2 = vshrq_n_u8(v0, 4), w3 = vshrq_n_u8(v1, 4);
            if (f == F_Q5_K) {
                const uint8x16_t bl = vdupq_n_u8((uint8_t)(1u << (2 * c))), bh = vdupq_n_u8((uint8_t)(2u << (2 * c)));
                w0 = vorrq_u8(w0, vandq_u8(vtstq_u8(qh0, bl), h16));
                w1 = vorrq_u8(w1, vandq_u8(vtstq_u8(qh1, bl), h16));
                w2 = vorrq_u8(w2, vandq_u8(vtstq_u8(qh0, bh), h16));
                w3 = vorrq_u8(w3, vandq_u8(vtstq_u8(qh1, bh), h16));
            }
            k->W[4 * c] = s8(w0);
            k->W[4 * c + 1] = s8(w1);
            k->W[4 * c + 2] = s8(w2);
            k->W[4 * c + 3] = s8(w3);
        }
        q45_k_scales(b, k);
        break;
    }
    case F_Q6_K: {
        /* half n: groups 8n + (0..7) from ql[64n ..] (low nibbles of L0..L3, then high) and 2-bit fields of qh[32n ..] */
        const uint8x16_t m30 = vdupq_n_u8(0x30);
        const int8x16_t k32 = vdupq_n_s8(32);
        for (int n = 0; n < 2; n++) {
            const uint8_t *L = b + 64 * n, *H = b + 128 + 32 * n;
            const uint8x16_t L0 = vld1q_u8(L), L1 = vld1q_u8(L + 16), L2 = vld1q_u8(L + 32), L3 = vld1q_u8(L + 48);
            const uint8x16_t H0 = vld1q_u8(H), H1 = vld1q_u8(H + 16);
            const uint8x16_t u[8] = {
                vorrq_u8(vandq_u8(L0, m4), vandq_u8(vshlq_n_u8(H0, 4), m30)),
                vorrq_u8(vandq_u8(L1, m4), vandq_u8(vshlq_n_u8(H1, 4), m30)),
                vorrq_u8(vandq_u8(L2, m4), vandq_u8(vshlq_n_u8(H0, 2), m30)),
                vorrq_u8(vandq_u8(L3, m4), vandq_u8(vshlq_n_u8(H1, 2), m30)),
                vorrq_u8(vshrq_n_u8(L0, 4), vandq_u8(H0, m30)),
                vorrq_u8(vshrq_n_u8(L1, 4), vandq_u8(H1, m30)),
                vorrq_u8(vshrq_n_u8(L2, 4), vandq_u8(vshrq_n_u8(H0, 2), m30)),
                vorrq_u8(vshrq_n_u8(L3, 4), vandq_u8(vshrq_n_u8(H1, 2), m30)),
            };
            for (int g = 0; g < 8; g++) {
                k->W[8 * n + g] = vsubq_s8(s8(u[g]), k32);
            }
        }
        const int8x16_t sc = vld1q_s8((const int8_t *)(b + 192));
        const int16x8_t lo = vmovl_s8(vget_low_s8(sc)), hi = vmovl_s8(vget_high_s8(sc));
        k->sc[0] = vmovl_s16(vget_low_s16(lo));
        k->sc[1] = vmovl_s16(vget_high_s16(lo));
        k->sc[2] = vmovl_s16(vget_low_s16(hi));
        k->sc[3] = vmovl_s16(vget_high_s16(hi));
        k->d = f16s(b + 208);
        k->dmin = 0.0f;
        break;
    }
    default: { /* IQ4_XS: sub-block ib from qs[16ib ..] through the code book, scale ls - 32 */
        const int8x16_t book = vld1q_s8(moe_kvalues_iq4nl);
        for (int ib = 0; ib < 8; ib++) {
            uint8x16_t lo, hi;
            nibbles(b + 8 + 16 * ib, &lo, &hi);
            k->W[2 * ib] = vqtbl1q_s8(book, lo);
            k->W[2 * ib + 1] = vqtbl1q_s8(book, hi);
        }
        const unsigned scales_h = moe_rd_u16(b + 2);
        int32_t ls[8];
        for (int ib = 0; ib < 8; ib++) {
            ls[ib] = (int32_t)(((b[4 + ib / 2] >> (4 * (ib % 2))) & 0x0F) | (((scales_h >> (2 * ib)) & 3u) << 4)) - 32;
        }
        k->sc[0] = vld1q_s32(ls);
        k->sc[1] = vld1q_s32(ls + 4);
        k->d = f16s(b);
        k->dmin = 0.0f;
        break;
    }
    }
}

/* The super-block's exact sum of scale * sum(w * x) over its sub-blocks, q = its 256 activation quants. */
INLINE int32_t k_isum(const int f, const kq *k, const int8_t *q) {
    int32x4_t acc = vdupq_n_s32(0);
    if (k_per16(f)) {
        for (int g = 0; g < 16; g += 4) {
            const int32x4_t s = sums4(dot16(k->W[g], vld1q_s8(q + 16 * g)), dot16(k->W[g + 1], vld1q_s8(q + 16 * g + 16)),
                                      dot16(k->W[g + 2], vld1q_s8(q + 16 * g + 32)),
                                      dot16(k->W[g + 3], vld1q_s8(q + 16 * g + 48)));
            acc = vmlaq_s32(acc, s, k->sc[g / 4]);
        }
    } else {
        for (int g = 0; g < 16; g += 8) {
            int32x4_t p[4];
            for (int i = 0; i < 4; i++) {
                const int gi = g + 2 * i;
                p[i] = dot16_acc(dot16(k->W[gi], vld1q_s8(q + 16 * gi)), k->W[gi + 1], vld1q_s8(q + 16 * gi + 16));
            }
            acc = vmlaq_s32(acc, sums4(p[0], p[1], p[2], p[3]), k->sc[g / 8]);
        }
    }
    return vaddvq_s32(acc);
}

/* sum of bsums[g] * min of group g (16 elements each). */
INLINE int32_t k_summs(const kq *k, const int16_t *bs) {
    const int16x8_t b0 = vld1q_s16(bs), b1 = vld1q_s16(bs + 8);
    int32x4_t a = vmull_s16(vget_low_s16(b0), vget_low_s16(k->mn[0]));
    a = vmlal_high_s16(a, b0, k->mn[0]);
    a = vmlal_s16(a, vget_low_s16(b1), vget_low_s16(k->mn[1]));
    a = vmlal_high_s16(a, b1, k->mn[1]);
    return vaddvq_s32(a);
}

/* Rows one at a time, each super-block decoded once for all tokens; the block result is moe_q8_scaled_k with the
 * scalar level's arguments (dmin 0 and summs 0 for the formats without mins), added to lane b % 16. */
INLINE void k_rows(const int f, const uint8_t *w, int64_t row_bytes, int64_t n_rows, int64_t nb, const uint8_t *xq,
                   int64_t xs, int n_tok, float *out, int64_t os) {
    const int bytes = k_bytes(f);
    for (int64_t r = 0; r < n_rows; r++) {
        const uint8_t *wr = w + r * row_bytes;
        float lanes[Q8_NEON_DOT_MAX][16];
        memset(lanes, 0, sizeof lanes);
        for (int64_t b = 0; b < nb; b++) {
            kq k;
            k_decode(f, wr + b * bytes, &k);
            for (int t = 0; t < n_tok; t++) {
                const uint8_t *xrow = xq + t * xs;
                const int32_t isum = k_isum(f, &k, (const int8_t *)xrow + 256 * b);
                const int32_t summs = k_has_min(f) ? k_summs(&k, (const int16_t *)(xrow + 260 * nb) + 16 * b) : 0;
                const float dx = ((const float *)(xrow + 256 * nb))[b];
                lanes[t][b & 15] += moe_q8_scaled_k(k.d, k.dmin, dx, isum, summs);
            }
        }
        for (int t = 0; t < n_tok; t++) {
            out[t * os + r] = moe_q8_sum16(lanes[t]);
        }
    }
}

#if defined(__ARM_FEATURE_MATMUL_INT8)
/* The scale of each of the 16 groups of 16 elements as an int (per-32 formats: each sub-block's scale twice). */
INLINE void k_group_scales(const int f, const kq *k, int32_t s[16]) {
    if (k_per16(f)) {
        for (int i = 0; i < 4; i++) {
            vst1q_s32(s + 4 * i, k->sc[i]);
        }
    } else {
        int32_t sub[8];
        vst1q_s32(sub, k->sc[0]);
        vst1q_s32(sub + 4, k->sc[1]);
        for (int g = 0; g < 16; g++) {
            s[g] = sub[g / 2];
        }
    }
}

/*
 * i8mm: rows in pairs, tokens in pairs, as small_rows_mmla. A super-block pair is decoded once into SMMLA operands
 * (A[2g], A[2g+1]: both rows' weights of group g, 8 bytes each) and per-group scale vectors [s0, s0, s1, s1]; for a
 * token pair, group g's 4 (row, token) sums come from two SMMLA and are multiplied by the group scale into the
 * super-block's isum of each pair (exact). The f32 part is moe_q8_scaled_k lane by lane (D = d * dx, M = dmin * dx,
 * D * isum - M * summs), added to accumulator b % 16 of the token pair. The odd last token and row go through k_rows.
 */
INLINE void k_rows_mmla(const int f, const uint8_t *w, int64_t row_bytes, int64_t n_rows, int64_t nb,
                        const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os) {
    if (n_rows < 2 || n_tok < 2) {
        k_rows(f, w, row_bytes, n_rows, nb, xq, xs, n_tok, out, os);
        return;
    }
    const int bytes = k_bytes(f), has_min = k_has_min(f);
    const int64_t R2 = n_rows & ~(int64_t)1;
    const int T2 = n_tok & ~1;
    for (int64_t r = 0; r < R2; r += 2) {
        const uint8_t *w0 = w + r * row_bytes, *w1 = w0 + row_bytes;
        float32x4_t L[Q8_NEON_DOT_MAX / 2][16];
        for (int tp = 0; tp < T2 / 2; tp++) {
            for (int i = 0; i < 16; i++) {
                L[tp][i] = vdupq_n_f32(0.0f);
            }
        }
        for (int64_t b = 0; b < nb; b++) {
            kq k0, k1;
            k_decode(f, w0 + b * bytes, &k0);
            k_decode(f, w1 + b * bytes, &k1);
            int32_t s0[16], s1[16];
            k_group_scales(f, &k0, s0);
            k_group_scales(f, &k1, s1);
            int8x16_t A[32];
            int32x4_t S[16];
            for (int g = 0; g < 16; g++) {
                A[2 * g] = zip_lo64(k0.W[g], k1.W[g]);
                A[2 * g + 1] = zip_hi64(k0.W[g], k1.W[g]);
                S[g] = vcombine_s32(vdup_n_s32(s0[g]), vdup_n_s32(s1[g]));
            }
            const float32x4_t dwv = vcombine_f32(vdup_n_f32(k0.d), vdup_n_f32(k1.d));
            const float32x4_t dminv = vcombine_f32(vdup_n_f32(k0.dmin), vdup_n_f32(k1.dmin));
            for (int t = 0; t < T2; t += 2) {
                const uint8_t *x0 = xq + t * xs, *x1 = x0 + xs;
                const int8_t *q0 = (const int8_t *)x0 + 256 * b, *q1 = (const int8_t *)x1 + 256 * b;
                int32x4_t isum = vdupq_n_s32(0);
                for (int g = 0; g < 16; g++) {
                    const int8x16_t xa = vld1q_s8(q0 + 16 * g), xb = vld1q_s8(q1 + 16 * g);
                    const int32x4_t gs =
                        vmmlaq_s32(vmmlaq_s32(vdupq_n_s32(0), A[2 * g], zip_lo64(xa, xb)), A[2 * g + 1], zip_hi64(xa, xb));
                    isum = vmlaq_s32(isum, gs, S[g]);
                }
                int32x4_t summs = vdupq_n_s32(0);
                if (has_min) {
                    const int16_t *bs0 = (const int16_t *)(x0 + 260 * nb) + 16 * b;
                    const int16_t *bs1 = (const int16_t *)(x1 + 260 * nb) + 16 * b;
                    const int32_t m[4] = {k_summs(&k0, bs0), k_summs(&k0, bs1), k_summs(&k1, bs0), k_summs(&k1, bs1)};
                    summs = vld1q_s32(m);
                }
                const float32x2_t dx = vset_lane_f32(((const float *)(x1 + 256 * nb))[b],
                                                     vdup_n_f32(((const float *)(x0 + 256 * nb))[b]), 1);
                const float32x4_t dxv = vcombine_f32(dx, dx);
                const float32x4_t D = vmulq_f32(dwv, dxv), M = vmulq_f32(dminv, dxv);
                const float32x4_t c = vsubq_f32(vmulq_f32(D, vcvtq_f32_s32(isum)), vmulq_f32(M, vcvtq_f32_s32(summs)));
                L[t / 2][b & 15] = vaddq_f32(L[t / 2][b & 15], c);
            }
        }
        store_pair_sums(L, T2, r, out, os);
    }
    if (T2 < n_tok) { /* the odd last token of the paired rows */
        k_rows(f, w, row_bytes, R2, nb, xq + T2 * xs, xs, 1, out + T2 * os, os);
    }
    if (R2 < n_rows) { /* the odd last row, every token */
        k_rows(f, w + R2 * row_bytes, row_bytes, 1, nb, xq, xs, n_tok, out + R2, os);
    }
}
#define K_ENTRY k_rows_mmla
#else
#define K_ENTRY k_rows
#endif

#define DEFINE_K(suffix, F)                                                                                            \
    static void q8dot_##suffix(const uint8_t *w, int64_t row_bytes, int64_t n_rows, int64_t nb, const uint8_t *xq,     \
                               int64_t xs, int n_tok, float *out, int64_t os) {                                        \
        K_ENTRY(F, w, row_bytes, n_rows, nb, xq, xs, n_tok, out, os);                                                  \
    }

DEFINE_K(q2_k, F_Q2_K)
DEFINE_K(q3_k, F_Q3_K)
DEFINE_K(q4_k, F_Q4_K)
DEFINE_K(q5_k, F_Q5_K)
DEFINE_K(q6_k, F_Q6_K)
DEFINE_K(iq4_xs, F_IQ4_XS)

/* ---- the level's table ------------------------------------------------------------------------------------------- */

const moe_q8_kernels MOE_NEON_NAME(moe_q8_kernels) = {
    .quantize = {quantize_q8s, quantize_q8k},
    .dot =
        {
            MOE_Q8_ROW(Q4_0, q4_0), MOE_Q8_ROW(Q4_1, q4_1), MOE_Q8_ROW(Q5_0, q5_0), MOE_Q8_ROW(Q5_1, q5_1),
            MOE_Q8_ROW(Q8_0, q8_0), MOE_Q8_ROW(Q2_K, q2_k), MOE_Q8_ROW(Q3_K, q3_k), MOE_Q8_ROW(Q4_K, q4_k),
            MOE_Q8_ROW(Q5_K, q5_k), MOE_Q8_ROW(Q6_K, q6_k), MOE_Q8_ROW(IQ4_NL, iq4_nl), MOE_Q8_ROW(IQ4_XS, iq4_xs),
            [MOE_T_IQ2_XXS] = MOE_NEON_NAME(moe_q8neon_iq2_xxs), [MOE_T_IQ2_XS] = MOE_NEON_NAME(moe_q8neon_iq2_xs),
            [MOE_T_IQ2_S] = MOE_NEON_NAME(moe_q8neon_iq2_s), [MOE_T_IQ3_XXS] = MOE_NEON_NAME(moe_q8neon_iq3_xxs),
            [MOE_T_IQ3_S] = MOE_NEON_NAME(moe_q8neon_iq3_s), [MOE_T_IQ1_S] = MOE_NEON_NAME(moe_q8neon_iq1_s),
            [MOE_T_IQ1_M] = MOE_NEON_NAME(moe_q8neon_iq1_m), [MOE_T_TQ1_0] = MOE_NEON_NAME(moe_q8neon_tq1_0),
            [MOE_T_TQ2_0] = MOE_NEON_NAME(moe_q8neon_tq2_0), MOE_Q8_ROW(MXFP4, mxfp4),
        },
    .dot_max = Q8_NEON_DOT_MAX,
};

/*
 * q8_neon.h - the AArch64 levels of the 8-bit-activation products, shared by q8_neon.c (quantizers, the 32-element
 * formats, the K-quants, IQ4_XS, MXFP4 and the level's table) and q8_neon_iq.c (the i-quant grid formats and the
 * ternary formats). Every product here is bit-identical to q8_scalar.c: the integer block sums are exact whatever
 * instructions compute them, and the f32 part applies q8_blocks.h's per-block formulas in the scalar level's order
 * (block b into lane b % 16, lanes summed by moe_q8_sum16's tree).
 *
 * Each file is compiled once per NEON level (neon_level.h); the products take the arguments of moe_q8_dot_fn, for
 * 1 <= n_tok <= Q8_NEON_DOT_MAX.
 */
#ifndef MOE4J_Q8_NEON_H
#define MOE4J_Q8_NEON_H

#include <stdint.h>

#include "neon_level.h"

#define Q8_NEON_DOT_MAX 8

#define Q8_NEON_DECLARE(suffix)                                                                                        \
    void MOE_NEON_NAME(moe_q8neon_##suffix)(const uint8_t *w, int64_t row_bytes, int64_t n_rows, int64_t nb,          \
                                             const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os)

/* q8_neon_iq.c */
Q8_NEON_DECLARE(iq2_xxs);
Q8_NEON_DECLARE(iq2_xs);
Q8_NEON_DECLARE(iq2_s);
Q8_NEON_DECLARE(iq3_xxs);
Q8_NEON_DECLARE(iq3_s);
Q8_NEON_DECLARE(iq1_s);
Q8_NEON_DECLARE(iq1_m);
Q8_NEON_DECLARE(tq1_0);
Q8_NEON_DECLARE(tq2_0);

#endif /* MOE4J_Q8_NEON_H */
